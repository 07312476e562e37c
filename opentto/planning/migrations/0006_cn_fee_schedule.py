"""Seed the CNIPA fee schedule as OpenTTO knows it (STANDARDS.md, "Contracts, tax and rights"):
fairly sure for inventions and utility models; design annual fees of years 11–15 not confirmed.
The date the schedule took effect is not confirmed either: it is recorded as in effect from
2000-01-01 so that every due date finds it. An admin corrects or adds schedules in the admin."""

from datetime import date
from decimal import Decimal

from django.db import migrations

SOURCE = (
    "CNIPA fee schedule (专利收费标准) as recorded in OpenTTO's standards (STANDARDS.md, 2026): figures fairly "
    "sure for inventions and utility models; design annual fees of years 11–15 not confirmed. Check CNIPA's "
    "current schedule."
)
NOTE = "Date of effect not confirmed: recorded as in effect from 2000-01-01. Substantive examination applies to inventions only; no re-examination fee figure is recorded."

#: (kind, fee, year_from, year_to, amount, confirmed)
ITEMS = [
    ("invention", "application", None, None, "900", True),
    ("invention", "substantive_examination", None, None, "2500", True),
    ("invention", "annuity", 1, 3, "900", True),
    ("invention", "annuity", 4, 6, "1200", True),
    ("invention", "annuity", 7, 9, "2000", True),
    ("invention", "annuity", 10, 12, "4000", True),
    ("invention", "annuity", 13, 15, "6000", True),
    ("invention", "annuity", 16, 20, "8000", True),
    ("utility", "application", None, None, "500", True),
    ("utility", "annuity", 1, 3, "600", True),
    ("utility", "annuity", 4, 5, "900", True),
    ("utility", "annuity", 6, 8, "1200", True),
    ("utility", "annuity", 9, 10, "2000", True),
    ("design", "application", None, None, "500", True),
    ("design", "annuity", 1, 3, "600", True),
    ("design", "annuity", 4, 5, "900", True),
    ("design", "annuity", 6, 8, "1200", True),
    ("design", "annuity", 9, 10, "2000", True),
    ("design", "annuity", 11, 15, "3000", False),
]


def seed(apps, schema_editor):
    FeeSchedule = apps.get_model("planning", "FeeSchedule")
    FeeScheduleItem = apps.get_model("planning", "FeeScheduleItem")
    schedule, created = FeeSchedule.objects.get_or_create(
        office="CN", effective_from=date(2000, 1, 1), defaults={"source": SOURCE, "note": NOTE},
    )
    if not created:
        return
    FeeScheduleItem.objects.bulk_create([
        FeeScheduleItem(schedule=schedule, patent_kind=kind, fee_kind=fee, year_from=first, year_to=last, amount_cny=Decimal(amount), is_confirmed=confirmed)
        for kind, fee, first, last, amount, confirmed in ITEMS
    ])


def unseed(apps, schema_editor):
    apps.get_model("planning", "FeeSchedule").objects.filter(office="CN", effective_from=date(2000, 1, 1), source=SOURCE).delete()


class Migration(migrations.Migration):
    dependencies = [("planning", "0005_fee_reductions")]
    operations = [migrations.RunPython(seed, unseed)]
