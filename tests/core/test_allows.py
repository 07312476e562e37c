"""permissions.allows(): the same answer as restrict(), without a query when the grants allow
every row or none."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opentto.core.permissions import allows
from opentto.results.models import Result


@pytest.mark.django_db
def test_allows_agrees_with_restrict(
    manager, enterprise_user, inventor, other_inventor, onboarded, confidential_result
):
    for user in (None, manager, enterprise_user, inventor, other_inventor):
        for result in (onboarded, confidential_result):
            for action in ("view", "view_details", "change"):
                expected = Result.objects.restrict(user, action).filter(pk=result.pk).exists()
                assert allows(user, result, action) is expected, (user, result, action)


@pytest.mark.django_db
def test_no_query_when_every_row_or_none_is_allowed(manager, enterprise_user, confidential_result):
    allows(
        manager, confidential_result, "change"
    )  # grants read once per request (cached on the user)
    allows(enterprise_user, confidential_result, "change")
    with CaptureQueriesContext(connection) as queries:
        assert allows(manager, confidential_result, "change") is True
        assert allows(enterprise_user, confidential_result, "change") is False
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        assert (
            allows(enterprise_user, confidential_result, "view") is False
        )  # a condition: one query
    assert len(queries) == 1
