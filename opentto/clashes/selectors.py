"""Reads of clash holds, for those granted them (the TTO)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.urls import NoReverseMatch, reverse

from .models import ClashHold, ClashHoldQuerySet
from .services import clash_kind, clash_record


def clash_holds_visible(user: Any) -> ClashHoldQuerySet:
    return ClashHold.objects.restrict(user, "view").select_related("created_by", "resolved_by")


@dataclass(frozen=True)
class HoldRecord:
    """One of a hold's two records as the hold's page shows it."""

    type_label: str
    pk: int
    kind_name: str
    title: str
    url: str
    present: bool


def _record(hold: ClashHold, type_label: str, pk: int) -> HoldRecord:
    obj = clash_record(type_label, pk)
    try:
        kind_name = str(apps.get_model(type_label)._meta.verbose_name)
    except (LookupError, ValueError):
        kind_name = type_label
    kind = clash_kind(hold.kind)
    url = ""
    if obj is not None and kind is not None:
        try:
            url = reverse(kind.url_name, args=[pk])
        except NoReverseMatch:
            url = ""
    return HoldRecord(
        type_label, pk, kind_name, str(obj) if obj is not None else "", url, obj is not None
    )


def clash_hold_records(hold: ClashHold) -> tuple[HoldRecord, HoldRecord]:
    """(the new record, the existing record) of a hold the caller may see."""
    return _record(hold, hold.held_type, hold.held_id), _record(
        hold, hold.existing_type, hold.existing_id
    )
