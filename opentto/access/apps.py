from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    """Access to confidential results under an NDA, and the personal data of inventors (PIPL)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.access"
    label = "access"
    verbose_name = _("Access and privacy")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_install_default_grants, sender=self, dispatch_uid="opentto_default_grants")


def _install_default_grants(sender: object, using: str = "default", **kwargs: object) -> None:
    """Re-install missing default grants after ``migrate`` and after ``flush`` (which empties the
    table in tests that use transactions), as Django does for its own permissions."""
    from opentto.core.permissions import install_default_grants

    install_default_grants(using=using)
