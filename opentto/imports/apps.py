from django.apps import AppConfig


class ImportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.imports"
    label = "imports"

    def ready(self) -> None:
        from . import list_exports, permissions  # noqa: F401  (registers its object types and default grants, and the other lists' exports)
