"""Settings of the load benchmark: the embedded defaults (``opentto.settings.dev``) as a
production site would run them — ``DEBUG`` off, PostgreSQL from ``DATABASE_URL``, Django's cache in
Redis when ``CACHE_URL`` names it (``run.py`` does), persistent database connections — with the
matching app's dense (embedding) tier off: the benchmark's 100,000 texts are generated, and
embedding them would take hours, so search and matching run on the lexical index."""

import os
from pathlib import Path

# the load database's index and secret key live apart from the demo's (run.py passes the same)
os.environ.setdefault("OPENTTO_VAR_DIR", str(Path(__file__).resolve().parents[2] / "var" / "load"))

from opentto.settings.dev import *  # noqa: E402, F403

DEBUG = False
OPENTTO_MATCHING_DENSE = False


if os.environ.get("DB_SERVER_SIDE_BINDING") == "1":  # experiment: prepared statements
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True  # noqa: F405
