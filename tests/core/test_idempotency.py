"""The single-use keys of writes (opentto.core.idempotency): a repeat answers with the first
outcome, the same key for another request is refused, a failed write keeps no key."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import timezone

from opentto.core import idempotency
from opentto.core.idempotency import (
    KeyReused,
    clean_key,
    fingerprint,
    idempotency_keys_purge,
    run_once,
)
from opentto.core.models import IdempotencyKey
from opentto.organisations.models import Organisation

from ..conftest import make_user
from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _make_org(calls: list[int]) -> Organisation:
    calls.append(1)
    return OrganisationFactory(name_en=f"Org {len(calls)}")


def test_without_a_key_the_write_runs_each_time(manager):
    calls: list[int] = []
    for _ in range(2):
        outcome = run_once(
            key="", actor=manager, scope="s", fingerprint="f", write=lambda: _make_org(calls)
        )
        assert not outcome.replayed and outcome.record is None
    assert len(calls) == 2 and IdempotencyKey.objects.count() == 0


def test_a_repeat_with_the_same_key_answers_with_the_first_outcome(manager):
    calls: list[int] = []
    first = run_once(
        key="k-1", actor=manager, scope="s", fingerprint="f", write=lambda: _make_org(calls)
    )
    again = run_once(
        key="k-1", actor=manager, scope="s", fingerprint="f", write=lambda: _make_org(calls)
    )
    assert calls == [1] and Organisation.objects.count() == 1
    assert not first.replayed and again.replayed and again.value is None
    record = IdempotencyKey.objects.get()
    assert again.record == record
    assert (record.object_type, record.object_id, record.scope, record.fingerprint) == (
        "organisations.organisation",
        str(first.value.pk),
        "s",
        "f",
    )


def test_the_same_key_for_another_request_is_refused_and_writes_nothing(manager):
    calls: list[int] = []
    run_once(key="k-1", actor=manager, scope="s", fingerprint="f", write=lambda: _make_org(calls))
    for scope, fp in (("s", "other"), ("other scope", "f")):
        with pytest.raises(KeyReused) as exc:
            run_once(
                key="k-1",
                actor=manager,
                scope=scope,
                fingerprint=fp,
                write=lambda: _make_org(calls),
            )
        assert exc.value.first.fingerprint == "f"
    assert calls == [1] and Organisation.objects.count() == 1


def test_keys_belong_to_their_actor(manager, admin_user):
    calls: list[int] = []
    run_once(
        key="shared", actor=manager, scope="s", fingerprint="f", write=lambda: _make_org(calls)
    )
    outcome = run_once(
        key="shared", actor=admin_user, scope="s", fingerprint="f", write=lambda: _make_org(calls)
    )
    assert not outcome.replayed and calls == [1, 1] and IdempotencyKey.objects.count() == 2


def test_a_failed_write_keeps_no_key_so_a_retry_runs(manager):
    def refuse() -> Organisation:
        OrganisationFactory(name_en="half-written")
        raise ValidationError("no")

    with pytest.raises(ValidationError):
        run_once(key="k-2", actor=manager, scope="s", fingerprint="f", write=refuse)
    assert (
        IdempotencyKey.objects.count() == 0
        and not Organisation.objects.filter(name_en="half-written").exists()
    )
    calls: list[int] = []
    assert not run_once(
        key="k-2", actor=manager, scope="s", fingerprint="f", write=lambda: _make_org(calls)
    ).replayed
    assert calls == [1] and IdempotencyKey.objects.count() == 1


def test_an_outcome_described_as_none_is_rolled_back_and_keeps_no_key(manager):
    calls: list[int] = []
    outcome = run_once(
        key="k-3",
        actor=manager,
        scope="s",
        fingerprint="f",
        write=lambda: _make_org(calls),
        describe=lambda value: None,
    )
    assert outcome.value is not None and not outcome.replayed
    assert IdempotencyKey.objects.count() == 0 and Organisation.objects.count() == 0


def test_anonymous_writes_take_no_key():
    calls: list[int] = []
    for _ in range(2):
        run_once(key="k", actor=None, scope="s", fingerprint="f", write=lambda: _make_org(calls))
    assert calls == [1, 1] and IdempotencyKey.objects.count() == 0


@pytest.mark.parametrize("raw", ["a b", "x" * 256, "ключ", "tab\tkey"])
def test_malformed_keys_are_refused(raw):
    with pytest.raises(idempotency.InvalidKey) as exc:
        clean_key(raw)
    assert (
        str(exc.value)
        == "An idempotency key is 1 to 255 printable ASCII characters, without spaces."
    )


def test_key_cleaning_and_fingerprints():
    assert (
        clean_key(None) == ""
        and clean_key("  ") == ""
        and clean_key(" 6f1c-9a ") == "6f1c-9a"
        and clean_key("x" * 255) == "x" * 255
    )
    assert fingerprint("s", {"a": 1, "b": [1, 2]}) == fingerprint("s", {"b": [1, 2], "a": 1})
    assert fingerprint("s", {"a": 1}) != fingerprint("s", {"a": 2}) != fingerprint("t", {"a": 2})


def test_old_keys_are_purged(manager):
    calls: list[int] = []
    run_once(key="old", actor=manager, scope="s", fingerprint="f", write=lambda: _make_org(calls))
    run_once(key="new", actor=manager, scope="s", fingerprint="f", write=lambda: _make_org(calls))
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(days=31))
    assert idempotency_keys_purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_the_form_field_is_a_new_key_each_time_it_is_drawn_or_the_key_given():
    template = Template(
        "{% load opentto %}{% idempotency_field %}|{% idempotency_field %}|{% idempotency_field given %}"
    )
    html = template.render(Context({"given": "abc123"}))
    keys = re.findall(r'<input type="hidden" name="idempotency_key" value="([^"]+)">', html)
    assert len(keys) == 3 and keys[0] != keys[1] and len(keys[0]) == 32 and keys[2] == "abc123"


def test_the_purge_is_a_periodic_task(manager):
    from opentto.celery import collect_beat_schedule
    from opentto.core.tasks import purge_idempotency_keys

    assert (
        collect_beat_schedule()["core-purge-idempotency-keys"]["task"]
        == "core.purge_idempotency_keys"
    )
    calls: list[int] = []
    run_once(key="old", actor=manager, scope="s", fingerprint="f", write=lambda: _make_org(calls))
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(days=40))
    assert purge_idempotency_keys.apply().result == 1


def test_a_user_deleted_takes_their_keys(manager):
    user = make_user("manager", username="leaving")
    calls: list[int] = []
    run_once(key="k", actor=user, scope="s", fingerprint="f", write=lambda: _make_org(calls))
    user.delete()
    assert IdempotencyKey.objects.count() == 0
