"""The Django side of the matching index: what is indexed, keeping in step with the database,
rebuilding itself, the on-commit task, and the permission rules of search."""

from __future__ import annotations

import shutil

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from opentto.results.models import Result
from opentto.results.selectors import result_search
from opentto.results.services import result_update
from opentto.search import index

from ..conftest import result_input

pytestmark = pytest.mark.django_db


def ids(hits):
    return [h.id for h in hits]


def test_result_document_holds_the_public_text_and_never_the_confidential_details(arm_result):
    doc = index.result_document(arm_result)
    assert "强化学习" in doc.body and "reinforcement-learning" in doc.body
    assert "X9" not in doc.body and "X9" not in " ".join(doc.keywords)
    assert (
        index.result_details_document(arm_result).text == "策略网络X9结构\nX9-policy network layout"
    )


def test_search_finds_a_new_result_and_forgets_a_deleted_one(arm_result, battery_result):
    everyone = {str(arm_result.pk), str(battery_result.pk)}
    assert ids(index.search_results("机械臂 强化学习", allowed_ids=everyone).hits) == [
        str(arm_result.pk)
    ]
    assert ids(index.search_results("lithium battery cathode", allowed_ids=everyone).hits)[
        0
    ] == str(battery_result.pk)
    Result.objects.filter(pk=battery_result.pk).delete()
    assert index.search_results("lithium battery cathode", allowed_ids=everyone).hits == []
    assert str(battery_result.pk) not in index.tier("results-lex").engine


def test_an_edited_result_is_found_by_its_new_words(manager, arm_result, university, researcher):
    allowed = {str(arm_result.pk)}
    assert index.search_results("钙钛矿", allowed_ids=allowed).hits == []
    result_update(
        result=arm_result,
        data=result_input(
            [university], [(researcher, "100")], ip_assets=[], abstract_zh="一种钙钛矿太阳能电池。"
        ),
        actor=manager,
    )
    assert ids(index.search_results("钙钛矿", allowed_ids=allowed).hits) == [str(arm_result.pk)]


def test_allowed_ids_are_applied_before_the_cut(arm_result, secret_arm_result):
    hits = index.search_results(
        "机械臂 强化学习 控制", allowed_ids={str(arm_result.pk)}, top=1
    ).hits
    assert ids(hits) == [str(arm_result.pk)]


def test_the_index_rebuilds_itself_when_its_directory_is_removed(fresh_index, arm_result):
    allowed = {str(arm_result.pk)}
    assert ids(index.search_results("机械臂", allowed_ids=allowed).hits) == [str(arm_result.pk)]
    index.reset_tiers()
    shutil.rmtree(fresh_index)
    assert ids(index.search_results("机械臂", allowed_ids=allowed).hits) == [str(arm_result.pk)]
    assert index.tier("results-lex").engine.status == "created"


def test_the_index_rebuilds_itself_when_its_file_is_corrupt(fresh_index, arm_result):
    allowed = {str(arm_result.pk)}
    index.search_results("机械臂", allowed_ids=allowed)
    index.reset_tiers()
    (fresh_index / "results-lex" / "index.sqlite3").write_bytes(b"this is not a database" * 100)
    assert ids(index.search_results("机械臂", allowed_ids=allowed).hits) == [str(arm_result.pk)]
    assert index.tier("results-lex").engine.status == "rebuilt:corrupt"


def test_saving_a_result_queues_indexing_on_commit(
    fresh_index, manager, university, researcher, django_capture_on_commit_callbacks
):
    from opentto.results.services import result_onboard

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = result_onboard(
            data=result_input([university], [(researcher, "100")], ip_assets=[]), actor=manager
        )
    assert len(callbacks) == 2  # the indexing task and the figures version (opentto/core/cache.py)
    # found without any search having synchronised the index: the task did it
    assert str(result.pk) in index.tier("results-lex").engine
    assert str(result.pk) in index.tier("details").engine


def test_reindex_command_rebuilds_every_lexical_index(fresh_index, arm_result, open_demand, capsys):
    call_command("reindex", "--lexical-only")
    out = capsys.readouterr().out
    assert "results-lex: 1 documents indexed" in out
    assert "details: 1 documents indexed" in out
    assert "demands-lex: 1 documents indexed" in out
    assert str(open_demand.pk) in index.tier("demands-lex").engine


def test_search_box_never_matches_confidential_details_of_those_who_may_not_read_them(
    enterprise_user, inventor, manager, arm_result, secret_arm_result
):
    # "Q7" is only in the confidential result's details, "X9" only in the public result's details
    assert list(result_search(enterprise_user, "Q7")) == []
    assert list(result_search(None, "X9")) == []
    assert list(result_search(enterprise_user, "X9-policy")) == []
    assert [r.pk for r in result_search(inventor, "Q7")] == [secret_arm_result.pk]
    assert [r.pk for r in result_search(manager, "X9")] == [arm_result.pk]
    # the confidential result matches the words, but only its permitted readers see it
    assert [r.pk for r in result_search(enterprise_user, "机械臂")] == [arm_result.pk]
    assert {r.pk for r in result_search(manager, "机械臂")} == {arm_result.pk, secret_arm_result.pk}


def test_header_search_is_cross_lingual(arm_result, battery_result):
    # an English query finds a result through its Chinese text too (and its English text)
    assert [r.pk for r in result_search(None, "robot arm")] == [arm_result.pk]
    assert [r.pk for r in Client().get(reverse("search"), {"q": "正极材料"}).context["page"]] == [
        battery_result.pk
    ]


def test_search_falls_back_to_the_database_when_the_index_fails(monkeypatch, arm_result):
    def broken(*args, **kwargs):
        raise OSError("disk gone")

    monkeypatch.setattr(index, "search_results", broken)
    assert [r.pk for r in result_search(None, "机械臂")] == [arm_result.pk]
    assert list(result_search(None, "X9")) == []


def test_a_large_backlog_is_indexed_in_the_background_and_the_database_answers(
    monkeypatch, fresh_index, arm_result
):
    started = []
    monkeypatch.setattr(index, "INLINE_SYNC_LIMIT", 0)
    monkeypatch.setattr(index, "_background_sync", lambda t: started.append(t.spec.name))
    assert [r.pk for r in result_search(None, "机械臂")] == [arm_result.pk]
    assert started == ["results-lex"]


@pytest.mark.slow
def test_dense_matching_finds_a_chinese_result_for_an_english_demand(
    settings, fresh_index, arm_result, battery_result, open_demand
):
    """The one test with the real embedding model (a few seconds)."""
    settings.OPENTTO_MATCHING_DENSE = True
    allowed = {str(arm_result.pk), str(battery_result.pk)}
    assert index.search_results("mechanical manipulator", allowed_ids=allowed).mode == "lexical"
    index.backfill_dense()
    outcome = index.search_results(
        "a controller that teaches an industrial manipulator new jobs",
        allowed_ids=allowed,
        explain=True,
    )
    assert outcome.mode == "hybrid"
    assert (outcome.embedded, outcome.total) == (2, 2)
    assert ids(outcome.hits)[0] == str(arm_result.pk)
    assert outcome.hits[0].dense > outcome.hits[1].dense


def test_a_search_lists_the_best_match_first_and_reads_only_its_page(
    manager, secret_arm_result, arm_result, battery_result
):
    client = Client()
    client.force_login(manager)
    # arm_result is the newest; the confidential one says "机械臂" three times and ranks first
    page = client.get(reverse("search"), {"q": "机械臂控制"}).context["page"]
    assert [r.pk for r in page] == [secret_arm_result.pk, arm_result.pk]
    assert page.paginator.count == 2
    newest = client.get(reverse("search"), {"q": "机械臂控制", "sort": "newest"}).context["page"]
    assert [r.pk for r in newest] == [arm_result.pk, secret_arm_result.pk]
    # other filters keep their meaning in relevance order
    public = client.get(reverse("search"), {"q": "机械臂控制", "public": "public"}).context["page"]
    assert [r.pk for r in public] == [arm_result.pk]
    assert [
        r.pk
        for r in client.get(
            reverse("search"), {"q": "机械臂控制", "field": "green_energy"}
        ).context["page"]
    ] == []
    # the sort menu offers relevance only to a search
    assert ("relevance", "Relevance") in [
        (v, str(label))
        for v, label in client.get(
            reverse("search"), {"q": "机械臂", "sort": "relevance"}, HTTP_ACCEPT_LANGUAGE="en"
        ).context["sorts"]
    ]
    assert "relevance" not in [
        v for v, _ in client.get(reverse("results:list"), {"sort": "relevance"}).context["sorts"]
    ]
    assert (
        client.get(reverse("results:list"), {"sort": "relevance"}).context["params"]["sort"]
        == "newest"
    )


def test_a_search_exports_its_rows_in_the_order_of_its_page(
    manager, enterprise_user, secret_arm_result, arm_result, battery_result
):
    """The export of a search holds the page's rows in the page's order: best first by default,
    newest first when asked; only the visible ones, whatever the order."""

    def exported(client, **params):
        response = client.get("/en/imports/export/results.csv", params)
        assert response.status_code == 200
        return [
            int(line.split(",", 1)[0])
            for line in b"".join(response.streaming_content).decode("utf-8-sig").splitlines()[1:]
        ]

    client = Client()
    client.force_login(manager)
    assert exported(client, q="机械臂控制") == [secret_arm_result.pk, arm_result.pk]
    assert exported(client, q="机械臂控制", sort="relevance") == [
        secret_arm_result.pk,
        arm_result.pk,
    ]
    assert exported(client, q="机械臂控制", sort="newest") == [arm_result.pk, secret_arm_result.pk]
    assert exported(client, q="机械臂控制", public="public") == [arm_result.pk]
    assert exported(client) == [battery_result.pk, arm_result.pk, secret_arm_result.pk]
    client.force_login(enterprise_user)
    assert exported(client, q="机械臂控制") == [arm_result.pk]


def test_a_relevance_search_never_shows_what_the_user_may_not_see(
    enterprise_user, secret_arm_result, arm_result
):
    client = Client()
    client.force_login(enterprise_user)
    page = client.get(reverse("search"), {"q": "机械臂控制"}).context["page"]
    assert [r.pk for r in page] == [arm_result.pk] and page.paginator.count == 1
    assert [r.pk for r in Client().get(reverse("search"), {"q": "Q7"}).context["page"]] == []


def test_a_relevance_search_falls_back_to_newest_when_the_index_fails(
    monkeypatch, manager, secret_arm_result, arm_result
):
    def broken(*args, **kwargs):
        raise OSError("disk gone")

    monkeypatch.setattr(index, "search_results", broken)
    client = Client()
    client.force_login(manager)
    response = client.get(reverse("search"), {"q": "机械臂"})
    assert response.status_code == 200 and response.context["params"]["sort"] == "newest"
    assert [r.pk for r in response.context["page"]] == [arm_result.pk, secret_arm_result.pk]
    # its export too: the same rows, newest first
    export = client.get("/en/imports/export/results.csv", {"q": "机械臂"})
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()[1:]
    assert [int(line.split(",", 1)[0]) for line in lines] == [arm_result.pk, secret_arm_result.pk]
