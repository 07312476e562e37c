from django.apps import AppConfig


class DemandsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.demands"
    label = "demands"

    def ready(self) -> None:
        from django.conf import settings

        from opentto.landing.hooks import on_deal_signed

        from . import permissions, tasks  # noqa: F401  (registers its object types and default grants; its tasks, which enqueue.py finds by name)
        from .services import judgement_record_deal_signed

        on_deal_signed(judgement_record_deal_signed)  # a signed deal is a signed pair for learning to rank

        if getattr(settings, "CACHE_URL", ""):  # a cache shared by the machines: vectors travel through it
            from opentto.matching.embeddings import set_shared_vectors

            from .index import SharedVectorsInCache

            set_shared_vectors(SharedVectorsInCache())
