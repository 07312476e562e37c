"""The Python-drawn <select> is byte for byte what Django's templates draw."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from opentto.core.forms_renderer import Renderer
from opentto.organisations.models import Organisation
from tests.factories import OrganisationFactory


class _Form(forms.Form):
    plain = forms.ChoiceField(
        choices=[("", "—"), ("a", "A & B"), ("b", mark_safe("<b>bold</b>")), ("c", '"quoted"')],
        required=False,
    )
    grouped = forms.ChoiceField(
        choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("x", "Other")]
    )
    many = forms.MultipleChoiceField(choices=[(str(i), f"n{i}") for i in range(5)], required=False)
    org = forms.ModelChoiceField(queryset=Organisation.objects.order_by("pk"), empty_label="(none)")
    radio = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data", [None, {"plain": "b", "grouped": "pear", "many": ["1", "3"], "radio": "b"}]
)
def test_selects_render_as_django_renders_them(data):
    orgs = [OrganisationFactory(name_en=f"Org <{i}>") for i in range(3)]
    if data is not None:
        data = {**data, "org": str(orgs[1].pk)}
    stock, fast = _Form(data, renderer=DjangoTemplates()), _Form(data, renderer=Renderer())
    stock.fields["plain"].widget.attrs.update(
        {"aria-describedby": "h<1>", "data-flag": True, "data-off": False}
    )
    fast.fields["plain"].widget.attrs.update(
        {"aria-describedby": "h<1>", "data-flag": True, "data-off": False}
    )
    for name in ("plain", "grouped", "many", "org", "radio"):
        assert str(fast[name]) == str(stock[name]), name
    assert (
        "selected>Pear</option>" in str(fast["grouped"])
        if data
        else "selected" not in str(fast["grouped"])
    )
    assert "Org &lt;1&gt;" in str(fast["org"])
    assert (
        "<b>bold</b>" in str(fast["plain"])
        and "A &amp; B" in str(fast["plain"])
        and "&quot;quoted&quot;" in str(fast["plain"])
    )


def test_the_project_uses_it(settings):
    from django.forms.renderers import get_default_renderer

    assert settings.FORM_RENDERER == "opentto.core.forms_renderer.Renderer"
    assert isinstance(get_default_renderer(), Renderer)
