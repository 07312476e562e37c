"""get_<field>_display() from a table built once per field: the active language's label, the raw
value when unknown, Django's own way for computed choices."""

from __future__ import annotations

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from opentto.core.choice_labels import get_field_display
from opentto.results.models import Result, ResultFieldChoices, ResultStageChoices


def test_labels_follow_the_active_language():
    result = Result(field=ResultFieldChoices.AI, stage=ResultStageChoices.EVALUATION)
    with translation.override("en"):
        assert (result.get_field_display(), result.get_stage_display()) == (
            "Artificial intelligence",
            "Evaluation",
        )
    with translation.override("zh-hans"):
        assert (result.get_field_display(), result.get_stage_display()) == ("人工智能", "转化评价")
    with translation.override("en"):  # the table holds lazy labels, not the last language's text
        assert result.get_field_display() == "Artificial intelligence"


def test_an_unknown_or_empty_value_is_shown_as_stored():
    assert Result(field="not-a-field").get_field_display() == "not-a-field"
    assert Result(field="").get_field_display() == ""


def test_computed_choices_are_read_each_time():
    calls = []

    def choices():
        calls.append(1)
        return [("a", _("Alpha"))]

    field = models.CharField(choices=choices)
    field.set_attributes_from_name("letter")
    holder = type("Holder", (), {"letter": "a"})()
    assert get_field_display(holder, field) == "Alpha"
    assert get_field_display(holder, field) == "Alpha"
    assert len(calls) == 2


def test_installed_for_every_model():
    assert models.Model._get_FIELD_display is get_field_display
