"""An iCalendar (RFC 5545) feed of patent deadlines, written by hand: all-day events, escaped
text, lines folded at 75 octets and ended with CRLF."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import FilingDeadline
from .selectors import LAPSE_CONSEQUENCES, deadline_label

PRODID = "-//OpenTTO//Patent deadlines//EN"


def escape_text(value: str) -> str:
    """RFC 5545 §3.3.11: backslash, semicolon, comma and newline are escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """RFC 5545 §3.1: lines longer than 75 octets are folded (CRLF + one space), never inside
    a multi-byte UTF-8 character."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current = " "
            size = 1
            limit = 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def deadlines_ics(
    deadlines: Iterable[FilingDeadline],
    *,
    name: str,
    base_url: str = "",
    now: datetime | None = None,
) -> str:
    stamp = (now or timezone.now()).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for d in deadlines:
        result = d.filing.family.result
        year = (" " + _("(year %(year)s)") % {"year": d.year}) if d.year else ""
        summary = f"{deadline_label(d.key)} · {d.office}{year} · {result.title}"
        description = [
            _("Due: %(date)s") % {"date": d.due.isoformat()},
            _("Late until: %(date)s") % {"date": d.late_until.isoformat() if d.late_until else "—"},
            _("Application: %(number)s") % {"number": d.filing.application_number or "—"},
            _("If nothing is done: %(consequence)s")
            % {"consequence": LAPSE_CONSEQUENCES.get(d.key, "")},
            _("Legal source: %(source)s") % {"source": d.source},
        ]
        lines += [
            "BEGIN:VEVENT",
            f"UID:deadline-{d.pk}@opentto",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{d.due:%Y%m%d}",
            f"DTEND;VALUE=DATE:{d.due + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{escape_text(summary)}",
            f"DESCRIPTION:{escape_text(chr(10).join(str(x) for x in description))}",
            "TRANSP:TRANSPARENT",
        ]
        if base_url:
            lines.append(f"URL:{base_url}/planning/results/{result.pk}/ip/")
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{escape_text(summary)}",
            "TRIGGER:-P14D",
            "END:VALARM",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
