"""The load benchmark, end to end (PostgreSQL only):

1. create the database if needed, migrate, and fill it (``populate.py``: 100,000 results,
   10,000 demands, their organisations; skipped when already filled);
2. start the app under gunicorn on 127.0.0.1 (``--workers`` processes × ``--threads``);
3. drive it from a second process (``driver.py``): 50 simulated visitors, ~1 s think time, a mix
   of list, detail, search, API, match and dashboard requests, for ``--duration`` seconds;
4. print p50/p95/p99 and errors per kind, then stop gunicorn.

    .venv/bin/python bench/load/run.py --database-url postgres://postgres@127.0.0.1:5432/opentto_load
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def ensure_database(url: str) -> None:
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/opentto_load")
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--demands", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--json", type=Path, default=ROOT / "var" / "load-report.json")
    parser.add_argument("--no-index", action="store_true", help="do not build the search index; leave out search and match requests")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        raise SystemExit("the load benchmark runs on PostgreSQL")
    var = ROOT / "var" / "load"
    var.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": args.database_url, "DJANGO_SETTINGS_MODULE": "opentto.settings.dev", "DEBUG": "0",
           "LOG_LEVEL": "WARNING", "DB_CONN_MAX_AGE": "60", "OPENTTO_VAR_DIR": str(var), "CELERY_BROKER_URL": ""}
    py = sys.executable
    ensure_database(args.database_url)
    t = time.monotonic()
    subprocess.run([py, "-m", "opentto", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    sessions_path = var / "sessions.json"
    subprocess.run([py, str(HERE / "populate.py"), "--results", str(args.results), "--demands", str(args.demands), "--users", str(args.users),
                    "--sessions", str(sessions_path)], cwd=ROOT, env=env, check=True)
    print(f"database ready in {time.monotonic() - t:.0f} s")
    # The search/matching index (the matching app's, under var/load/index) is built before the
    # clock starts, as a deployment would after a bulk load; otherwise the first searches build it.
    t = time.monotonic()
    build = "" if args.no_index else ("from opentto.demands import index\nfor name in ('results-lex', 'details', 'demands-lex'):\n"
             "    print(name, index.tier(name).sync())")
    built = subprocess.run([py, "-m", "opentto", "shell", "--no-imports", "-c", build or "pass"], cwd=ROOT, env=env, capture_output=True, text=True)
    print("search index: not built (--no-index)") if args.no_index else print(f"search index: {built.stdout.split()} in {time.monotonic() - t:.0f} s" if built.returncode == 0 else f"search index not built: {built.stderr[-300:]}")
    plan_code = (
        "import json; from opentto.results.models import Result; ids=list(Result.objects.filter(is_public=True).values_list('pk', flat=True)[:5000]);"
        "\ntry:\n    from opentto.demands.models import Demand; d=list(Demand.objects.filter(status='open').values_list('pk', flat=True)[:500])"
        "\nexcept Exception:\n    d=[]\nprint(json.dumps({'result_ids': ids, 'demand_ids': d}))"
    )
    out = subprocess.run([py, "-m", "opentto", "shell", "--no-imports", "-c", plan_code], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    plan = json.loads(out.strip().splitlines()[-1])
    plan["sessions"] = json.loads(sessions_path.read_text())
    plan_path = var / "plan.json"
    plan_path.write_text(json.dumps(plan))
    if not args.port:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    server = subprocess.Popen([py, "-m", "gunicorn", "opentto.wsgi:application", "--bind", f"127.0.0.1:{args.port}", "--workers", str(args.workers),
                               "--threads", str(args.threads), "--worker-class", "gthread", "--timeout", "60", "--log-level", "warning"],
                              cwd=ROOT, env=env, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(120):
            if server.poll() is not None:
                raise SystemExit("gunicorn exited")
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit("gunicorn did not come up")
        for path in ("/en/results/", "/en/dashboard/", *(() if args.no_index else ("/en/search/?q=robot",))):  # warm each worker
            for _ in range(args.workers):
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(base + path, timeout=30).read()
        print(f"driving {base} with {args.users} visitors for {args.duration:.0f} s (gunicorn: {args.workers} workers × {args.threads} threads)")
        subprocess.run([py, str(HERE / "driver.py"), "--base", base, "--users", str(args.users), "--duration", str(args.duration),
                        "--think", str(args.think), "--plan", str(plan_path), "--json", str(args.json)] + (["--skip", "search,match"] if args.no_index else []), cwd=ROOT, check=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
