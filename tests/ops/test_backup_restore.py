"""``opentto backup`` → ``opentto restore`` into an empty database gives the same figures."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from .conftest import Site

DATA = """
import datetime
from decimal import Decimal
from opentto.accounts.models import User
from opentto.landing.models import Deal
from opentto.organisations.models import Organisation, Person
from opentto.results.services import InventorInput, IPAssetInput, ResultInput, result_onboard
u = User.objects.get(username="importer")
org = Organisation.objects.get(name_zh="测试大学")
ent = Organisation.objects.create(name_zh="受让企业", kind="enterprise")
p = Person.objects.get(name_zh="李明")
made = []
for i, (number, public) in enumerate([("CN202210123456.1", True), ("", False), ("", True)]):
    made.append(result_onboard(data=ResultInput(kind="invention_patent", field="ai", trl=3 + i, owners=[org], title_zh=f"备份测试{i}",
        inventors=[InventorInput(person=p, share=Decimal("100"))], is_public=public,
        ip_assets=[IPAssetInput(application_number=number)] if number else []), actor=u))
deal = Deal.objects.create(title="许可", counterparty=ent, deal_type="licence_exclusive", amount_cny=Decimal("1234567.89"),
                           status="signed", signed_on=datetime.date(2025, 6, 1))
deal.results.add(made[0])
"""


def test_round_trip_gives_the_same_figures(site: Site, empty_site: Site, tmp_path: Path) -> None:
    site.python(DATA)
    figures = json.loads(site.command("figures", "--json").stdout)
    assert figures["results_incubated"] == 3 and figures["transaction_value_cny"] == "1234567.89"
    backup = tmp_path / "opentto.tar.gz"
    site.command("backup", str(backup))
    with tarfile.open(backup) as archive:
        names = archive.getnames()
        manifest = json.loads(archive.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert "manifest.json" in names and manifest["figures"] == figures
    assert ("database.pgdump" in names) or ("database.sqlite3" in names)

    empty_site.command("migrate", "--noinput", "-v0")  # freshly migrated, no data
    empty_site.command("restore", str(backup))
    assert json.loads(empty_site.command("figures", "--json").stdout) == figures

    # Now it holds data: refused without --force, and nothing changes.
    refused = empty_site.command("restore", str(backup), check=False)
    assert refused.returncode != 0 and "holds data" in refused.stderr
    assert json.loads(empty_site.command("figures", "--json").stdout) == figures
    empty_site.command("restore", str(backup), "--force")
    assert json.loads(empty_site.command("figures", "--json").stdout) == figures


def test_restore_refuses_what_is_not_a_backup(site: Site, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as archive:
        archive.add(__file__, arcname="../../evil.py")
    done = site.command("restore", str(bogus), check=False)
    assert done.returncode != 0 and "suspicious" in done.stderr
