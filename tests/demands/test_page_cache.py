"""The result page's "who needs this" and the matches page are computed once per permission scope
(the SQL of what the viewer may see), version of the demand or result and figures version, then
read from the cache (opentto.core.cache.cached_value); a write through the services makes them
stale for every scope on commit, and one scope's value is never served to another. And the query
counts of the two pages for a fixed fixture, so that a panel reading more than it shows fails."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opentto.core import cache as figures_cache
from opentto.demands.services import demand_transition
from opentto.results.pipeline import result_transition
from opentto.search import index

SECRET_DEMAND = "Confidential: robot-arm assembly"


@pytest.fixture
def cache_on(settings, monkeypatch):  # type: ignore[no-untyped-def]
    settings.OPENTTO_FIGURES_CACHE_SECONDS = 300
    cache.clear()
    monkeypatch.setattr(figures_cache, "_version_memo", None)
    yield
    cache.clear()


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _no_search(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise AssertionError("searched again: the cached value was not used")


@pytest.mark.django_db
def test_who_needs_this_is_cached_per_scope_and_follows_a_demand_closed(
    cache_on,
    manager,
    inventor,
    open_demand,
    secret_demand,
    arm_result,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    page = reverse("results:detail", args=[arm_result.pk])
    assert SECRET_DEMAND in client_for(manager).get(page).content.decode()
    # the inventor's scope has its own entry: the manager's (with the confidential demand) is not served
    body = client_for(inventor).get(page).content.decode()
    assert "Adaptive control for collaborative robot arms" in body and SECRET_DEMAND not in body
    # both scopes now come from the cache: no search of the demands
    monkeypatch.setattr(index, "search_demands", _no_search)
    assert SECRET_DEMAND in client_for(manager).get(page).content.decode()
    assert SECRET_DEMAND not in client_for(inventor).get(page).content.decode()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        demand_transition(demand=secret_demand, target="withdrawn", actor=manager)
    # the withdrawn demand is no longer live: gone at once from the manager's cached panel
    body = client_for(manager).get(page).content.decode()
    assert "Who needs this?" in body and SECRET_DEMAND not in body
    assert "Adaptive control for collaborative robot arms" in body


@pytest.mark.django_db
def test_matches_page_is_cached_per_scope_and_follows_a_result_moved(
    cache_on,
    manager,
    enterprise_user,
    open_demand,
    arm_result,
    secret_arm_result,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    page = reverse("demands:matches", args=[open_demand.pk])
    ranked = [m.result.pk for m in client_for(manager).get(page).context["found"].results]
    assert secret_arm_result.pk in ranked
    # the enterprise's scope (public results only) is computed for it, never the manager's served
    ranked = [m.result.pk for m in client_for(enterprise_user).get(page).context["found"].results]
    assert arm_result.pk in ranked and secret_arm_result.pk not in ranked
    monkeypatch.setattr(index, "search_results", _no_search)
    again = client_for(manager).get(page)
    assert secret_arm_result.pk in [m.result.pk for m in again.context["found"].results]
    assert "机密参数Q7" not in again.content.decode()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        result_transition(result=arm_result, target="evaluation", actor=manager)
    found = client_for(manager).get(page).context["found"]
    assert {m.result.pk: m.result.stage for m in found.results}[arm_result.pk] == "evaluation"


@pytest.mark.django_db
def test_a_verdict_shows_at_once_on_a_cached_matches_page(
    cache_on, enterprise_user, open_demand, arm_result, battery_result
):
    page = reverse("demands:matches", args=[open_demand.pk])
    client = client_for(enterprise_user)
    client.get(page)
    client.post(
        reverse("demands:feedback", args=[open_demand.pk, arm_result.pk]),
        {"verdict": "shortlisted", "next": page},
    )
    found = client.get(page).context["found"]
    assert {m.result.pk: m.verdict for m in found.results}[arm_result.pk] == "shortlisted"
    client.post(
        reverse("demands:feedback", args=[open_demand.pk, arm_result.pk]),
        {"verdict": "not_relevant", "next": page},
    )
    assert arm_result.pk not in [m.result.pk for m in client.get(page).context["found"].results]


# Exact query counts for this fixture (manager; the cache off, as in the test settings): a panel
# that reads a row per item, or asks twice, fails here. Lower them when a panel reads less.
RESULT_PAGE_QUERIES = {
    "sqlite": 53,
    "postgresql": 54,
}  # PostgreSQL: the audit chain's advisory lock
# the matches page: 27, plus the active learned ranker (one row read: its version is in the cache key)
MATCHES_PAGE_QUERIES = 28


@pytest.mark.django_db
def test_result_page_query_count(manager, open_demand, secret_demand, arm_result):
    client = client_for(manager)
    page = reverse("results:detail", args=[arm_result.pk])
    client.get(page)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page).status_code == 200
    assert len(queries) == RESULT_PAGE_QUERIES[connection.vendor], "\n".join(
        q["sql"][:120] for q in queries.captured_queries
    )


@pytest.mark.django_db
def test_matches_page_query_count(
    manager, open_demand, arm_result, secret_arm_result, battery_result
):
    client = client_for(manager)
    page = reverse("demands:matches", args=[open_demand.pk])
    client.get(page)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page).status_code == 200
    assert len(queries) == MATCHES_PAGE_QUERIES, "\n".join(
        q["sql"][:120] for q in queries.captured_queries
    )


def _counting_embed(calls: list[str]):  # type: ignore[no-untyped-def]
    from bench.load.vectors import embed

    def counted(texts, is_query):  # type: ignore[no-untyped-def]
        calls.extend(t for t in texts if is_query)
        return embed(texts, is_query)

    return counted


@pytest.mark.django_db
def test_a_demands_query_vector_is_embedded_when_written_not_per_request(
    settings,
    fresh_index,
    manager,
    enterprise_user,
    enterprise_org,
    arm_result,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    from opentto.demands.services import demand_create

    from .conftest import demand_input

    calls: list[str] = []
    monkeypatch.setattr(index, "_embed_fn", lambda: _counting_embed(calls))
    settings.OPENTTO_MATCHING_DENSE = True
    index.index_objects(type(arm_result), [arm_result.pk])
    with django_capture_on_commit_callbacks(execute=True):
        demand = demand_create(
            data=demand_input(enterprise_org), actor=enterprise_user, publish=True
        )
    assert calls, "the demand's text was not embedded as a query when it was written"
    calls.clear()
    body = client_for(manager).get(reverse("demands:matches", args=[demand.pk])).content.decode()
    assert 'data-mode="hybrid"' in body
    assert calls == []  # the page read the demand's vector from the cache
