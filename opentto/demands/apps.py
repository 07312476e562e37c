from django.apps import AppConfig


class DemandsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.demands"
    label = "demands"

    def ready(self) -> None:
        from opentto.landing.hooks import on_deal_signed
        from opentto.planning.hooks import register_suggested_targets
        from opentto.search.index import register_source

        from . import permissions, tasks  # noqa: F401  (registers its object types and default grants; its tasks, which opentto.search.enqueue finds by name)
        from .models import LIVE_DEMAND_STATUSES, Demand
        from .selectors import result_demands
        from .services import judgement_record_deal_signed

        on_deal_signed(
            judgement_record_deal_signed
        )  # a signed deal is a signed pair for learning to rank

        # The rows the search indexes hold (opentto.search sits below this app).
        register_source("demands", lambda: Demand.objects.all())
        register_source(
            "live-demands", lambda: Demand.objects.filter(status__in=LIVE_DEMAND_STATUSES)
        )
        # Below demands, the planning workspace suggests the enterprises whose live demands fit.
        register_suggested_targets(
            "demands", lambda user, result: list(result_demands(user, result).enterprises)
        )
