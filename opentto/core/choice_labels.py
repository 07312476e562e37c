"""``get_<field>_display()`` without rebuilding the choices' dictionary on every call.

Django's ``Model._get_FIELD_display`` builds ``dict(make_hashable(field.flatchoices))`` each time
it is called, and hashing each lazily translated label translates it: a list of 20 results
showing field, kind and stage made ~800 ``gettext`` calls, a quarter of the page's time. This
version builds the dictionary once per field (the labels stay lazy, so each call still gives
the active language's label) and falls back to Django's own for choices that are computed on
each use (a callable). Installed by ``opentto/__init__.py`` before any model class is created,
because each model's ``get_<field>_display`` binds the method when the class is built.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

_django_get_display = Model._get_FIELD_display  # type: ignore[attr-defined]
_LABELS_ATTR = "_opentto_choice_labels"


def get_field_display(self: Model, field: Any) -> Any:
    labels = field.__dict__.get(_LABELS_ATTR)
    if labels is None:
        if not isinstance(field.choices, list | tuple):  # computed on each use: Django's way
            return _django_get_display(self, field)
        labels = dict(make_hashable(field.flatchoices))
        field.__dict__[_LABELS_ATTR] = labels
    value = getattr(self, field.attname)
    return force_str(labels.get(make_hashable(value), value), strings_only=True)


def install() -> None:
    Model._get_FIELD_display = get_field_display  # type: ignore[attr-defined]
