from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.core"
    label = "core"

    def ready(self) -> None:
        from opentto import celery  # noqa: F401  (makes OpenTTO's Celery app the current one)

        from . import checks  # noqa: F401  (registers OpenTTO's deployment checks)

        post_migrate.connect(
            _install_default_grants, sender=self, dispatch_uid="opentto_default_grants"
        )


def _install_default_grants(sender: object, using: str = "default", **kwargs: object) -> None:
    """Re-install missing default grants after ``migrate`` and after ``flush`` (which empties the
    table in tests that use transactions), as Django does for its own permissions. Every app has
    registered its grants by then (``AppConfig.ready``)."""
    from .permissions import install_default_grants

    install_default_grants(using=using)
