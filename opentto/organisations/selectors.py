from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from opentto.core.permissions import restrict_directory
from opentto.results.models import Result

from .models import Organisation, Person


def organisation_list(user: Any, *, q: str = "", kind: str = "", sort: str = "name") -> QuerySet[Organisation]:
    visible_results = Result.objects.restrict(user, "view").values("pk")
    qs = restrict_directory(Organisation.objects.all(), user).annotate(
        result_count=Count("ownerships", filter=Q(ownerships__result__in=visible_results), distinct=True)
    )
    if q:
        qs = qs.filter(Q(name_zh__icontains=q) | Q(name_en__icontains=q) | Q(credit_code__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    order = {"name": ("name_zh", "name_en"), "results": ("-result_count", "name_zh"), "kind": ("kind", "name_zh")}
    return qs.order_by(*order.get(sort, order["name"]))


def person_list(user: Any, *, q: str = "", organisation: int | None = None, sort: str = "name") -> QuerySet[Person]:
    visible_results = Result.objects.restrict(user, "view").values("pk")
    qs = restrict_directory(Person.objects.all(), user).annotate(
        result_count=Count("inventorships", filter=Q(inventorships__result__in=visible_results), distinct=True)
    )
    if q:
        qs = qs.filter(Q(name_zh__icontains=q) | Q(name_en__icontains=q))
    if organisation:
        qs = qs.filter(memberships__organisation_id=organisation)
    order = {"name": ("name_en", "name_zh"), "results": ("-result_count", "name_en")}
    return qs.order_by(*order.get(sort, order["name"])).prefetch_related("memberships__organisation")
