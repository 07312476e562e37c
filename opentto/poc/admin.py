from typing import Any

from django.contrib import admin

from opentto.core.audit import audit_record

from .models import PocProgramme


@admin.register(PocProgramme)
class PocProgrammeAdmin(admin.ModelAdmin):
    """The site's proof-of-concept programmes (also configured on the TTO page /poc/programmes/).
    A change of the cap applies to later commitments (a project's line keeps the smaller cap,
    never below what it committed); every save is audited."""

    list_display = (
        "name_zh",
        "name_en",
        "funder",
        "cap_per_project_cny",
        "active_from",
        "active_until",
    )
    search_fields = ("name_zh", "name_en", "funder")
    readonly_fields = ("created_by", "created_at")

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # budget lines name it (PROTECT); end it with "active until" instead

    def save_model(self, request: Any, obj: PocProgramme, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="poc.programme_change" if change else "poc.programme_create",
            obj=obj,
            payload={
                "cap": obj.cap_per_project_cny,
                "from": obj.active_from,
                "until": obj.active_until,
                "admin": True,
            },
        )
