"""OpenTTO started against a database that refuses connections (PostgreSQL on a closed port, an
SQLite file that cannot be opened): liveness holds, readiness fails naming the database, the API
answers JSON 503 and pages a bilingual 503 page — no traceback anywhere a visitor looks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
answers = {}
for path in ["/healthz/live", "/healthz/ready", "/healthz", "/api/v1/results/", "/en/", "/zh-hans/results/"]:
    response = client.get(path)
    answers[path] = [response.status_code, response["Content-Type"], response.content.decode()]
print(json.dumps(answers))
"""


@pytest.mark.parametrize(
    "url",
    ["postgres://opentto@127.0.0.1:1/opentto", "sqlite:////nonexistent-directory/opentto.sqlite3"],
)
def test_a_database_that_refuses_connections(url: str, tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"}
    }
    env.update(
        {
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "opentto.settings.test",
            "OPENTTO_VAR_DIR": str(tmp_path),
            "LOG_FORMAT": "json",
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)

    status, content_type, body = answers["/healthz/live"]
    assert (status, content_type) == (200, "application/json") and json.loads(body)[
        "status"
    ] == "ok"
    for path in ("/healthz/ready", "/healthz"):
        status, _type, body = answers[path]
        data = json.loads(body)
        assert (
            status == 503
            and data["failed"] == ["database"]
            and data["database"]["error"] == "OperationalError"
        )
        assert data["cache"]["ok"] is True

    status, content_type, body = answers["/api/v1/results/"]
    assert (status, content_type) == (503, "application/json") and set(json.loads(body)) == {
        "detail"
    }
    for path in ("/en/", "/zh-hans/results/"):
        status, content_type, body = answers[path]
        assert status == 503 and content_type == "text/html; charset=utf-8"
        assert "暂时无法访问" in body and "Temporarily unavailable" in body
        assert (
            "Traceback" not in body and "OperationalError" not in body and "127.0.0.1" not in body
        )
    # The log says what happened, as JSON lines.
    logged = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert any(
        entry["logger"] == "opentto.health" and "database unavailable" in entry["message"]
        for entry in logged
    )
