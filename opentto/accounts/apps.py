from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.accounts"
    label = "accounts"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from . import permissions  # noqa: F401  (registers the account actions and default grants)
        from .throttling import on_user_locked_out

        # A lock by django-axes goes into the audit log (accounts.services.user_lock_record).
        user_locked_out.connect(on_user_locked_out, dispatch_uid="opentto_user_locked_out")
