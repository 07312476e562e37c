import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from opentto.evaluation.models import Rubric
from opentto.evaluation.services import CriterionInput, rubric_revise

from .conftest import open_round, value_rubric


@pytest.mark.django_db
def test_the_three_builtin_rubrics_exist_after_migrate_and_print_as_json():
    out = StringIO()
    call_command("rubrics", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert [r["key"] for r in data] == ["patent-value", "result-value", "trl"]
    by_key = {r["key"]: r for r in data}
    assert by_key["trl"]["standard"] == "GB/T 22900-2022"
    assert by_key["result-value"]["standard"] == "GB/T 44731-2024"
    assert by_key["patent-value"]["standard"] == "GB/T 42748-2023"
    for rubric in data:
        assert {"key", "version", "title_zh", "title_en", "standard", "criteria"} <= set(rubric)
        assert rubric["version"] == 1
        for c in rubric["criteria"]:
            assert {"key", "title_zh", "title_en", "weight", "clause"} <= set(c)
            assert c["clause"].strip() and c["title_zh"].strip() and c["title_en"].strip()
            assert isinstance(c["weight"], float)
            assert rubric["standard"] in c["clause"]
    trl = by_key["trl"]["criteria"]
    assert len(trl) == 1
    assert [lv["level"] for lv in trl[0]["levels"]] == list(range(1, 10))
    assert (
        trl[0]["levels"][8]["nasa_en"]
        == "Actual system proven through successful mission operations."
    )
    value_dims = {c["dimension"] for c in by_key["result-value"]["criteria"]}
    assert value_dims == {
        "scientific",
        "technical",
        "economic",
        "social_cultural",
        "transfer_potential",
    }
    patent = {c["key"] for c in by_key["patent-value"]["criteria"]}
    assert {
        "legal_status",
        "remaining_term",
        "claim_scope",
        "family_coverage",
        "infringement_detectability",
        "advancement",
        "substitutability",
        "maturity",
        "market_size",
        "licensing_status",
    } <= patent
    # Weights depend on the purpose: pledge financing weighs the legal status more than a licence does.
    legal = next(c for c in by_key["patent-value"]["criteria"] if c["key"] == "legal_status")
    assert legal["weights_by_purpose"]["pledge"] > legal["weights_by_purpose"]["transfer"]


@pytest.mark.django_db
def test_no_clause_number_is_invented():
    """Clauses name the standard and the indicator (STANDARDS.md): no "5.2.1"-style numbers."""
    import re

    for rubric in Rubric.objects.all():
        for c in rubric.criteria.all():
            assert not re.search(r"\b\d+\.\d+(\.\d+)*\b", c.clause.replace(rubric.standard, "")), (
                c.clause
            )


@pytest.mark.django_db
def test_a_revision_is_a_new_version_and_an_opened_round_keeps_the_old_one(
    admin_user, manager, in_evaluation
):
    old = value_rubric()
    review_round = open_round(in_evaluation, manager)
    criteria = [
        CriterionInput(
            key=c.key, title_zh=c.title_zh, title_en=c.title_en, weight=c.weight, clause=c.clause
        )
        for c in old.criteria.all()
    ]
    criteria[0] = CriterionInput(
        key=criteria[0].key,
        title_zh="原创性（修订）",
        title_en="Originality (revised)",
        weight=Decimal("0.2"),
        clause=criteria[0].clause,
    )
    new = rubric_revise(
        rubric=old,
        criteria=criteria,
        title_zh=old.title_zh,
        title_en=old.title_en,
        revision_note="加重原创性",
        actor=admin_user,
    )
    assert (new.version, new.is_active) == (2, True)
    old.refresh_from_db()
    assert old.is_active is False
    assert old.criteria.get(key="originality").title_en == "Originality"
    assert new.criteria.get(key="originality").title_en == "Originality (revised)"
    review_round.refresh_from_db()
    assert review_round.rubric_id == old.pk
    assert Rubric.objects.filter(key="result-value").count() == 2


@pytest.mark.django_db
def test_only_admins_revise_and_a_clause_is_required(manager, admin_user):
    rubric = value_rubric()
    with pytest.raises(PermissionError):
        rubric_revise(
            rubric=rubric, criteria=[], title_zh="x", title_en="x", revision_note="x", actor=manager
        )
    c = rubric.criteria.first()
    with pytest.raises(ValidationError) as exc:
        rubric_revise(
            rubric=rubric,
            criteria=[
                CriterionInput(
                    key=c.key, title_zh="a", title_en="b", weight=Decimal("1"), clause=" "
                )
            ],
            title_zh="x",
            title_en="x",
            revision_note="x",
            actor=admin_user,
        )
    assert "criteria-0-clause" in exc.value.message_dict
    assert Rubric.objects.filter(key="result-value").count() == 1
