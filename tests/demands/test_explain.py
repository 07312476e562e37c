"""Match explanations in plain words: the sentence an enterprise reads (both languages, no
numbers) and the score's parts a manager reads (``view_scores``), which add up to the shown
score exactly."""

from __future__ import annotations

import importlib
import random
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import translation

from opentto.core.models import Grant
from opentto.demands.explain import fit_sentence, score_parts, shown_score
from opentto.matching import Explanation, Hit, ScoreBasis, TermMatch

pytestmark = pytest.mark.django_db

#: (demand's form, result's form, BM25 share, reached through translation), best first
TERMS = [
    ("separator", "隔膜", 2.0, True),
    ("锂电池", "锂离子电池", 1.5, False),
    ("隔膜", "隔膜", 1.0, False),
    ("容量", "容量", 0.5, False),
]
CONTEXT = "锂电池隔膜的容量 lithium battery separator capacity"


def client_for(user=None) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("language", "close", "sentence"),
    [
        (
            "en",
            True,
            "Fits because both speak of separator (隔膜), 锂电池 (lithium battery) and 容量 (capacity); the texts are also close in meaning.",
        ),
        (
            "en",
            False,
            "Fits because both speak of separator (隔膜), 锂电池 (lithium battery) and 容量 (capacity).",
        ),
        (
            "zh-hans",
            True,
            "契合原因：双方都谈到隔膜（separator）、锂电池和容量；两者的内容含义也相近。",
        ),
        ("zh-hans", False, "契合原因：双方都谈到隔膜（separator）、锂电池和容量。"),
    ],
)
def test_the_sentence_names_the_best_terms_with_plausible_translations(
    language: str, close: bool, sentence: str
) -> None:
    """隔膜 comes once (the translated "separator" named it); a Chinese word gets an English
    gloss on an English page only, from the dictionary when it is plausible."""
    with translation.override(language):
        assert fit_sentence(TERMS, close_in_meaning=close, context=CONTEXT) == sentence


@pytest.mark.parametrize(
    ("language", "terms", "close", "sentence"),
    [
        (
            "en",
            [("机器学习", "机器学习", 1.0, False)],
            False,
            "Fits because both speak of 机器学习 (machine learning).",
        ),
        (
            "zh-hans",
            [("machine learning", "machine learning", 1.0, False)],
            False,
            "契合原因：双方都谈到machine learning（机器学习）。",
        ),
        (
            "en",
            [("材料", "材料", 1.0, False), ("芯片", "芯片", 0.5, False)],
            False,
            "Fits because both speak of 材料 and 芯片 (computer chip).",
        ),
        (
            "en",
            [
                ("机械臂", "机械臂", 2.0, False),
                ("机械", "机械", 1.0, False),
                ("抓取", "抓取", 0.5, False),
            ],
            False,
            "Fits because both speak of 机械臂 and 抓取.",
        ),  # 机械 is inside 机械臂; 抓取's "seize" is not in the texts
        (
            "en",
            [],
            True,
            "Fits because the texts are close in meaning, though they share no key term.",
        ),
        ("zh-hans", [], True, "契合原因：两者的内容含义相近，虽然没有共同的关键词。"),
        ("en", [], False, "Shares only a few scattered words with the demand: a weak fit."),
        ("zh-hans", [], False, "与该需求只有零星的共同用词，契合度较弱。"),
    ],
)
def test_the_sentence_without_terms_or_translations(
    language: str, terms: list, close: bool, sentence: str
) -> None:  # type: ignore[type-arg]
    context = "机械臂抓取 robot arm grasping" if terms and terms[0][0] == "机械臂" else ""
    with translation.override(language):
        assert fit_sentence(terms, close_in_meaning=close, context=context) == sentence


def _hit(rng: random.Random, mode: str) -> tuple[Hit, list[tuple[str, str, float, bool]]]:
    shares = [round(rng.uniform(0.01, 4.0), 4) for _ in range(rng.randint(0, 16))]
    lexical = sum(shares) + (
        rng.uniform(0, 2.0) if rng.random() < 0.5 else 0.0
    )  # single characters
    if mode == "hybrid":
        basis = ScoreBasis(
            "hybrid",
            1.0,
            rng.uniform(0.6, 0.85),
            rng.uniform(0.01, 0.1),
            rng.choice([0.2, 0.3, 0.5]),
            rng.uniform(0.0, 3.0),
            rng.uniform(0.2, 4.0),
        )
    else:
        basis = ScoreBasis("lexical")
    dense = rng.uniform(0.6, 0.95) if mode == "hybrid" else 0.0
    terms = tuple(TermMatch(f"t{i}", f"t{i}", f"t{i}", s) for i, s in enumerate(shares))
    score = basis.dense_part(dense) + basis.term_part(lexical) + basis.lexical_offset()
    score = float(f"{score:.6g}")  # as the float32 fusion gives it: not exactly the parts' sum
    why = Explanation("d", lexical, dense, score, terms, "", 0, basis)
    distinct = [(t.query_form, t.doc_form, t.score, False) for t in terms][:12]
    return Hit("d", score, lexical, dense, why), distinct


@pytest.mark.parametrize("mode", ["hybrid", "lexical"])
def test_the_shown_parts_add_up_to_the_shown_score_for_many_hits(mode: str) -> None:
    rng = random.Random(17)
    for _ in range(3000):
        hit, terms = _hit(rng, mode)
        parts = score_parts(hit, terms)
        shown = [Decimal(p.shown) for p in parts]
        assert sum(shown) == Decimal(shown_score(hit.score))
        for p, s in zip(parts, shown, strict=True):
            assert abs(float(s) - p.value) < 0.01
        if mode == "hybrid":
            assert parts[0].key == "meaning"
        assert sum(1 for p in parts if p.key == "term") == min(len(terms), 12)


def test_a_hit_without_explanation_is_one_part() -> None:
    parts = score_parts(Hit("d", 1.234, 1.234, 0.0), [])
    assert [(p.key, p.shown) for p in parts] == [("rounding", "+1.23")]


def _cards(body: str) -> list[str]:
    return re.findall(
        r'<li class="match-card[^"]*".*?</li>\s*(?=<li class="match-card|</ol>)', body, re.S
    )


def _text(html: str) -> str:
    html = re.sub(r"<(input|form)[^>]*>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def test_an_enterprise_reads_sentences_and_no_score(
    enterprise_user, open_demand, arm_result, battery_result
):  # type: ignore[no-untyped-def]
    for language, start in (
        ("en", "Fits because both speak of "),
        ("zh-hans", "契合原因：双方都谈到"),
    ):
        with translation.override(language):
            response = client_for(enterprise_user).get(
                reverse("demands:matches", args=[open_demand.pk])
            )
        body = response.content.decode()
        assert response.context["view_scores"] is False
        cards = _cards(body)
        assert len(cards) == len(response.context["found"].results) >= 1
        assert 'class="score-parts"' not in body and "score-detail" not in body
        first = response.context["found"].results[0]
        assert first.result == arm_result and first.sentence.startswith(start)
        assert f'<p class="fit-sentence">{first.sentence}</p>' in body
        for card in cards:
            assert not re.search(r"\d\.\d", _text(card)), _text(card)  # no score, share or cosine
            assert "BM25" not in _text(card) and "cosine" not in _text(card)
            assert "title=" not in card.split('class="terms"')[-1].split("</p>")[0]


def test_a_manager_reads_the_parts_that_add_up_to_the_shown_score(
    manager, open_demand, arm_result, battery_result
):  # type: ignore[no-untyped-def]
    with translation.override("en"):
        response = client_for(manager).get(reverse("demands:matches", args=[open_demand.pk]))
    body = response.content.decode()
    assert response.context["view_scores"] is True
    cards = _cards(body)
    assert cards
    for card, m in zip(cards, response.context["found"].results, strict=True):
        assert '<p class="fit-sentence">' in card
        values = [
            Decimal(v) for v in re.findall(r'<td class="part-value">([-+]\d+\.\d\d)</td>', card)
        ]
        total = re.search(r'<td class="score-total">(-?\d+\.\d\d)</td>', card)
        shown = re.search(r'<dd class="score-shown">(-?\d+\.\d\d)</dd>', card)
        assert values and total and shown
        assert (
            sum(values)
            == Decimal(total.group(1))
            == Decimal(shown.group(1))
            == Decimal(f"{m.score:.2f}")
        )
        assert abs(float(total.group(1)) - m.score) <= 0.005 + 1e-9


def test_scores_follow_the_grant_not_the_role(manager, open_demand, arm_result):  # type: ignore[no-untyped-def]
    """A manager whose default grant lost ``view_scores`` reads the sentences only; the page stays."""
    row = Grant.objects.get(
        role="manager", object_type="demands.demand", constraint="all", is_default=True
    )
    assert "view_scores" in row.actions
    row.actions = [a for a in row.actions if a != "view_scores"]
    row.save(update_fields=["actions"])
    response = client_for(manager).get(reverse("demands:matches", args=[open_demand.pk]))
    assert response.status_code == 200 and response.context["view_scores"] is False
    body = response.content.decode()
    assert "score-detail" not in body and 'class="score-shown"' not in body
    sentence = response.context["found"].results[0].sentence
    assert sentence.startswith("Fits because") and f'<p class="fit-sentence">{sentence}</p>' in body


def test_granting_view_scores_to_enterprises_shows_them_the_parts(
    enterprise_user, open_demand, arm_result
):  # type: ignore[no-untyped-def]
    """The page asks the grant: an admin who gives ``view_scores`` on their own demands to
    enterprises changes what they read, without code."""
    row = Grant.objects.get(
        role="enterprise",
        object_type="demands.demand",
        constraint="own_organisation",
        is_default=True,
    )
    row.actions = sorted({*row.actions, "view_scores"})
    row.save(update_fields=["actions"])
    response = client_for(enterprise_user).get(reverse("demands:matches", args=[open_demand.pk]))
    assert (
        response.context["view_scores"] is True
        and 'class="profile score-detail"' in response.content.decode()
    )


grant_step = importlib.import_module(
    "opentto.demands.migrations.0002_view_scores_in_default_grants"
)


def test_existing_default_grants_get_view_scores_and_a_switched_off_row_stays_off():
    from django.db import connection

    manager_row = Grant.objects.get(
        role="manager", object_type="demands.demand", constraint="all", is_default=True
    )
    admin_row = Grant.objects.get(
        role="admin", object_type="demands.demand", constraint="all", is_default=True
    )
    # as a database migrated before the action existed (the admin had switched the manager's row off)
    Grant.objects.filter(pk=manager_row.pk).update(actions=["change", "view"], enabled=False)
    Grant.objects.filter(pk=admin_row.pk).update(
        actions=[a for a in admin_row.actions if a != "view_scores"]
    )
    grant_step.add_actions(apps, SimpleNamespace(connection=connection))
    grant_step.add_actions(apps, SimpleNamespace(connection=connection))  # idempotent
    manager_row.refresh_from_db()
    admin_row.refresh_from_db()
    assert manager_row.actions == ["change", "view", "view_scores"] and not manager_row.enabled
    assert "view_scores" in admin_row.actions and admin_row.enabled
    enterprise_row = Grant.objects.get(
        role="enterprise", object_type="demands.demand", constraint="own_organisation"
    )
    assert "view_scores" not in enterprise_row.actions


def test_the_sentence_marks_words_quoted_in_the_other_language_and_escapes_everything():
    terms = [("机械臂", "机械臂", 3.0, False), ("<b>grip</b>", "<b>grip</b>", 2.0, False)]
    with translation.override("en"):
        html = fit_sentence(terms, close_in_meaning=False, context="", html=True)
        assert (
            html
            == 'Fits because both speak of <span lang="zh-Hans">机械臂</span> and &lt;b&gt;grip&lt;/b&gt;.'
        )
        assert (
            fit_sentence(terms, close_in_meaning=False, context="")
            == "Fits because both speak of 机械臂 and <b>grip</b>."
        )
    with translation.override("zh-hans"):
        html = fit_sentence(terms, close_in_meaning=False, context="", html=True)
        assert (
            html == '契合原因：双方都谈到机械臂和<span lang="en">&lt;b&gt;grip&lt;/b&gt;</span>。'
        )
