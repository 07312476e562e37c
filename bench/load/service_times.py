"""Service time of each kind of request of the load mix, one at a time, in-process (Django test
client against the load database): wall and process-CPU milliseconds over ``--n`` random pages of
each kind (random results and demands of ``var/load/plan.json``, written by ``run.py``).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opentto_load DJANGO_SETTINGS_MODULE=bench.load.settings \\
        CACHE_URL=redis://127.0.0.1:6379/15 PYTHONPATH=. .venv/bin/python bench/load/service_times.py \\
        --role manager detail match list search api dashboard

The index is opened first (as a gunicorn worker does); the first request of each kind is not
counted. What a request costs with the machine to itself: the load benchmark's latencies are
these plus the waiting. With ``list`` among the kinds, each kind's CPU p50 is also given as a ratio
to the list page's (the targets are ratios: a slower machine moves both).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[2])  # the repository, not bench/load

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.load.settings")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from opentto.accounts.models import User  # noqa: E402
from opentto.search.index import warm  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
WORDS = [
    "robot",
    "chip",
    "valve",
    "battery",
    "sensor",
    "vaccine",
    "laser",
    "image",
    "机器人",
    "芯片",
    "电池",
    "瓣膜",
]


def kinds(
    rng: random.Random, ids: list[int], demand_ids: list[int]
) -> dict[str, Callable[[], str]]:
    return {
        "detail": lambda: f"/en/results/{rng.choice(ids)}/",
        "match": lambda: f"/en/demands/{rng.choice(demand_ids)}/matches/",
        "list": lambda: f"/en/results/?page={rng.randint(1, 50)}",
        "filtered": lambda: (
            f"/zh-hans/results/?field={rng.choice(['ai', 'ic', 'biomedicine'])}&page={rng.randint(1, 50)}"
        ),
        "search": lambda: f"/en/search/?q={rng.choice(WORDS)}",
        "api": lambda: rng.choice(
            ["/api/v1/results/", f"/api/v1/results/{rng.choice(ids)}/", "/api/v1/results/?field=ai"]
        ),
        "dashboard": lambda: "/en/dashboard/",
        "organisations": lambda: "/en/organisations/",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "kinds",
        nargs="+",
        help="detail, match, list, filtered, search, api, dashboard, organisations",
    )
    parser.add_argument(
        "--role",
        default="manager",
        help="sign in as the first load user of this role; '' for anonymous",
    )
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plan", type=Path, default=ROOT / "var" / "load" / "plan.json")
    parser.add_argument(
        "--pool",
        type=int,
        default=0,
        help="draw results and demands from the plan's first N only (0: all): repeat views hit the caches",
    )
    parser.add_argument(
        "--json",
        type=Path,
        help="also write the figures here (with each kind's CPU ratio to the list page)",
    )
    args = parser.parse_args()
    plan = json.loads(args.plan.read_text())
    warm()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if args.role:
        client.force_login(
            User.objects.filter(role=args.role, username__startswith="load").order_by("pk").first()
        )
    pool = args.pool or None  # a few pages viewed again and again: what the per-scope caches save
    paths = kinds(random.Random(args.seed), plan["result_ids"][:pool], plan["demand_ids"][:pool])
    figures: dict[str, dict[str, float]] = {}
    for kind in args.kinds:
        client.get(paths[kind]())  # not counted: first use of the kind's code paths
        walls: list[float] = []
        cpus: list[float] = []
        for _ in range(args.n):
            path = paths[kind]()
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}")
        p90 = lambda v: sorted(v)[int(len(v) * 0.9)]  # noqa: E731
        print(
            f"{kind:13} wall p50 {statistics.median(walls):6.1f} p90 {p90(walls):6.1f} ms | CPU p50 {statistics.median(cpus):6.1f} p90 {p90(cpus):6.1f} ms",
            flush=True,
        )
        figures[kind] = {
            "wall_p50": round(statistics.median(walls), 1),
            "cpu_p50": round(statistics.median(cpus), 1),
            "cpu_p90": round(p90(cpus), 1),
        }
    if "list" in figures:  # the targets are ratios to the list page in the same run
        base = figures["list"]["cpu_p50"]
        for row in figures.values():
            row["cpu_ratio_to_list"] = round(row["cpu_p50"] / base, 2) if base else 0.0
        print(
            "CPU p50 / list's: "
            + ", ".join(f"{kind} {row['cpu_ratio_to_list']:.2f}" for kind, row in figures.items()),
            flush=True,
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"role": args.role, "n": args.n, "kinds": figures}, indent=2)
        )


if __name__ == "__main__":
    main()
