"""The official fee schedules, edited by an admin. Every save and delete goes through a service
that validates it and writes an audit event (``fees.schedule_save`` and friends)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from opentto.accounts.http import request_user

from . import services as svc
from .models import FeeSchedule, FeeScheduleItem


class FeeScheduleItemInline(admin.TabularInline):
    model = FeeScheduleItem
    extra = 0
    fields = ("patent_kind", "fee_kind", "year_from", "year_to", "amount_cny", "is_confirmed")


@admin.register(FeeSchedule)
class FeeScheduleAdmin(admin.ModelAdmin):
    list_display = ("office", "effective_from", "source")
    list_filter = ("office",)
    inlines = [FeeScheduleItemInline]

    def save_model(self, request: HttpRequest, obj: FeeSchedule, form: Any, change: bool) -> None:
        svc.fee_schedule_save(schedule=obj, actor=request_user(request))

    def delete_model(self, request: HttpRequest, obj: FeeSchedule) -> None:
        svc.fee_schedule_delete(schedule=obj, actor=request_user(request))

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            svc.fee_schedule_delete(schedule=obj, actor=request_user(request))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        items = formset.save(commit=False)
        for item in formset.deleted_objects:
            svc.fee_schedule_item_delete(item=item, actor=request_user(request))
        for item in items:
            svc.fee_schedule_item_save(item=item, actor=request_user(request))
