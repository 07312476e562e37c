from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    """Access to confidential results under an NDA, and the personal data of inventors (PIPL)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.access"
    label = "access"
    verbose_name = _("Access and privacy")

    def ready(self) -> None:
        from opentto.core.url_hooks import register_urls

        from . import permissions  # noqa: F401  (registers the NDA shares on results)
        from .account_urls import urlpatterns

        register_urls("accounts", urlpatterns)  # /account/...: accounts sits below this app
