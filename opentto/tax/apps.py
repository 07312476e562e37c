from django.apps import AppConfig


class TaxConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.tax"
    label = "tax"

    def ready(self) -> None:
        from opentto.landing.panels import register_deal_panel

        from . import permissions  # noqa: F401  (registers its object types and default grants)
        from .panels import deal_tax_panel

        register_deal_panel("tax", deal_tax_panel)
