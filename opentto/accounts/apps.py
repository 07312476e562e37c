from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.accounts"
    label = "accounts"

    def ready(self) -> None:
        # The admin's sign-in page counts wrong passwords and locks accounts like ours does.
        from django.contrib import admin

        from .forms import AdminLoginForm

        admin.site.login_form = AdminLoginForm
