from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from opentto.accounts.http import request_user

from .models import User
from .selectors import sign_in_locks
from .services import totp_disable, user_unlock


@admin.register(User)
class OpenTTOUserAdmin(UserAdmin):
    list_display = (
        "username",
        "role",
        "organisation",
        "language",
        "is_active",
        "two_factor",
        "locked_addresses",
    )
    list_filter = ("role", "is_active")
    readonly_fields = ("two_factor", "locked_addresses")
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("OpenTTO", {"fields": ("role", "organisation", "person", "language")}),
        (_("Sign-in protection"), {"fields": ("two_factor", "locked_addresses")}),
    )
    actions = ["unlock", "reset_two_factor"]

    @admin.display(description=_("two-factor"), boolean=True)
    def two_factor(self, obj: User) -> bool:
        return obj.has_two_factor

    @admin.display(description=_("sign-in locked from"))
    def locked_addresses(self, obj: User) -> str:
        """The addresses whose sign-in for this user django-axes has locked (see also "Access attempts")."""
        return ", ".join(address or "?" for address in sign_in_locks(user=obj)) or "—"

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            user_unlock(user=user, actor=request_user(request))
        messages.success(request, _("Unlocked."))

    @admin.action(description=_("Turn two-factor authentication off (lost device)"))
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            totp_disable(user=user, actor=request_user(request))
        messages.success(
            request, _("Two-factor authentication was turned off for the selected users.")
        )
