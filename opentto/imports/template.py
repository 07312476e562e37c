"""The template a user downloads: the columns of one kind of import, with an example row (CSV) or
a help sheet in the user's language (xlsx)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from opentto.core.spreadsheets import Sheet, csv_bytes, xlsx_bytes

from .columns import COLUMNS


def template_csv(kind: str) -> bytes:
    columns = COLUMNS[kind]
    return csv_bytes([c.key for c in columns], [[c.example for c in columns]])


def template_xlsx(kind: str) -> bytes:
    columns = COLUMNS[kind]
    return xlsx_bytes(
        Sheet("data", [c.key for c in columns], [[c.example for c in columns]]),
        Sheet(
            _("Help"),
            [_("Column"), _("Meaning"), _("Required"), _("Notes")],
            [[c.key, str(c.label), _("yes") if c.required else "", str(c.help)] for c in columns],
        ),
    )
