"""The figures cache (opentto/core/cache.py): per scope, per language, invalidated on commit."""

import datetime as dt
import threading
import time
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from opentto.core import cache as figures_cache
from opentto.core.cache import figures_version
from opentto.dashboard.selectors import cached, figures, scope_key
from opentto.landing.services import deal_create, deal_sign, deal_terminate, payment_record
from opentto.results.pipeline import result_transition
from opentto.results.services import result_onboard

from ..conftest import result_input
from ..factories import EnterpriseFactory
from ..results.test_pipeline import to_landing

DAY = dt.date(2025, 6, 30)
#: Tables only the figures and reports read: a cached dashboard must not touch them.
FIGURE_TABLES = ("results_stagetransition", "landing_payment", "results_resultowner")


@pytest.fixture(autouse=True)
def _cache_on(settings, monkeypatch):
    settings.OPENTTO_FIGURES_CACHE_SECONDS = 300
    cache.clear()
    # the process's memo of the version would outlive the cleared cache for up to a second
    monkeypatch.setattr(figures_cache, "_version_memo", None)
    yield
    cache.clear()


@pytest.fixture
def two_results(manager, university, other_university, researcher):
    """One public result of each university, and a confidential one of the first."""
    return [
        result_onboard(
            data=result_input(
                [owner],
                [(researcher, "100")],
                title_zh=f"成果{n}",
                title_en=f"Result {n}",
                ip_assets=[],
                is_public=public,
            ),
            actor=manager,
        )
        for n, (owner, public) in enumerate(
            [(university, True), (other_university, True), (university, False)]
        )
    ]


@pytest.mark.django_db
def test_second_call_reads_the_cache_without_a_query(two_results, manager):
    assert figures(manager).results_incubated == 3
    with CaptureQueriesContext(connection) as queries:
        again = figures(manager)
    assert len(queries) == 0
    assert again.results_incubated == 3


@pytest.mark.django_db
def test_second_dashboard_request_runs_no_figure_query(two_results, manager):
    client = Client()
    client.force_login(manager)
    with CaptureQueriesContext(connection) as first:
        assert client.get(reverse("dashboard")).status_code == 200
    assert any(t in q["sql"] for q in first for t in FIGURE_TABLES)  # the first request computes
    with CaptureQueriesContext(connection) as second:
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    # the figures' part of the page is a cached fragment: the same HTML, nothing recomputed
    assert 'data-figure="results_onboarded" data-period="all_time">3<' in response.content.decode()
    assert "figures" not in response.context
    # the header's "My work" count reads its own rows (overdue payments…) on every page: nothing else
    from opentto.worklist.selectors import worklist_count

    with CaptureQueriesContext(connection) as header:
        worklist_count(manager)

    def figure_queries(captured: CaptureQueriesContext) -> list[str]:
        return [q["sql"] for q in captured if any(t in q["sql"] for t in FIGURE_TABLES)]

    assert figure_queries(second) == figure_queries(header)
    assert len(second) < len(first) - 5


@pytest.mark.django_db
def test_a_service_change_invalidates_on_commit(
    two_results, manager, django_capture_on_commit_callbacks
):
    assert figures(manager).funnel["withdrawn"] == 0
    before = figures_version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result_transition(
            result=two_results[0], target="withdrawn", actor=manager, reason="owner's request"
        )
        assert figures_version() == before  # not before the commit
    assert callbacks and figures_version() != before
    f = figures(manager)
    assert f.funnel["withdrawn"] == 1 and f.results_incubated == 2


@pytest.mark.django_db
def test_a_rolled_back_change_does_not_bump(
    two_results, manager, django_capture_on_commit_callbacks
):
    before = figures_version()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        result_transition(result=two_results[0], target="withdrawn", actor=manager, reason="x")
        raise RuntimeError
    assert callbacks == [] and figures_version() == before


@pytest.mark.django_db
def test_deals_and_payments_invalidate(two_results, manager, django_capture_on_commit_callbacks):
    result = two_results[0]
    to_landing(result, manager)
    assert figures(manager).transaction_value_cny == 0
    deal = deal_create(
        results=[result],
        counterparty=EnterpriseFactory(),
        deal_type="licence_exclusive",
        amount_cny="1000.50",
        actor=manager,
    )
    with django_capture_on_commit_callbacks(execute=True):
        deal = deal_sign(deal=deal, signed_on=DAY, actor=manager)
    assert str(figures(manager).transaction_value_cny) == "1000.50"
    version = figures_version()
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(deal=deal, received_on=DAY, amount_cny="100", actor=manager)
    assert figures_version() != version
    with django_capture_on_commit_callbacks(execute=True):
        deal_terminate(deal=deal, terminated_on=DAY, reason="breach", actor=manager)
    assert str(figures(manager).transaction_value_cny) == "0.00"


@pytest.mark.django_db
def test_scopes_never_share_cached_figures(
    two_results, manager, official, inventor, other_inventor, enterprise_user
):
    assert figures(manager).results_incubated == 3  # cached first: the widest scope
    assert figures(enterprise_user).results_incubated == 2  # public only, not the manager's entry
    assert figures(inventor).results_incubated == 3  # public + own confidential result
    assert figures(other_inventor).results_incubated == 2
    keys = {
        u.username: scope_key(u)
        for u in (manager, official, inventor, other_inventor, enterprise_user)
    }
    assert keys[manager.username] == keys[official.username]  # the same rows: one entry
    assert (
        len({keys[u.username] for u in (manager, inventor, other_inventor, enterprise_user)}) == 4
    )


@pytest.mark.django_db
def test_a_disabled_grant_changes_the_scope(two_results, manager, enterprise_user):
    from opentto.core.models import Grant

    assert figures(enterprise_user).results_incubated == 2
    Grant.objects.filter(
        role="enterprise", object_type="results.result", constraint="public"
    ).update(enabled=False)
    fresh = type(enterprise_user).objects.get(
        pk=enterprise_user.pk
    )  # no grants cached on the object
    assert figures(fresh).results_incubated == 0


@pytest.mark.django_db
def test_labels_are_cached_per_language(two_results, manager):
    with translation.override("en"):
        english = {r.key: r.label for r in figures(manager).by_field}
    with translation.override("zh-hans"):
        chinese = {r.key: r.label for r in figures(manager).by_field}
    assert english.keys() == chinese.keys() and english != chinese


@pytest.mark.django_db
def test_command_line_figures_are_never_cached(two_results):
    figures(None)
    with CaptureQueriesContext(connection) as queries:
        figures(None)
    assert len(queries) > 5


@pytest.mark.django_db
def test_off_when_the_timeout_is_zero(two_results, manager, settings):
    settings.OPENTTO_FIGURES_CACHE_SECONDS = 0
    figures(manager)
    with CaptureQueriesContext(connection) as queries:
        figures(manager)
    assert len(queries) > 5


@pytest.mark.django_db
def test_an_unreachable_cache_computes_the_figures(two_results, manager):
    with (
        mock.patch.object(figures_cache.cache, "get", side_effect=ConnectionError("redis down")),
        mock.patch.object(figures_cache.cache, "set", side_effect=ConnectionError("redis down")),
    ):
        assert figures(manager).results_incubated == 3
        figures_cache.bump_figures_version()  # logged, not raised


@pytest.mark.django_db
def test_the_result_lists_count_is_cached_per_query_and_invalidated(
    two_results, manager, researcher, university, django_capture_on_commit_callbacks
):
    anonymous, staff = Client(), Client()
    staff.force_login(manager)
    assert (
        anonymous.get(reverse("results:list")).context["page"].paginator.count == 2
    )  # public only
    assert (
        staff.get(reverse("results:list")).context["page"].paginator.count == 3
    )  # another query: not the anonymous count
    with CaptureQueriesContext(connection) as queries:
        page = anonymous.get(reverse("results:list")).context["page"]
        assert page.paginator.count == 2
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert staff.get(reverse("results:list") + "?field=ic").context["page"].paginator.count == 0
    with django_capture_on_commit_callbacks(execute=True):
        result_onboard(
            data=result_input(
                [university],
                [(researcher, "100")],
                title_zh="新成果",
                title_en="New result",
                ip_assets=[],
            ),
            actor=manager,
        )
    assert anonymous.get(reverse("results:list")).context["page"].paginator.count == 3


@pytest.mark.django_db
def test_a_computation_in_progress_is_waited_for(two_results, manager, monkeypatch):
    monkeypatch.setattr(figures_cache, "WAIT_SECONDS", 0.3)
    key = f"{figures_cache.ENTRY_PREFIX}:{figures_version()}:figures:en:{scope_key(manager)}"
    cache.add(f"{key}:computing", 1, 60)  # another worker is computing
    calls = []
    assert (
        cached(manager, "figures", lambda: calls.append(1) or "computed") == "computed"
    )  # gave up waiting
    cache.add(f"{key}:computing", 1, 60)
    cache.set(key, ("", 0.0, "theirs"), 60)
    assert cached(manager, "figures", lambda: "mine") == "theirs"


@pytest.mark.django_db
def test_a_time_in_the_scope_does_not_defeat_the_count_cache(two_results, enterprise_user):
    client = Client()
    client.force_login(
        enterprise_user
    )  # sees public results and those shared under a live NDA (compared with now)
    assert client.get(reverse("results:list")).context["page"].paginator.count == 2
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("results:list")).context["page"].paginator.count == 2
    assert not [
        q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "results_result" in q["sql"]
    ]


def test_a_time_in_a_query_keeps_its_key_and_sets_the_freshness_token(enterprise_user, manager):
    from opentto.core.cache import _keyed
    from opentto.results.models import Result

    at = dt.datetime(2026, 11, 29, 15, 59, 58, 123, tzinfo=dt.UTC)
    with mock.patch("django.utils.timezone.now", return_value=at):
        first = _keyed(Result.objects.restrict(enterprise_user, "view"))
    with mock.patch("django.utils.timezone.now", return_value=at + dt.timedelta(seconds=3)):
        second = _keyed(Result.objects.restrict(enterprise_user, "view"))
    assert first[0] == second[0]  # the same entry...
    assert (first[1], second[1]) == ("2026-11-29 15:59", "2026-11-29 16:00")  # ...refreshed
    staff = _keyed(Result.objects.restrict(manager, "view"))
    assert staff[1] == "" and staff[0] != first[0]  # no time in a manager's scope; another scope


@pytest.mark.django_db
def test_when_the_minute_turns_one_request_refreshes_and_the_others_get_the_last_value(monkeypatch):
    calls: list[str] = []

    def compute(value):
        return lambda: calls.append(value) or value

    lookup = figures_cache._lookup
    assert lookup("query:t", compute("15:59"), "15:59") == "15:59"
    assert lookup("query:t", compute("again"), "15:59") == "15:59" and calls == ["15:59"]
    key = f"{figures_cache.ENTRY_PREFIX}:{figures_version()}:query:t"
    # the minute turned while another request holds the entry's lock: the last value, at once
    cache.add(f"{key}:computing", 1, 60)
    assert lookup("query:t", compute("16:00"), "16:00") == "15:59" and calls == ["15:59"]
    # ...but never one older than STALE_SECONDS: that waits (here: gives up) and computes
    monkeypatch.setattr(figures_cache, "WAIT_SECONDS", 0.1)
    cache.set(key, ("15:57", 0.0, "15:57"), 60)
    assert lookup("query:t", compute("16:00"), "16:00") == "16:00" and calls == ["15:59", "16:00"]
    # a request that waits for the entry takes a value computed meanwhile, even one whose
    # request read the clock just before the minute turned (it does not wait WAIT_SECONDS)
    cache.delete(key)
    cache.add(f"{key}:computing", 1, 60)  # the other request
    monkeypatch.setattr(figures_cache, "WAIT_SECONDS", 30.0)
    stored_later = threading.Timer(
        0.2, lambda: cache.set(key, ("15:59", time.time(), "just before"), 60)
    )
    stored_later.start()
    began = time.monotonic()
    assert lookup("query:t", compute("never"), "16:00") == "just before"
    assert time.monotonic() - began < 5 and calls == ["15:59", "16:00"]
    # the lock free: the first request of the new minute computes and stores it for the others
    cache.delete(f"{key}:computing")
    cache.set(key, ("15:59", 1e12, "15:59"), 60)
    assert lookup("query:t", compute("16:00b"), "16:00") == "16:00b"
    assert lookup("query:t", compute("never"), "16:00") == "16:00b" and calls == [
        "15:59",
        "16:00",
        "16:00b",
    ]
    assert cache.get(f"{key}:computing") is None


@pytest.mark.django_db
def test_cached_ids_keeps_its_frozenset_when_the_minute_turns_and_no_id_changed(
    enterprise_user, two_results
):
    from opentto.core.cache import _LOCAL_IDS, cached_ids
    from opentto.results.models import Result

    _LOCAL_IDS.clear()
    at = dt.datetime(2026, 11, 29, 15, 59, 30, tzinfo=dt.UTC)

    def ids(moment):
        with mock.patch("django.utils.timezone.now", return_value=moment):
            qs = Result.objects.restrict(enterprise_user, "view").values("pk")
            return cached_ids(
                qs, "result-ids", lambda: {str(pk) for pk in qs.values_list("pk", flat=True)}
            )

    first = ids(at)
    assert first == {str(r.pk) for r in two_results if r.is_public}
    assert ids(at + dt.timedelta(minutes=1)) is first  # recomputed, equal: the same object
    assert len(_LOCAL_IDS) == 1


@pytest.mark.django_db
def test_search_never_reuses_another_scopes_visible_ids(two_results, manager):
    staff, anonymous = Client(), Client()
    staff.force_login(manager)
    seen_by_staff = {
        r.pk for r in staff.get(reverse("search") + "?q=decisions").context["page"].object_list
    }
    assert seen_by_staff == {r.pk for r in two_results}
    seen_by_anonymous = {
        r.pk for r in anonymous.get(reverse("search") + "?q=decisions").context["page"].object_list
    }
    assert seen_by_anonymous == {r.pk for r in two_results if r.is_public}


def test_cached_ids_keeps_one_frozenset_per_query_until_the_data_changes(
    manager, inventor, two_results, settings, django_capture_on_commit_callbacks
):
    from opentto.core.cache import _LOCAL_IDS, cached_ids, figures_changed
    from opentto.results.models import Result

    _LOCAL_IDS.clear()
    calls = []

    def ids_of(qs):
        def compute():
            calls.append(1)
            return {str(pk) for pk in qs.values_list("pk", flat=True)}

        return compute

    visible = Result.objects.restrict(manager, "view").values("pk")
    first = cached_ids(visible, "result-ids", ids_of(visible))
    assert isinstance(first, frozenset) and first == {str(r.pk) for r in Result.objects.all()}
    assert (
        cached_ids(visible, "result-ids", ids_of(visible)) is first
    )  # the same object: the index reuses its mask
    assert len(calls) == 1
    # another scope has its own set
    mine = Result.objects.restrict(inventor, "view").values("pk")
    assert cached_ids(mine, "result-ids", ids_of(mine)) == {
        str(pk) for pk in Result.objects.restrict(inventor, "view").values_list("pk", flat=True)
    }
    # a service's change bumps the version: read afresh
    with django_capture_on_commit_callbacks(execute=True):
        figures_changed()
    again = cached_ids(visible, "result-ids", ids_of(visible))
    assert again == first and again is not first and len(calls) == 3
    # with the cache off, every call computes
    settings.OPENTTO_FIGURES_CACHE_SECONDS = 0
    cached_ids(visible, "result-ids", ids_of(visible))
    assert len(calls) == 4


@pytest.mark.django_db(transaction=True)
def test_a_list_page_table_is_rendered_once_per_scope_and_language_until_results_change(
    two_results, manager, enterprise_user, university, researcher
):
    """The results table and the owner filter are cached fragments: keyed by the page's query
    (which carries the viewer's scope), the query string and the language; a service's change
    shows at once."""
    staff, outsider = Client(), Client()
    staff.force_login(manager)
    outsider.force_login(enterprise_user)

    def titles(client, lang="en", **params):
        with translation.override(lang):
            body = client.get(reverse("results:list"), params).content.decode()
        return [
            t
            for t in ("Result 0", "Result 1", "Result 2", "成果0", "Result 3")
            if f">{t}</a>" in body
        ], body

    assert titles(staff)[0] == ["Result 0", "Result 1", "Result 2"]
    with CaptureQueriesContext(connection) as again:
        shown, body = titles(staff)
    assert shown == ["Result 0", "Result 1", "Result 2"] and 'id="filter-owner"' in body
    assert not [
        q
        for q in again.captured_queries
        if 'FROM "results_result"' in q["sql"] or 'FROM "organisations_organisation"' in q["sql"]
    ]
    # another scope gets its own table (never the manager's confidential row), another language its own
    assert titles(outsider)[0] == ["Result 0", "Result 1"]
    zh = titles(staff, "zh-hans")[1]
    assert (
        all(f">成果{n}</a>" in zh for n in range(3))
        and ">已入驻</th>" in zh
        and ">Onboarded</th>" not in zh
    )
    assert titles(staff, field="green_energy")[0] == []
    # a result onboarded through the service shows on the next view
    result_onboard(
        data=result_input(
            [university],
            [(researcher, "100")],
            title_zh="成果3",
            title_en="Result 3",
            ip_assets=[],
            is_public=True,
        ),
        actor=manager,
    )
    assert titles(staff)[0] == ["Result 0", "Result 1", "Result 2", "Result 3"]
    assert titles(outsider)[0] == ["Result 0", "Result 1", "Result 3"]


@pytest.mark.django_db(transaction=True)
def test_the_directory_table_is_cached_and_a_new_organisation_shows_at_once(two_results, manager):
    from opentto.organisations.services import organisation_create

    client = Client()
    client.force_login(manager)
    assert "Aaa New Company" not in client.get(reverse("organisations:list")).content.decode()
    with CaptureQueriesContext(connection) as again:
        assert client.get(reverse("organisations:list")).status_code == 200
    assert not [
        q for q in again.captured_queries if "result_count" in q["sql"]
    ]  # the table came from the cache
    organisation_create(
        actor=manager, name_zh="新公司", name_en="Aaa New Company", kind="enterprise"
    )
    assert "Aaa New Company" in client.get(reverse("organisations:list")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_cached_fragment_stays_escaped(manager, university, researcher):
    from ..security.test_attacks import XSS, _assert_escaped

    result_onboard(
        data=result_input(
            [university],
            [(researcher, "100")],
            title_zh=XSS[0],
            title_en=XSS[1],
            ip_assets=[],
            is_public=True,
        ),
        actor=manager,
    )
    client = Client()
    client.force_login(manager)
    for _ in range(2):  # rendered, then read back from the cache
        _assert_escaped(client.get(reverse("results:list")).content.decode())
        _assert_escaped(client.get(reverse("organisations:list")).content.decode())
