"""``opentto backup`` → ``opentto restore`` into an empty database gives the same figures; the
manifest describes the dump; a damaged, truncated or foreign file is refused with one line and
the target database is left exactly as it was."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

from .conftest import Site

ROWS = "import json; from opentto.core.management.commands.backup import row_counts; print(json.dumps(row_counts()))"
HEAD = "import json; from opentto.core.models import AuditEvent; e = AuditEvent.objects.order_by('-id').first(); print(json.dumps({'id': e.pk, 'hash': e.hash}))"
STATE = "import json; from opentto.core.management.commands.backup import row_counts, audit_state; print(json.dumps([row_counts(), audit_state()['head']]))"

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


def test_round_trip_gives_the_same_figures(site: Site, blank_site: Site, tmp_path: Path) -> None:
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
    assert manifest["format"] == "opentto-backup/2"
    assert json.loads(site.python(ROWS)) == manifest["rows"]  # nothing was written since
    assert manifest["rows"]["results_result"] == 3 and manifest["rows"]["landing_deal"] == 1
    head = json.loads(site.python(HEAD))
    assert (
        manifest["audit"]["head"] == head
        and manifest["audit"]["entries"] == manifest["rows"]["core_auditevent"]
    )
    assert (
        manifest["audit"]["anchor"]["id"] == head["id"]
    )  # the site anchored its head on every commit

    restored = blank_site.command("restore", str(backup))
    assert json.loads(blank_site.command("figures", "--json").stdout) == figures
    rows = manifest["rows"]
    assert restored.stdout.splitlines()[0] == (
        f"restored {backup} ({manifest['engine']}, made {manifest['created_at']}): {len(rows)} tables, {sum(rows.values())} rows "
        f"(accounts_user: {rows['accounts_user']}, organisations_organisation: 2, results_result: 3, "
        f"core_auditevent: {rows['core_auditevent']}), 0 media files"
    )
    assert f"row counts match the backup's manifest ({len(rows)} tables)" in restored.stdout
    assert (
        f"audit chain: {manifest['audit']['entries']} entries, intact, head #{head['id']} as in the backup"
        in restored.stdout
    )
    # The restore is itself recorded, and the target's anchor now follows the restored chain.
    assert "OK: " in blank_site.command("audit", "verify").stdout
    assert json.loads(blank_site.python(HEAD))["id"] > head["id"]

    # Now it holds data: refused without --force, and nothing changes.
    refused = blank_site.command("restore", str(backup), check=False)
    assert refused.returncode != 0 and "holds data" in refused.stderr
    assert json.loads(blank_site.command("figures", "--json").stdout) == figures
    blank_site.command("restore", str(backup), "--force")
    assert json.loads(blank_site.command("figures", "--json").stdout) == figures


def test_restore_refuses_what_is_not_a_backup(site: Site, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as archive:
        archive.add(__file__, arcname="../../evil.py")
    done = site.command("restore", str(bogus), check=False)
    assert done.returncode != 0 and "suspicious" in done.stderr


def _repack(
    source: Path,
    target: Path,
    *,
    manifest: dict | None = None,
    drop: str = "",
    replace: dict[str, bytes] | None = None,
) -> Path:
    """A copy of a backup with its manifest replaced, one entry left out or an entry's bytes changed."""
    with tarfile.open(source) as archive, tarfile.open(target, "w:gz") as out:
        for member in archive.getmembers():
            if member.name == drop:
                continue
            data = archive.extractfile(member).read() if member.isfile() else b""  # type: ignore[union-attr]
            if member.name == "manifest.json" and manifest is not None:
                data = json.dumps(manifest).encode()
            if replace and member.name in replace:
                data = replace[member.name]
            member.size = len(data)
            out.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return target


def _damaged_variants(backup: Path, tmp_path: Path) -> dict[str, tuple[Path, str]]:
    raw = backup.read_bytes()
    with tarfile.open(backup) as archive:
        manifest = json.loads(archive.extractfile("manifest.json").read())  # type: ignore[union-attr]
    dump = next(iter(manifest["files"]))
    other = "sqlite" if manifest["engine"] == "postgresql" else "postgresql"
    flipped = bytearray(raw)
    for i in range(len(raw) // 2, len(raw) // 2 + 64):
        flipped[i] ^= 0xFF
    garbage = b"\x89PNG not a database " * 200
    consistent = dict(
        manifest,
        files={dump: {"size": len(garbage), "sha256": hashlib.sha256(garbage).hexdigest()}},
    )
    written: dict[str, tuple[Path, str]] = {}

    def put(name: str, data: bytes, expected: str) -> None:
        path = tmp_path / f"{name}.tar.gz"
        path.write_bytes(data)
        written[name] = (path, expected)

    put(
        "truncated",
        raw[: len(raw) // 2],
        "is truncated: the file ends before the backup does (an interrupted copy?)",
    )
    put(
        "truncated_tail",
        raw[:-6],
        "is truncated: the file ends before the backup does (an interrupted copy?)",
    )
    put("corrupted", bytes(flipped), "is damaged")
    put(
        "garbage",
        b"\x00\x01garbage" * 500,
        "is not an OpenTTO backup: it is not a gzip-compressed file",
    )
    put("empty", b"", "is empty")
    put(
        "not_tar",
        gzip.compress(b"hello " * 100),
        "is not an OpenTTO backup: not a tar archive inside",
    )
    put(
        "json_manifest_broken",
        _repack(
            backup, tmp_path / "x1.tar.gz", replace={"manifest.json": b"{not json"}
        ).read_bytes(),
        "is damaged: its manifest.json is not valid JSON",
    )
    put(
        "wrong_version",
        _repack(
            backup, tmp_path / "x2.tar.gz", manifest=dict(manifest, format="opentto-backup/99")
        ).read_bytes(),
        "is in format 'opentto-backup/99', which this OpenTTO does not read (it reads opentto-backup/1, opentto-backup/2): "
        "restore it with the version that made it, or a newer one",
    )
    put(
        "no_manifest",
        _repack(backup, tmp_path / "x3.tar.gz", drop="manifest.json").read_bytes(),
        "is not an OpenTTO backup: it has no manifest.json",
    )
    put(
        "no_database",
        _repack(backup, tmp_path / "x4.tar.gz", drop=dump).read_bytes(),
        f"is incomplete: it has no {dump}",
    )
    put(
        "checksum",
        _repack(backup, tmp_path / "x5.tar.gz", replace={dump: garbage}).read_bytes(),
        f"is damaged: {dump} does not match the size and SHA-256 in its manifest",
    )
    put(
        "dump_unreadable",
        _repack(
            backup, tmp_path / "x6.tar.gz", manifest=consistent, replace={dump: garbage}
        ).read_bytes(),
        f"{dump} in the backup ",
    )
    put(
        "other_engine",
        _repack(backup, tmp_path / "x7.tar.gz", manifest=dict(manifest, engine=other)).read_bytes(),
        f"is a {other} backup; DATABASE_URL names a {manifest['engine']} database",
    )
    put(
        "newer",
        _repack(
            backup,
            tmp_path / "x8.tar.gz",
            manifest=dict(
                manifest, migrations=[*manifest["migrations"], "core.9999_from_the_future"]
            ),
        ).read_bytes(),
        "was made by a newer OpenTTO (migrations this one does not have: core.9999_from_the_future): upgrade first",
    )
    written["missing"] = (tmp_path / "no-such-backup.tar.gz", "no-such-backup.tar.gz: no such file")
    (tmp_path / "a-directory").mkdir()
    written["directory"] = (
        tmp_path / "a-directory",
        "a-directory is a directory, not a backup file",
    )
    return written


def _file_hash(target: Site) -> str:
    """(SQLite) the database file's bytes; "" on PostgreSQL."""
    db_file = target.url.removeprefix("sqlite:///") if target.url.startswith("sqlite") else ""
    return hashlib.sha256(Path(db_file).read_bytes()).hexdigest() if db_file else ""


def _fingerprint(target: Site) -> tuple[str, str]:
    """What the target holds: its rows and audit head, and (SQLite) the database file's bytes."""
    return target.python(STATE), _file_hash(target)


def test_a_damaged_backup_is_refused_in_one_line_and_the_target_is_untouched(
    site: Site, blank_site: Site, tmp_path: Path
) -> None:
    site.python(DATA)
    backup = tmp_path / "good.tar.gz"
    site.command("backup", str(backup))
    blank_site.python(
        "from opentto.accounts.models import User; from opentto.core.audit import audit_record; "
        "u = User.objects.create_user('keeper', password='x-very-long-password'); audit_record(actor=u, action='test.keep')"
    )
    before = _fingerprint(blank_site)
    variants = tmp_path / "variants"
    variants.mkdir()
    for name, (path, expected) in _damaged_variants(backup, variants).items():
        done = blank_site.command("restore", str(path), "--force", check=False)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 1, (name, done.stdout, done.stderr)
        assert len(lines) == 1 and "Traceback" not in done.stderr, (name, done.stderr)
        assert lines[0].startswith("Refused: ") and lines[0].endswith("; nothing was restored"), (
            name,
            lines[0],
        )
        assert expected in lines[0], (name, lines[0])
        assert done.stdout == "", name
        # Cheap after each (the file's bytes on SQLite); the rows and audit head once, after all.
        assert _file_hash(blank_site) == before[1], f"{name} changed the target"
    assert _fingerprint(blank_site) == before
    # The good file still restores over it (with --force).
    blank_site.command("restore", str(backup), "--force")
    assert _fingerprint(blank_site) != before


def test_backup_refuses_a_directory_as_its_target(site: Site, tmp_path: Path) -> None:
    done = site.command("backup", str(tmp_path), check=False)
    assert (
        done.returncode == 1
        and done.stderr.strip() == f"CommandError: {tmp_path} is a directory: give a file name"
    )
