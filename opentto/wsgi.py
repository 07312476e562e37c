import os

# A web worker embeds one short query at a time: one BLAS/OpenMP thread each. With several
# workers on a few cores, more threads per worker make every query wait (measured: 40–70 ms of
# CPU per query embedding with 1 thread, 870 ms with 2 when both cores were busy; docs/matching.md).
# Set these in the environment to override.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opentto.settings.dev")
application = get_wsgi_application()

# Open the search indexes and build the translation lexicon before this worker takes requests
# (seconds of CPU that would otherwise fall on its first searches); OPENTTO_WARM_AT_START=0 skips it.
if os.environ.get("OPENTTO_WARM_AT_START", "1") != "0":
    from opentto.search.index import warm

    warm()
