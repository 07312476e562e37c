from django.apps import AppConfig


class ResultsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.results"
    label = "results"

    def ready(self) -> None:
        from opentto.search.index import register_source

        from . import clashes, permissions  # noqa: F401  (registers its object types, default grants and kinds of clash)
        from .models import Result

        # The rows the search indexes hold (opentto.search sits below this app).
        register_source("results", lambda: Result.objects.prefetch_related("ip_assets"))
