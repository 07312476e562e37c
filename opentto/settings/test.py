"""Settings for the test suite (SQLite by default; DATABASE_URL selects PostgreSQL)."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")

from .base import *  # noqa: F403
from .base import VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "test-media"
# A fresh search index per test run: runs on SQLite and PostgreSQL must not share one.
OPENTTO_INDEX_DIR = Path(tempfile.mkdtemp(prefix="opentto-test-index-"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The embedding model loads in seconds and embeds slowly: tests that need it turn it on.
OPENTTO_MATCHING_DENSE = False
OPENTTO_INDEX_SYNC_SECONDS = 0.0  # tests write around the services and search at once
# Figures are computed afresh in tests (factories write around the services that bump the cache);
# tests/dashboard/test_cache.py turns the figures cache on.
OPENTTO_FIGURES_CACHE_SECONDS = 0
# Four-eyes plan approval: tests/planning/test_plan_workflow.py turns it on where it tests it.
OPENTTO_PLAN_FOUR_EYES = False
# The audit anchor (opentto/core/audit_anchor.py) is off: tests share one process across many
# databases and chains. tests/security/test_audit_anchor.py turns it on in a temporary directory;
# the scratch sites of tests/ops set OPENTTO_AUDIT_ANCHOR_FILE.
OPENTTO_AUDIT_ANCHOR_FILE = (
    Path(os.environ["OPENTTO_AUDIT_ANCHOR_FILE"])
    if os.environ.get("OPENTTO_AUDIT_ANCHOR_FILE")
    else None
)
# `make test-fast` keeps its SQLite test databases in files so that `pytest --reuse-db` can keep
# them between runs (an in-memory database cannot be reused); pytest-xdist appends `_gw0`, `_gw1`.
if (
    os.environ.get("OPENTTO_TEST_DB_FILE")
    and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"  # noqa: F405
):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["OPENTTO_TEST_DB_FILE"]}  # noqa: F405
