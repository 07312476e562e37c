from django.apps import AppConfig


class SearchConfig(AppConfig):
    """The search indexes of results and demands (``index.py``), their background tasks and the
    switch that suspends them during bulk loads (``enqueue.py``). Infrastructure: the apps whose
    rows are indexed register them (``index.register_source``) from their ``AppConfig.ready``."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.search"
    label = "search"

    def ready(self) -> None:
        from django.conf import settings

        from . import tasks  # noqa: F401  (its tasks, which enqueue.py finds by name)

        if getattr(
            settings, "CACHE_URL", ""
        ):  # a cache shared by the machines: vectors travel through it
            from opentto.matching.embeddings import set_shared_vectors

            from .index import SharedVectorsInCache

            set_shared_vectors(SharedVectorsInCache())
