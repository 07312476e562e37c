"""How long "My work" takes on the demo: the header's count (every source, once per request) and
the whole page, per demo user, median of ``--repeat`` runs, with the number of SQL queries.

    OPENTTO_VAR_DIR=/path/to/var .venv/bin/python bench/worklist/run.py [--repeat 20]

Run it against a database where ``opentto load_demo`` has run (the default SQLite under
``OPENTTO_VAR_DIR``, or ``DATABASE_URL``)."""

from __future__ import annotations

import argparse
import os
import statistics
import time


class QueryCounter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.n += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opentto.settings.dev")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import translation

    from opentto.accounts.models import User
    from opentto.worklist.selectors import work_items

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    print(f"database: {connection.vendor}; median of {args.repeat} runs")
    print("| user | items | count: ms | count: queries | page: ms | page: queries |")
    print("|---|---|---|---|---|---|")
    for username in (
        "admin",
        "manager",
        "inventor",
        "enterprise",
        "reviewer",
        "official",
        "investor",
    ):
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        counts, pages = [], []
        with translation.override("en"):
            with connection.execute_wrapper(counter := QueryCounter()):
                items = work_items(user)
            count_queries = counter.n
            for _ in range(args.repeat):
                fresh = User.objects.get(pk=user.pk)  # no grants cached on the object
                start = time.perf_counter()
                work_items(fresh)
                counts.append((time.perf_counter() - start) * 1000)
        client = Client()
        client.force_login(user)
        with connection.execute_wrapper(counter := QueryCounter()):
            assert client.get("/en/my-work/").status_code == 200
        page_queries = counter.n
        for _ in range(args.repeat):
            start = time.perf_counter()
            client.get("/en/my-work/")
            pages.append((time.perf_counter() - start) * 1000)
        print(
            f"| {username} | {len(items)} | {statistics.median(counts):.1f} | {count_queries} | "
            f"{statistics.median(pages):.1f} | {page_queries} |"
        )


if __name__ == "__main__":
    main()
