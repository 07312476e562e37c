from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.organisations"
    label = "organisations"

    def ready(self) -> None:
        from . import clashes, permissions  # noqa: F401  (registers its object types, default grants and kinds of clash)
