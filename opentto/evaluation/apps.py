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
        from django.urls import path

        from opentto.core.url_hooks import register_urls
        from opentto.results.hooks import (
            register_evaluation_outcome_rule,
            register_result_page_part,
        )

        from . import (
            permissions,  # noqa: F401  (registers its object types and default grants)
            views,
        )
        from .guards import evaluation_outcome_problem, outcome_memo
        from .result_page import result_page_part

        # Below evaluation, results' pipeline guards, result page and URLs ask this app.
        register_evaluation_outcome_rule(evaluation_outcome_problem, outcome_memo)
        register_result_page_part("evaluation", result_page_part)
        register_urls(
            "results",
            [path("<int:pk>/evaluation/", views.evaluation_record_view, name="evaluation")],
        )

        post_migrate.connect(
            _install_rubrics, sender=self, dispatch_uid="evaluation_install_rubrics"
        )
