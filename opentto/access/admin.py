from django.contrib import admin

from opentto.core.models import AuditEvent, Grant

from .models import AccessGrant, AccessRequest


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ("role", "object_type", "constraint", "actions", "enabled", "is_default")
    list_filter = ("role", "object_type", "enabled")

    def has_delete_permission(self, request, obj=None):
        # Default grants come back on the next migrate; switch them off instead.
        return bool(obj is None or not obj.is_default) and super().has_delete_permission(
            request, obj
        )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "occurred_at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "remote_addr",
    )
    list_filter = ("action",)
    search_fields = ("action", "object_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    list_display = ("result", "requester", "status", "requested_at", "decided_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in AccessRequest._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(AccessGrant)
class AccessGrantAdmin(admin.ModelAdmin):
    list_display = ("result", "user", "granted_at", "expires_at", "revoked_at")
    readonly_fields = [f.name for f in AccessGrant._meta.fields]

    def has_add_permission(self, request):
        return False
