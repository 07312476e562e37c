""" "Who needs this": a demand fits a result when the result is among the demand's FIT_TOP best
results, read from the demand's stored fit profile instead of a search at page time."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache import cache

from opentto.accounts.models import User
from opentto.demands.models import Demand
from opentto.demands.selectors import result_demands
from opentto.matching import MatchEngine
from opentto.organisations.models import Organisation, Person
from opentto.results.models import Result
from opentto.results.services import result_onboard
from opentto.search import index

from ..conftest import result_input

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache(fresh_index: Path) -> None:
    cache.clear()


def _result(manager: User, org: Organisation, person: Person, n: int, words: str) -> Result:
    return result_onboard(
        data=result_input(
            [org],
            [(person, "100")],
            ip_assets=[],
            title_zh=f"成果{n}",
            title_en=f"Result {n} {words}",
            abstract_zh="",
            abstract_en=f"{words} of item {n}.",
            details_zh="",
            details_en="",
        ),
        actor=manager,
        confirm_duplicates=True,
    )


@pytest.fixture
def ladder(manager: User, university: Organisation, researcher: Person) -> list[Result]:
    """12 results, each sharing one more of the demand's words than the next: the first is the
    demand's best result, the 12th its worst."""
    words = [
        "robot",
        "arm",
        "control",
        "multi",
        "step",
        "decisions",
        "assembly",
        "tasks",
        "generalises",
        "adaptive",
        "collaborative",
        "learning",
    ]
    return [
        _result(manager, university, researcher, n, " ".join(words[: 13 - n])) for n in range(1, 13)
    ]


def _ranks(demand: Demand, results: list[Result]) -> dict[int, int | None]:
    profile = index.fit_profiles([demand])[demand.pk]
    engine = index.tier("results-lex").engine
    return {r.pk: profile.rank_of(engine.lexical_score(profile.terms, str(r.pk))) for r in results}


def test_only_the_demands_ten_best_results_fit(open_demand: Demand, ladder: list[Result]) -> None:
    ranks = _ranks(open_demand, ladder)
    expected_top = [
        h.id
        for h in index.tier("results-lex").engine.search(
            open_demand.match_text(), top=10, mode="lexical"
        )
    ]
    # the ten best of a lexical search fit, with their ranks; the other two do not
    assert sorted((rank, str(pk)) for pk, rank in ranks.items() if rank is not None) == [
        (i + 1, pk) for i, pk in enumerate(expected_top)
    ]
    assert [pk for pk, rank in ranks.items() if rank is None] == [
        r.pk for r in ladder if str(r.pk) not in expected_top
    ]
    assert len(expected_top) == 10


def test_the_score_of_one_result_is_the_search_score(
    open_demand: Demand, ladder: list[Result]
) -> None:
    engine = index.tier("results-lex").engine
    terms = engine.query_terms(open_demand.match_text())
    for hit in engine.search(open_demand.match_text(), top=12, mode="lexical"):
        assert engine.lexical_score(terms, hit.id) == pytest.approx(hit.lexical, rel=1e-5)
    assert engine.lexical_score(terms, "no-such-result") == 0.0


def test_profiles_are_cached_and_a_result_page_does_not_search_the_results(
    open_demand: Demand, ladder: list[Result], manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    index.refresh_fits()
    searched: list[str] = []
    original = MatchEngine.search

    def counting(self: MatchEngine, text: str, *args: object, **kwargs: object) -> object:
        searched.append(text)
        return original(self, text, *args, **kwargs)  # type: ignore[arg-type]

    top = [
        h.id
        for h in original(
            index.tier("results-lex").engine, open_demand.match_text(), top=10, mode="lexical"
        )
    ]
    inside = next(r for r in ladder if str(r.pk) == top[2])
    outside = next(r for r in ladder if str(r.pk) not in top)
    monkeypatch.setattr(MatchEngine, "search", counting)
    found = result_demands(manager, inside)
    assert [(f.demand.pk, f.rank) for f in found.demands] == [(open_demand.pk, 3)]
    assert len(searched) == 1  # the demands index only: the fit came from the stored profile
    assert result_demands(manager, outside).demands == []  # not among the demand's ten best


def test_a_result_saved_after_the_profile_fits_at_once(
    open_demand: Demand,
    ladder: list[Result],
    manager: User,
    university: Organisation,
    researcher: Person,
) -> None:
    index.refresh_fits()
    before = index.fit_profiles([open_demand], compute=0)[open_demand.pk]
    best = _result(
        manager,
        university,
        researcher,
        99,
        "robot arm control multi step decisions assembly tasks generalises adaptive collaborative robot arm control",
    )
    # one change on a 12-result index is more than 1 %: the profile is recomputed, and the new
    # result takes its place among the demand's best, as a search ranks it
    engine = index.tier("results-lex").engine
    index.tier("results-lex").sync()
    assert index._fit_stale(before, engine)
    rank = 1 + [
        h.id for h in engine.search(open_demand.match_text(), top=10, mode="lexical")
    ].index(str(best.pk))
    assert _ranks(open_demand, [best]) == {best.pk: rank}
    assert [f.demand.pk for f in result_demands(manager, best).demands] == [open_demand.pk]


class _Index:
    """Just what the staleness rule reads of an engine."""

    def __init__(self, seq: int, live: int) -> None:
        self.change_seq, self.live = seq, live

    def __len__(self) -> int:
        return self.live


def test_a_stored_profile_is_used_until_more_than_one_percent_changed() -> None:
    profile = index.FitProfile({"robot": 1.0}, (5.0,) * 10, seq=100, live=400)
    stale = index._fit_stale
    assert not stale(profile, _Index(104, 400))  # 4 changes of 400 results: 1 %
    assert stale(profile, _Index(105, 400))
    assert not stale(profile, _Index(100, 404)) and stale(
        profile, _Index(100, 405)
    )  # grew by more than 1 %
    assert stale(profile, _Index(100, 395))
    small = index.FitProfile({}, (), seq=7, live=12)
    assert not stale(small, _Index(7, 12)) and stale(
        small, _Index(8, 12)
    )  # under 100 results: any change


def test_rank_among_the_stored_best_scores() -> None:
    profile = index.FitProfile(
        {}, (9.0, 8.0, 7.0, 6.0, 5.5, 5.4, 5.3, 5.2, 5.1, 5.0), seq=0, live=50
    )
    assert profile.rank_of(9.5) == 1 and profile.rank_of(9.0) == 1 and profile.rank_of(7.5) == 3
    assert profile.rank_of(5.0) == 10 and profile.rank_of(4.99) is None
    assert (
        index.FitProfile({}, (3.0, 2.0), 0, 2).rank_of(1.0) == 3
    )  # fewer than ten results share a word: any score fits
    assert index.FitProfile({}, (3.0, 2.0), 0, 2).rank_of(0.0) is None


def test_a_page_computes_at_most_two_missing_profiles_and_queues_the_rest(
    open_demand: Demand,
    ladder: list[Result],
    enterprise_user: User,
    enterprise_org: Organisation,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from opentto.demands.services import demand_create

    from .conftest import demand_input

    others = [
        demand_create(
            data=demand_input(enterprise_org, title_en=f"Robot arm need {i}"),
            actor=enterprise_user,
            publish=True,
        )
        for i in range(2)
    ]
    cache.clear()
    queued: list[list[int]] = []
    monkeypatch.setattr(index, "_background_fits", queued.append)
    demands = [open_demand, *others]
    got = index.fit_profiles(demands, compute=index.INLINE_FITS)
    assert sorted(got) == [open_demand.pk, others[0].pk] and queued == [[others[1].pk]]
    # the next view finds the two computed ones and computes the third
    assert sorted(index.fit_profiles(demands, compute=index.INLINE_FITS)) == sorted(
        d.pk for d in demands
    )
    assert queued == [[others[1].pk]]
    assert index.fit_profiles(demands, compute=0).keys() == {d.pk for d in demands}


def test_scores_from_the_stored_term_counts_equal_the_postings_lookup(
    open_demand: Demand, ladder: list[Result]
) -> None:
    engine = index.tier("results-lex").engine
    index.tier("results-lex").sync()
    queries = [
        engine.query_terms(open_demand.match_text()),
        engine.query_terms("robot arm"),
        engine.query_terms("锂电池"),
    ]
    for r in ladder:
        assert engine.lexical_scores(queries, str(r.pk)) == pytest.approx(
            [engine.lexical_score(q, str(r.pk)) for q in queries], rel=1e-9
        )
    assert engine.lexical_scores(queries, "missing") == [0.0, 0.0, 0.0]
