from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_rubrics(sender: Any, apps: Any = None, using: str = "default", **kwargs: Any) -> None:
    """After ``migrate`` and after ``flush``: the built-in rubrics are reference data."""
    if apps is None:  # ``flush`` sends the signal without the migration state
        from django.apps import apps as registry

        apps = registry
    try:
        apps.get_model("evaluation", "RubricCriterion")
    except LookupError:
        return  # migrating backwards, or the tables are not there yet
    from .installer import install_builtin_rubrics

    install_builtin_rubrics(apps)


class EvaluationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.evaluation"
    label = "evaluation"

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registers its object types and default grants)

        post_migrate.connect(_install_rubrics, sender=self, dispatch_uid="evaluation_install_rubrics")
