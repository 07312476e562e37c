"""Time single requests in-process (Django test client) against the load database, with their
queries: what one request costs with nothing else running, and where the time goes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opentto_load \\
        nice -n 10 .venv/bin/python bench/load/profile.py --role manager /en/results/ /en/dashboard/

Each path is requested ``--repeat`` times (the first call warms caches and is reported apart);
prints the median of the others, the number of queries and, with ``--queries N``, the N slowest.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file's directory comes first on sys.path, and its name would shadow the standard library's
# ``profile`` (which cProfile imports): put the repository root there instead.
sys.path[0] = str(Path(__file__).resolve().parents[2])

import argparse  # noqa: E402
import cProfile  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.load.settings")
os.environ.setdefault("DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from opentto.accounts.models import User  # noqa: E402

DEFAULT_PATHS = [
    "/en/results/",
    "/en/results/?page=37",
    "/zh-hans/results/?field=ai&page=12",
    "/en/organisations/",
    "/en/results/{result}/",
    "/en/search/?q=robot",
    "/api/v1/results/",
    "/api/v1/results/{result}/",
    "/api/v1/results/?field=ai",
    "/en/demands/{demand}/matches/",
    "/en/dashboard/",
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "paths",
        nargs="*",
        help="paths ({result} and {demand} are replaced by a public result's / open demand's id)",
    )
    parser.add_argument(
        "--role",
        default="",
        help="sign in as the first load user of this role (manager, inventor, enterprise); anonymous if empty",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--queries", type=int, default=0, help="show the N slowest queries of the last call"
    )
    parser.add_argument(
        "--cprofile",
        type=int,
        default=0,
        help="profile the last call and show its N costliest functions (cumulative)",
    )
    args = parser.parse_args()
    from opentto.results.models import Result

    result = Result.objects.filter(is_public=True).order_by("pk").values_list("pk", flat=True)[500]
    try:
        from opentto.demands.models import Demand

        demand = (
            Demand.objects.filter(status="open").order_by("pk").values_list("pk", flat=True).first()
        )
    except ImportError:
        demand = None
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if args.role:
        user = (
            User.objects.filter(role=args.role, username__startswith="load").order_by("pk").first()
        )
        if user is None:
            raise SystemExit(f"no load user with role {args.role}: run populate.py first")
        client.force_login(user)
    print(
        f"{'path':<45} {'status':>6} {'first ms':>9} {'median ms':>9} {'queries':>7} {'db ms':>7}"
    )
    for template in args.paths or DEFAULT_PATHS:
        path = template.format(result=result, demand=demand)
        times: list[float] = []
        profiler = None
        for i in range(max(args.repeat, 1)):
            if args.cprofile and i == max(args.repeat, 1) - 1:
                # PROFILE_CPU=1: this process's CPU time, not the wall clock (the database's time left out)
                profiler = (
                    cProfile.Profile(time.process_time)
                    if os.environ.get("PROFILE_CPU") == "1"
                    else cProfile.Profile()
                )
                profiler.enable()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
            if profiler is not None:
                profiler.disable()
        db_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
        rest = times[1:] or times
        print(
            f"{path[:45]:<45} {response.status_code:>6} {times[0]:>9.0f} {statistics.median(rest):>9.0f} {len(queries):>7} {db_ms:>7.0f}"
        )
        for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[: args.queries]:
            print(f"    {float(q['time']) * 1000:7.1f} ms  {q['sql'][:300]}")
        if profiler is not None:
            pstats.Stats(profiler).sort_stats(
                os.environ.get("PROFILE_SORT", "cumulative")
            ).print_stats(args.cprofile)


if __name__ == "__main__":
    main()
