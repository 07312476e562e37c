"""Fill a database with a district's worth of data for the load benchmark: organisations, people,
``--results`` results (owners, inventors, one patent each, a spread of stages, some landed with
signed deals), ``--demands`` demands, and the users the simulated visitors sign in as (with
session cookies written to ``--sessions``). Rows are bulk-inserted (not through the services:
100,000 onboardings through the services would take hours); the text is generated.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opentto_load nice -n 10 .venv/bin/python bench/load/populate.py

(``run.py`` calls it; it adds nothing when the database already holds ``--results`` results.)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opentto.settings.dev")

import django

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.load.words import WORDS_EN, WORDS_ZH  # noqa: E402
from opentto.accounts.models import User  # noqa: E402
from opentto.core.validators import cn_application_check_char  # noqa: E402
from opentto.landing.models import Deal  # noqa: E402
from opentto.organisations.models import Membership, Organisation, Person  # noqa: E402
from opentto.results.models import IPAsset, Result, ResultInventor, ResultOwner, StageTransition  # noqa: E402

FIELDS = ["ai", "ic", "biomedicine", "medical_devices", "new_materials", "green_energy", "other"]
KINDS = [
    "invention_patent",
    "utility_model",
    "software_copyright",
    "know_how",
    "prototype",
    "drug",
    "medical_device",
    "new_material",
]
STAGES = (
    ["onboarding"] * 30
    + ["evaluation"] * 20
    + ["planning"] * 15
    + ["landing"] * 10
    + ["landed"] * 5
    + ["on_hold"] * 5
    + ["withdrawn"] * 5
    + ["declined"] * 10
)
PASSWORD = "load-test-password-123"


def phrase(rng: random.Random, words: list[str], n: int, sep: str) -> str:
    return sep.join(rng.choice(words) for _ in range(n))


def populate(results: int, demands: int, orgs: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    started = time.monotonic()
    have = Result.objects.count()
    if have >= results:
        print(f"{have} results already there: nothing to add")
        return {"results": have}
    now = timezone.now()
    with transaction.atomic():
        universities = Organisation.objects.bulk_create(
            [
                Organisation(
                    name_zh=f"负载大学{i}",
                    name_en=f"Load University {i}",
                    kind=rng.choice(["university", "institute", "hospital"]),
                )
                for i in range(orgs)
            ]
        )
        enterprises = Organisation.objects.bulk_create(
            [
                Organisation(
                    name_zh=f"负载企业{i}", name_en=f"Load Enterprise {i}", kind="enterprise"
                )
                for i in range(orgs)
            ]
        )
        people = Person.objects.bulk_create(
            [Person(name_zh=f"研究员{i}", name_en=f"Researcher {i}") for i in range(orgs * 10)]
        )
        Membership.objects.bulk_create(
            [
                Membership(person=p, organisation=universities[i % orgs])
                for i, p in enumerate(people)
            ]
        )
    print(f"organisations and people: {time.monotonic() - started:.0f} s")
    batch = 5000
    made = 0
    serial = 0
    while made < results - have:
        n = min(batch, results - have - made)
        with transaction.atomic():
            rows = []
            for _ in range(n):
                onboarded = now - timedelta(days=rng.randint(0, 5 * 365))
                rows.append(
                    Result(
                        title_zh=phrase(rng, WORDS_ZH, 4, ""),
                        title_en=phrase(rng, WORDS_EN, 5, " ").capitalize(),
                        abstract_zh=phrase(rng, WORDS_ZH, 40, ""),
                        abstract_en=phrase(rng, WORDS_EN, 60, " "),
                        details_zh=phrase(rng, WORDS_ZH, 20, ""),
                        kind=rng.choice(KINDS),
                        field=rng.choice(FIELDS),
                        trl=rng.randint(1, 9),
                        keywords_zh=[rng.choice(WORDS_ZH) for _ in range(3)],
                        keywords_en=[rng.choice(WORDS_EN) for _ in range(3)],
                        is_public=rng.random() < 0.6,
                        stage=rng.choice(STAGES),
                        onboarded_at=onboarded,
                        stage_changed_at=onboarded,
                    )
                )
            created = Result.objects.bulk_create(rows, batch_size=1000)
            owners, inventors, assets, transitions = [], [], [], []
            for r in created:
                u = rng.randrange(orgs)
                owners.append(ResultOwner(result=r, organisation=universities[u]))
                inventors.append(
                    ResultInventor(
                        result=r, person=people[u + orgs * rng.randrange(10)], share=Decimal("100")
                    )
                )
                serial += 1
                digits = f"20{10 + serial % 14:02d}1{(have + serial):07d}"
                assets.append(
                    IPAsset(
                        result=r,
                        ip_kind="invention",
                        application_number=f"CN{digits}.{cn_application_check_char(digits)}",
                    )
                )
                transitions.append(
                    StageTransition(
                        result=r, from_stage="", to_stage="onboarding", occurred_at=r.onboarded_at
                    )
                )
                if r.stage == "landed":
                    transitions.append(
                        StageTransition(
                            result=r,
                            from_stage="landing",
                            to_stage="landed",
                            occurred_at=r.onboarded_at + timedelta(days=200),
                        )
                    )
            ResultOwner.objects.bulk_create(owners, batch_size=2000)
            ResultInventor.objects.bulk_create(inventors, batch_size=2000)
            IPAsset.objects.bulk_create(assets, batch_size=2000)
            StageTransition.objects.bulk_create(transitions, batch_size=2000)
            landed = [r for r in created if r.stage == "landed"]
            for r in landed[: max(1, len(landed) // 5)]:
                deal = Deal.objects.create(
                    title=f"Deal {r.pk}",
                    counterparty=rng.choice(enterprises),
                    deal_type="licence_exclusive",
                    amount_cny=Decimal(rng.randint(10_000, 5_000_000)),
                    status="signed",
                    signed_on=(r.onboarded_at + timedelta(days=200)).date(),
                )
                deal.results.add(r)
        made += n
        print(f"results: {have + made}/{results} ({time.monotonic() - started:.0f} s)")
    made_demands = 0
    try:
        from opentto.demands.models import Demand
    except ImportError:
        Demand = None  # type: ignore[assignment,misc]
    if Demand is not None and demands:
        with transaction.atomic():
            Demand.objects.bulk_create(
                [
                    Demand(
                        organisation=rng.choice(enterprises),
                        title_zh=f"需求：{phrase(rng, WORDS_ZH, 3, '')}",
                        title_en=f"Need: {phrase(rng, WORDS_EN, 4, ' ')}",
                        problem_zh=phrase(rng, WORDS_ZH, 30, ""),
                        problem_en=phrase(rng, WORDS_EN, 40, " "),
                        field=rng.choice(FIELDS),
                        is_public=rng.random() < 0.7,
                        status=rng.choice(["open", "open", "matched", "negotiating", "closed_met"]),
                    )
                    for _ in range(demands)
                ],
                batch_size=2000,
            )
        made_demands = demands
    print(f"demands: {made_demands} ({time.monotonic() - started:.0f} s)")
    # As after any bulk load: statistics for the planner and the visibility map for index-only scans.
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"vacuum analyze: done ({time.monotonic() - started:.0f} s)")
    return {"results": Result.objects.count(), "demands": made_demands}


def sessions(path: Path, count: int) -> None:
    """Sign in ``count`` visitors: managers, inventors, enterprise users (a third each)."""
    uni = Organisation.objects.filter(name_en__startswith="Load University").order_by("pk").first()
    ent = Organisation.objects.filter(kind="enterprise").order_by("pk").first()
    out = []
    for i in range(count):
        role, org = [("manager", None), ("inventor", uni), ("enterprise", ent)][i % 3]
        user, created = User.objects.get_or_create(
            username=f"load{i}", defaults={"role": role, "organisation": org}
        )
        if created or not user.has_usable_password():
            user.set_password(PASSWORD)
            user.save()
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        out.append({"role": role, "sessionid": store.session_key})
    path.write_text(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--demands", type=int, default=10_000)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--sessions", type=Path, default=Path("var/load-sessions.json"))
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args()
    print(json.dumps(populate(args.results, args.demands, args.organisations, args.seed)))
    sessions(args.sessions, args.users)


if __name__ == "__main__":
    main()
