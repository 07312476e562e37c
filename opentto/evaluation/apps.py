from typing import Any

from django.apps import AppConfig
from django.db.models import Model, Q
from django.db.models.signals import post_migrate

#: The constraint under which a reviewer reads a result's confidential details and attachments
#: (``Result.objects.restrict(user, "view_details")``, e.g. the results app's attachment download).
REVIEWER_CONSTRAINT = "assigned_reviewer_declared"
#: Its grant, ``(reviewer, results.result, assigned_reviewer_declared, view_details)``, is one of
#: ``opentto.core.permissions.DEFAULT_GRANTS``.


def _assigned_reviewer_declared(user: Any, model: type[Model]) -> Q | None:
    """Results of rounds (not cancelled) the reviewer is assigned to, once they declared no conflict."""
    from opentto.core.permissions import user_role

    if user_role(user) != "reviewer":
        return None
    from .models import ReviewAssignment

    ids = ReviewAssignment.objects.filter(
        reviewer_id=user.pk, status__in=("accepted", "submitted"), declared_at__isnull=False,
    ).exclude(review_round__status="cancelled").values("review_round__result_id")
    return Q(pk__in=ids)


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
        from opentto.core.permissions import register_constraint

        register_constraint("results.result", REVIEWER_CONSTRAINT, _assigned_reviewer_declared)
        post_migrate.connect(_install_rubrics, sender=self, dispatch_uid="evaluation_install_rubrics")
