from django.apps import AppConfig


class ResultsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.results"
    label = "results"

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registers its object types and default grants)
