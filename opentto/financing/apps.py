from django.apps import AppConfig


class FinancingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.financing"
    label = "financing"

    def ready(self) -> None:
        from opentto.patents.hooks import register_asset_hold

        from . import permissions  # noqa: F401  (registers its object types and default grants)
        from .services import ip_asset_id_is_pledged

        # a filing keeps its IP asset while a standing pledge holds it (unlinking, abandoning)
        register_asset_hold("financing.pledge", ip_asset_id_is_pledged)
