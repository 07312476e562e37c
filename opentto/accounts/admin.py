from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import User
from .services import totp_disable, user_unlock


@admin.register(User)
class OpenTTOUserAdmin(UserAdmin):
    list_display = ("username", "role", "organisation", "language", "is_active", "locked_until", "totp_confirmed_at")
    list_filter = ("role", "is_active")
    readonly_fields = ("failed_logins", "locked_until", "totp_confirmed_at")
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("OpenTTO", {"fields": ("role", "organisation", "person", "language")}),
        (_("Sign-in protection"), {"fields": ("failed_logins", "locked_until", "totp_confirmed_at")}),
    )
    actions = ["unlock", "reset_two_factor"]

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            user_unlock(user=user, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _("Unlocked."))

    @admin.action(description=_("Turn two-factor authentication off (lost device)"))
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            totp_disable(user=user, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _("Two-factor authentication was turned off for the selected users."))
