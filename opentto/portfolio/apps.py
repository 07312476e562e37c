from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.portfolio"
    label = "portfolio"

    def ready(self) -> None:
        from . import exports, permissions  # noqa: F401  (registers its object types, default grants and its export)
