from django.apps import AppConfig


class LandingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.landing"
    label = "landing"

    def ready(self) -> None:
        from opentto.rights.hooks import register_owner_shares_provider

        from . import permissions  # noqa: F401  (registers its object types and default grants)
        from .selectors import coowner_shares_of_result

        register_owner_shares_provider(coowner_shares_of_result)
