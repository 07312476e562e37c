from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RightsConfig(AppConfig):
    """Ownership or long-term use rights for researchers (赋权, 国科发区〔2020〕128号)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.rights"
    label = "rights"
    verbose_name = _("Researchers' ownership and use rights")

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registers its object types and default grants)
