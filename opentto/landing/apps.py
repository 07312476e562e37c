from django.apps import AppConfig


class LandingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.landing"
    label = "landing"

    def ready(self) -> None:
        from django.urls import path

        from opentto.core.url_hooks import register_urls
        from opentto.financing.hooks import register_deal_source
        from opentto.results.hooks import register_result_page_part
        from opentto.rights.hooks import register_owner_shares_provider

        from . import (
            permissions,  # noqa: F401  (registers its object types and default grants)
            views,
        )
        from .models import Deal
        from .result_page import result_page_part
        from .selectors import coowner_shares_of_result

        register_owner_shares_provider(coowner_shares_of_result)
        # Below landing, results shows the deals on its page and names the new-deal page.
        register_result_page_part("landing", result_page_part)
        register_urls(
            "results", [path("<int:pk>/deals/new/", views.deal_create_view, name="deal_create")]
        )
        # Below landing, a valuation's market approach reads the deals the user may see.
        register_deal_source(lambda user: Deal.objects.restrict(user, "view"))
