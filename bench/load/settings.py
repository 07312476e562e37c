"""Settings of the load benchmark: the embedded defaults (``opentto.settings.dev``) as a
production site would run them — ``DEBUG`` off, PostgreSQL from ``DATABASE_URL``, Django's cache in
Redis when ``CACHE_URL`` names it (``run.py`` does), persistent database connections — with the
matching app's dense (embedding) tier on, as in production, over synthetic vectors: the
benchmark's 100,000 texts are generated, and embedding them with the model would take hours, so
``bench/load/vectors.py`` gives every text a vector with neighbourhood structure (texts about the
same things are close, across the two languages) at a fraction of the model's cost. Everything
else is the production path: the dense indexes, the embedding cache, the demands' query vectors
embedded when they are written (``opentto reindex`` after the bulk load). ``LOAD_DENSE=0``: the
dense tier off (the benchmark before 7 Dec 2026)."""

import os
from pathlib import Path

# the load database's index and secret key live apart from the demo's (run.py passes the same)
os.environ.setdefault("OPENTTO_VAR_DIR", str(Path(__file__).resolve().parents[2] / "var" / "load"))

from opentto.settings.dev import *  # noqa: F403

DEBUG = False
OPENTTO_MATCHING_DENSE = os.environ.get("LOAD_DENSE", "1") != "0"
OPENTTO_MATCHING_EMBED_FN = "bench.load.vectors.embed"


if os.environ.get("DB_SERVER_SIDE_BINDING") == "1":  # experiment: prepared statements
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True  # noqa: F405
