"""A real Celery worker on the machine's Redis (a dedicated database number) runs an import in the
background while the web side only enqueues it and watches its progress."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.imports.helpers import RESULT_HEADERS, result_rows, xlsx_file

from .conftest import ROOT, Site

REDIS_DB = 11


def redis_url() -> str:
    return os.environ.get("OPENTTO_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{REDIS_DB}")


@pytest.fixture
def broker() -> str:
    import redis

    url = redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:
        pytest.skip(
            f"Redis does not answer at {url} ({exc}); CI provides it. The background-task test needs a real broker."
        )
    redis.Redis.from_url(url).flushdb()
    return url


def test_import_runs_in_a_real_worker(site: Site, broker: str, tmp_path: Path) -> None:
    env = {
        **site.env,
        "CELERY_BROKER_URL": broker,
        "DJANGO_SETTINGS_MODULE": "opentto.settings.dev",
        "SECRET_KEY": "worker-test-" + uuid.uuid4().hex,
    }
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "opentto",
            "worker",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "--queues",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
            "--hostname",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        path = tmp_path / "r.xlsx"
        path.write_bytes(xlsx_file(RESULT_HEADERS, result_rows(40, "测试大学", "李明", bad={5})))
        enqueue = f"""
from django.core.files.base import ContentFile
from opentto.accounts.models import User
from opentto.imports.services import import_job_create
from opentto.imports.tasks import import_run_task
job = import_job_create(kind="results", file=ContentFile(open({str(path)!r}, "rb").read(), name="r.xlsx"), actor=User.objects.get(username="importer"), dry_run=False, language="en")
import_run_task.apply_async(args=[job.pk], queue={queue!r})
print(job.token)
"""
        done = subprocess.run(
            [sys.executable, "-m", "opentto", "shell", "--no-imports", "-c", enqueue],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        token = done.stdout.strip().splitlines()[-1]
        status = ""
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            status = site.python(
                f"from opentto.imports.models import ImportJob; j=ImportJob.objects.get(token={token!r}); print(j.status, j.created_count, j.error_count)"
            )
            if status.split()[0] in {"done", "failed", "refused"}:
                break
            assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
            time.sleep(1)
        assert status == "done 39 1", status
        assert (
            site.python("from opentto.results.models import Result; print(Result.objects.count())")
            == "39"
        )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
