"""The Chinese catalogue is complete: no empty or fuzzy entry, every message of the code in it, the
same placeholders in each translation as in its English, and no English message that already holds
Chinese (a "中文 English" label shows Chinese on an English page)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.one_database  # the catalogue and the code: no database engine involved

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "opentto" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
HAN = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff0f\uff1a-\uff1f]"
)
#: %(name)s, %s, %d, %.2f (python-format) and {name} (brace format); "%%" is a literal percent sign.
PLACEHOLDER = re.compile(
    r"%\([A-Za-z_][A-Za-z0-9_]*\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgG]|%[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgG]|\{[A-Za-z_][A-Za-z0-9_]*\}"
)


def _unquote(text: str) -> str:
    return re.sub(
        r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text[1:-1]
    )


def parse(path: Path) -> list[dict[str, object]]:
    """The entries of a .po file: {"flags": set, "msgctxt", "msgid", "msgid_plural", "msgstr": [..], "line"}."""
    entries: list[dict[str, object]] = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8").strip()):
        entry: dict[str, object] = {"flags": set(), "msgstr": []}
        key = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] = {f.strip() for f in line[2:].split(",")}
            elif line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#"):
                continue
            elif m := re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line):
                key = m.group(1)
                if key.startswith("msgstr"):
                    entry["msgstr"].append(_unquote(m.group(2)))  # type: ignore[union-attr]
                else:
                    entry[key] = _unquote(m.group(2))
            elif line.startswith('"'):
                if key.startswith("msgstr"):
                    entry["msgstr"][-1] += _unquote(line)  # type: ignore[index]
                else:
                    entry[key] += _unquote(line)  # type: ignore[operator]
        if "msgid" in entry and entry["msgid"] != "":
            entries.append(entry)
    return entries


def _name(entry: dict[str, object]) -> str:
    return (
        f"{entry.get('msgctxt')}|{entry['msgid']}" if entry.get("msgctxt") else str(entry["msgid"])
    )


def test_no_entry_is_empty_fuzzy_or_obsolete():
    bad = [f"{sorted(e['flags'])} {_name(e)!r}" for e in parse(CATALOGUE) if "fuzzy" in e["flags"]]  # type: ignore[operator]
    bad += [
        f"empty: {_name(e)!r}" for e in parse(CATALOGUE) if not all(e["msgstr"]) or not e["msgstr"]
    ]  # type: ignore[arg-type]
    bad += [f"obsolete: {_name(e)!r}" for e in parse(CATALOGUE) if e.get("obsolete")]
    assert not bad, (
        "untranslated or fuzzy messages in the Chinese catalogue (translate them, run scripts/i18n):\n"
        + "\n".join(bad)
    )


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_msgfmt_counts_only_translated_messages():
    msgfmt = shutil.which("msgfmt") or "msgfmt"
    out = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(CATALOGUE)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert re.fullmatch(r"\d+ translated messages\.\n", out.stderr), out.stderr


def test_placeholders_match():
    bad = []
    for e in parse(CATALOGUE):
        english = sorted(
            PLACEHOLDER.findall(
                (str(e["msgid"]) + str(e.get("msgid_plural", ""))).replace("%%", "")
            )
        )
        for text in e["msgstr"]:  # type: ignore[attr-defined]
            chinese = PLACEHOLDER.findall(text.replace("%%", ""))
            # a plural's translation may leave out the bare number (one Chinese form for all)
            if sorted(set(chinese)) != sorted(set(english)) and not (
                e.get("msgid_plural") and set(chinese) <= set(english)
            ):
                bad.append(f"{_name(e)!r}: {english} → {sorted(chinese)} in {text!r}")
    assert not bad, "translations whose placeholders differ from their English:\n" + "\n".join(bad)


def test_no_english_message_holds_chinese():
    bad = [_name(e) for e in parse(CATALOGUE) if HAN.search(str(e["msgid"]))]
    assert not bad, (
        "messages with Chinese in their English text (the page in English would show it):\n"
        + "\n".join(bad)
    )


def test_every_message_of_the_code_is_in_the_catalogue(tmp_path):
    """makemessages run on a copy of the code finds no message the catalogue lacks (nor one it holds in vain)."""
    copy = tmp_path / "opentto"
    shutil.copytree(
        ROOT / "opentto",
        copy,
        ignore=shutil.ignore_patterns("locale", "__pycache__", "migrations", "static"),
    )
    (copy / "locale").mkdir()
    django_admin = Path(sys.executable).with_name("django-admin")
    env = {
        "DJANGO_SETTINGS_MODULE": "opentto.settings.test",
        "PYTHONPATH": str(ROOT),
        "OPENTTO_HOME": str(ROOT),
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [
            str(django_admin),
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--ignore",
            "migrations/*",
            "-e",
            "html,py,txt",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    fresh = {_name(e) for e in parse(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")}
    known = {_name(e) for e in parse(CATALOGUE)}
    assert not fresh - known, (
        "messages of the code missing from the catalogue (run scripts/i18n and translate them):\n"
        + "\n".join(sorted(fresh - known))
    )
    assert not known - fresh, "catalogue entries no code uses (run scripts/i18n):\n" + "\n".join(
        sorted(known - fresh)
    )
