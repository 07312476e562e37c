"""The template a user downloads: the columns of one kind of import, with an example row (CSV) or
a help sheet in the user's language (xlsx)."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from .columns import COLUMNS


def template_csv(kind: str) -> bytes:
    columns = COLUMNS[kind]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.key for c in columns])
    writer.writerow([c.example for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 correctly


def template_xlsx(kind: str) -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    columns = COLUMNS[kind]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "data"
    sheet.append([c.key for c in columns])
    sheet.append([c.example for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    help_sheet = workbook.create_sheet(_("Help")[:31])
    help_sheet.append([_("Column"), _("Meaning"), _("Required"), _("Notes")])
    for c in columns:
        help_sheet.append([c.key, str(c.label), _("yes") if c.required else "", str(c.help)])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
