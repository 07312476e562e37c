"""The load benchmark, end to end, in one command (PostgreSQL only):

1. create the database if needed, migrate, and fill it (``populate.py``: 100,000 results,
   10,000 demands, their organisations, then ``VACUUM ANALYZE``; skipped when already filled;
   ~200 s the first time);
2. build the matching app's lexical index and the live demands' fit profiles (``opentto reindex
   --lexical-only --missing``: only what is missing, so a second run starts at once; the profiles
   live in the Redis cache), as a deployment does after a bulk load;
3. start the app under gunicorn on 127.0.0.1 (``--workers`` processes × ``--threads``; settings
   ``bench.load.settings``; Django's cache in Redis, ``--cache-url``);
4. warm up for ``--warmup`` seconds with the same mix (not measured), then drive it from a second
   process (``driver.py``): ``--users`` simulated visitors, ~1 s think time, a mix of list,
   detail, search, API, match and dashboard requests, for ``--duration`` seconds;
5. print p50/p95/p99, failures and timeouts per kind and the verdict against the targets, write
   them to ``--json`` (with the load average before and after), then stop gunicorn.

    .venv/bin/python bench/load/run.py

Capacity (``--step 25 --max 200``): one server, one warm-up, then ``--step``, 2 × ``--step``, …
visitors for ``--duration`` seconds each, until a step misses a target (``--keep-going``: all
steps); prints and writes (``--json``) the highest number of visitors at which every kind met its
p95 target, beside the machine's list-page CPU per request (``service_times.py list``, measured
first) so that capacities of different machines can be compared. The dense tier is on (synthetic
vectors, ``bench/load/vectors.py``); ``--no-dense`` turns it off.

The figures are only meaningful on an idle machine: the load average is printed first and, with
``--require-idle``, a busy machine stops the run. Exit status: the driver's (1 when a target is
missed or a request failed or timed out).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def redis_reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or 6379), timeout=2
        ) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cpu_ticks() -> tuple[int, int] | None:
    """(busy, total) clock ticks of all CPUs since boot (user, nice, system, irq… / all), None
    where /proc/stat is missing."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/opentto_load")
    parser.add_argument(
        "--cache-url",
        default="redis://127.0.0.1:6379/15",
        help="Django's cache (figures); '' for each worker's own memory",
    )
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--demands", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument(
        "--warmup",
        type=float,
        default=20,
        help="seconds of the same mix before the clock starts (not measured)",
    )
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds before a request counts as timed out"
    )
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--worker-class",
        default="gthread",
        help="gunicorn's worker class: gthread, or sync (one request at a time per process, as behind nginx)",
    )
    parser.add_argument(
        "--keep-alive",
        type=int,
        default=5,
        help="gunicorn's --keep-alive seconds; 0 closes each connection after its response",
    )
    parser.add_argument("--json", type=Path, default=ROOT / "var" / "load-report.json")
    parser.add_argument(
        "--trace",
        type=Path,
        help="the measured requests, one line each (start, ms, kind, path): to see when slow answers bunch",
    )
    parser.add_argument(
        "--no-index",
        action="store_true",
        help="do not build the search index; leave out search and match requests",
    )
    parser.add_argument(
        "--require-idle", action="store_true", help="stop when the 1-minute load average is above 1"
    )
    parser.add_argument(
        "--no-dense",
        action="store_true",
        help="the dense (embedding) tier off (LOAD_DENSE=0), as before 7 Dec 2026",
    )
    parser.add_argument(
        "--step",
        type=int,
        default=0,
        help="capacity: run --step, 2×--step, … visitors up to --max, --duration seconds each, "
        "and report the highest number at which every kind met its p95 target",
    )
    parser.add_argument(
        "--max", type=int, default=200, help="capacity: the most visitors tried (with --step)"
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="capacity: go on stepping after a step misses a target",
    )
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        raise SystemExit("the load benchmark runs on PostgreSQL")
    load = os.getloadavg()
    print(
        f"load average (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores"
    )
    if load[0] > 1.0:
        print(
            "WARNING: the machine is not idle: wall-clock figures will be inflated by the other work"
        )
        if args.require_idle:
            raise SystemExit(2)
    var = ROOT / "var" / "load"
    var.mkdir(parents=True, exist_ok=True)
    cache_url = args.cache_url if args.cache_url and redis_reachable(args.cache_url) else ""
    if args.cache_url and not cache_url:
        print(
            f"WARNING: {args.cache_url} does not answer: each worker caches the figures in its own memory"
        )
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "bench.load.settings",
        "DEBUG": "0",
        "CACHE_URL": cache_url,
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "plain",
        "DB_CONN_MAX_AGE": "60",
        "OPENTTO_VAR_DIR": str(var),
        "CELERY_BROKER_URL": "",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
        "LOAD_DENSE": "0" if args.no_dense else "1",
    }
    steps = list(range(args.step, args.max + 1, args.step)) if args.step > 0 else [args.users]
    py = sys.executable
    nice = ["nice", "-n", "10"]
    ensure_database(args.database_url)
    t = time.monotonic()
    subprocess.run(
        [py, "-m", "opentto", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    sessions_path = var / "sessions.json"
    subprocess.run(
        [
            *nice,
            py,
            str(HERE / "populate.py"),
            "--results",
            str(args.results),
            "--demands",
            str(args.demands),
            "--users",
            str(max(steps)),
            "--sessions",
            str(sessions_path),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    print(f"database ready in {time.monotonic() - t:.0f} s")
    # The matching index is built before the clock starts, as a deployment would after a bulk load;
    # otherwise the first searches and result pages find it building.
    if args.no_index:
        print("search index: not built (--no-index): search and match requests left out")
    else:
        t = time.monotonic()
        # With the dense tier on: the dense indexes over the synthetic vectors and the live demands'
        # query vectors too (bench/load/vectors.py; ≈ 10 min the first time on a busy machine).
        built = subprocess.run(
            [
                *nice,
                py,
                "-m",
                "opentto",
                "reindex",
                "--missing",
                *(["--lexical-only"] if args.no_dense else []),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if built.returncode != 0:
            raise SystemExit(f"search index not built: {built.stderr[-600:]}")
        print(
            f"search index ready in {time.monotonic() - t:.0f} s (dense tier {'off' if args.no_dense else 'on'}): "
            + "; ".join(
                line.strip()
                for line in built.stdout.splitlines()
                if "documents" in line or "demand queries" in line
            )
        )
    plan_code = (
        "import json; from opentto.results.models import Result; ids=list(Result.objects.filter(is_public=True).values_list('pk', flat=True)[:5000]);"
        "\ntry:\n    from opentto.demands.models import Demand; d=list(Demand.objects.filter(status='open').values_list('pk', flat=True)[:500])"
        "\nexcept Exception:\n    d=[]\nprint(json.dumps({'result_ids': ids, 'demand_ids': d}))"
        # A fresh figures version: nothing cached by an earlier run (of another database) is read.
        "\nfrom opentto.core.cache import bump_figures_version; bump_figures_version()"
    )
    out = subprocess.run(
        [py, "-m", "opentto", "shell", "--no-imports", "-c", plan_code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    plan = json.loads(out.strip().splitlines()[-1])
    plan["sessions"] = json.loads(sessions_path.read_text())
    plan_path = var / "plan.json"
    plan_path.write_text(json.dumps(plan))
    # The machine's speed, to compare capacities measured on different machines: the list page's
    # CPU per request (service_times.py, in-process, one request at a time).
    list_cpu = None
    times = subprocess.run(
        [
            py,
            str(HERE / "service_times.py"),
            "--role",
            "manager",
            "--n",
            "30",
            "--plan",
            str(plan_path),
            "--json",
            str(var / "list-cpu.json"),
            "list",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if times.returncode == 0:
        list_cpu = json.loads((var / "list-cpu.json").read_text())["kinds"]["list"]["cpu_p50"]
        print(
            f"list page CPU p50 on this machine: {list_cpu} ms (service_times.py --role manager list)"
        )
    else:
        print(f"WARNING: list page CPU not measured: {times.stderr[-300:]}")
    port = args.port or free_port()
    log = var / "gunicorn.log"
    server = subprocess.Popen(
        [
            py,
            "-m",
            "gunicorn",
            "opentto.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--worker-class",
            args.worker_class,
            "--timeout",
            "60",
            "--keep-alive",
            str(args.keep_alive),
            "--log-level",
            "warning",
            "--error-logfile",
            str(log),
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    code = 1
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(240):
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited: see {log}")
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit("gunicorn did not come up")
        drive = [
            py,
            str(HERE / "driver.py"),
            "--base",
            base,
            "--think",
            str(args.think),
            "--timeout",
            str(args.timeout),
            "--plan",
            str(plan_path),
        ] + (["--skip", "search,match"] if args.no_index else [])
        if args.warmup > 0:
            warm = subprocess.run(
                [
                    *drive,
                    "--users",
                    str(steps[0]),
                    "--duration",
                    str(args.warmup),
                    "--json",
                    str(var / "warmup.json"),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            summary = (
                json.loads((var / "warmup.json").read_text())
                if (var / "warmup.json").exists()
                else {}
            )
            print(
                f"warm-up: {args.warmup:.0f} s, {summary.get('requests', '?')} requests (not measured; exit {warm.returncode})"
            )
        reports: list[dict[str, object]] = []
        for users in steps:
            print(
                f"driving {base} with {users} visitors for {args.duration:.0f} s (gunicorn: {args.workers} workers × {args.threads} threads, "
                f"cache: {'Redis' if cache_url else 'per-process memory'})",
                flush=True,
            )
            out = args.json if not args.step else var / f"step-{users}.json"
            measured = [
                *drive,
                "--users",
                str(users),
                "--duration",
                str(args.duration),
                "--json",
                str(out),
            ] + (["--trace", str(args.trace)] if args.trace else [])
            before = _cpu_ticks()
            code = subprocess.run(measured, cwd=ROOT, check=False).returncode
            after = _cpu_ticks()
            busy_cores = None
            if before and after:  # Linux: how busy the machine was while measured (all processes)
                busy, total = after[0] - before[0], after[1] - before[1]
                busy_cores = round(busy / max(total, 1) * (os.cpu_count() or 1), 2)
                print(
                    f"CPU busy while measured: {busy_cores:.2f} of {os.cpu_count()} cores (/proc/stat)"
                )
            report = json.loads(out.read_text()) if out.exists() else {}
            reports.append(
                {
                    "users": users,
                    "passed": code == 0,
                    "cpu_busy_cores": busy_cores,
                    "report": report,
                }
            )
            if code != 0 and not args.keep_going:
                break
        if args.step:
            passed = [r["users"] for r in reports]
            first_miss = next((r["users"] for r in reports if not r["passed"]), None)
            capacity = max(
                (
                    r["users"]
                    for r in reports
                    if r["passed"] and (first_miss is None or r["users"] < first_miss)
                ),
                default=0,
            )  # type: ignore[type-var]
            print(
                f"capacity: {capacity} visitors (1 s think time) with every kind within its p95 target; "
                f"steps tried {passed}, first missed {first_miss}; list page CPU p50 {list_cpu} ms on this machine"
            )
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps(
                    {
                        "capacity_users": capacity,
                        "first_missed": first_miss,
                        "list_cpu_p50_ms": list_cpu,
                        "dense": not args.no_dense,
                        "steps": reports,
                    },
                    indent=2,
                )
            )
            code = 0 if capacity else 1
        print(f"report: {args.json}; server log: {log}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    sys.exit(code)


if __name__ == "__main__":
    main()
