"""Scratch databases for tests that run OpenTTO in other processes (a killed import, a real Celery
worker, backup and restore): a fresh SQLite file, or — when the suite runs on PostgreSQL — a fresh
PostgreSQL database next to the test database, dropped afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(sql)


def _new_database_url(tmp_path: Path) -> tuple[str, str | None]:
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.postgresql":
        name = f"opentto_ops_{uuid.uuid4().hex[:10]}"
        _pg_admin("", f'CREATE DATABASE "{name}"')
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}", name
    return f"sqlite:///{tmp_path / f'opentto-{uuid.uuid4().hex[:8]}.sqlite3'}", None


class Site:
    """An OpenTTO installation in a scratch database, driven through the ``opentto`` command."""

    def __init__(self, url: str, home: Path) -> None:
        self.url = url
        self.home = home

    @property
    def env(self) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}
        }
        env.update(
            {
                "DATABASE_URL": self.url,
                "DJANGO_SETTINGS_MODULE": "opentto.settings.test",
                "OPENTTO_VAR_DIR": str(self.home),
                "MEDIA_ROOT": str(self.home / "media"),
                "LOG_FORMAT": "plain",
                "PYTHONUNBUFFERED": "1",
                "OPENTTO_AUDIT_ANCHOR_FILE": str(self.home / "audit_anchor.json"),
            }
        )
        return env

    def command(
        self, *args: str, check: bool = True, timeout: float = 300, **kwargs: object
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "opentto", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            **kwargs,
        )  # type: ignore[call-overload]
        if check and done.returncode != 0:
            raise AssertionError(
                f"opentto {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            )
        return done  # type: ignore[no-any-return]

    def python(self, code: str) -> str:
        return self.command("shell", "--no-imports", "-c", code).stdout.strip()

    def popen(self, *args: str, **kwargs: object) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "opentto", *args], cwd=ROOT, env=self.env, text=True, **kwargs
        )  # type: ignore[call-overload]


SETUP_CODE = """
from opentto.accounts.models import User
from opentto.organisations.models import Organisation, Person, Membership
u = User.objects.create_user("importer", password="x-very-long-password", role="manager", email="m@example.org")
org = Organisation.objects.create(name_zh="测试大学", name_en="Test University", kind="university")
p = Person.objects.create(name_zh="李明", name_en="Li Ming")
Membership.objects.create(person=p, organisation=org)
"""


def _copy_database(template: str, tmp_path: Path) -> tuple[str, str | None]:
    """A new scratch database holding what ``template`` holds (a file copy, or CREATE DATABASE … TEMPLATE)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.postgresql":
        name = f"opentto_ops_{uuid.uuid4().hex[:10]}"
        source = template.rsplit("/", 1)[1]
        _pg_admin("", f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        return template.rsplit("/", 1)[0] + "/" + name, name
    target = tmp_path / f"opentto-{uuid.uuid4().hex[:8]}.sqlite3"
    shutil.copyfile(template.removeprefix("sqlite:///"), target)
    return f"sqlite:///{target}", None


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One freshly migrated installation per test process; each site starts as a copy of it.

    ``migrate`` from nothing costs a minute of CPU (more on PostgreSQL), and every scratch site used to
    run it; a copy of the database (and of the site's var directory: its audit anchor and key) is
    the same installation for a fraction of that."""
    tmp = tmp_path_factory.mktemp("ops-template")
    url, pg_name = _new_database_url(tmp)
    home = tmp / "var"
    home.mkdir()
    template = Site(url, home)
    try:
        template.command("migrate", "--noinput", "-v0")
        yield template
    finally:
        if pg_name:
            _pg_admin("", f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def _site_from(template: Site, tmp_path: Path, home_name: str) -> tuple[Site, str | None]:
    url, pg_name = _copy_database(template.url, tmp_path)
    home = tmp_path / home_name
    shutil.copytree(template.home, home)
    return Site(url, home), pg_name


@pytest.fixture
def site(migrated_template: Site, tmp_path: Path) -> Iterator[Site]:
    """A migrated installation with one manager (``importer``), one university and one researcher."""
    s, pg_name = _site_from(migrated_template, tmp_path, "var")
    try:
        s.python(SETUP_CODE)
        yield s
    finally:
        if pg_name:
            _pg_admin("", f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


@pytest.fixture
def blank_site(migrated_template: Site, tmp_path: Path) -> Iterator[Site]:
    """A freshly migrated installation holding no data (what ``migrate`` leaves), e.g. a restore target."""
    s, pg_name = _site_from(migrated_template, tmp_path, "var2")
    try:
        yield s
    finally:
        if pg_name:
            _pg_admin("", f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
