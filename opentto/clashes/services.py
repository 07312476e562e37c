"""Holding and resolving clashes with records a user may not see.

A check that answers across permissions ("already exists", "similar results", a number already
registered) answers only within them: the apps ask it among the records the user may see. A
record that clashes only with records the user may *not* see is stored as if nothing had
clashed — the user's response is the same, byte for byte — and :func:`clash_hold` records the
clash for the TTO (an audit event and a notification to those who may resolve it, never the
user). The TTO resolves it with :func:`clash_resolve`: merge the new record into the existing
one, keep both, or reject the new record, as the kind's app registered them
(:func:`register_clash_kind`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import override

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.permissions import allows, permitted, restrict, users_permitted

from .models import ClashHold, ClashHoldStatusChoices

#: A resolution: ``(hold, held, existing, actor, note)`` → a short account for the audit log.
Resolver = Callable[..., dict[str, Any]]
DECISIONS = {
    "merge": ClashHoldStatusChoices.MERGED,
    "keep_both": ClashHoldStatusChoices.KEPT,
    "reject": ClashHoldStatusChoices.REJECTED,
}


@dataclass(frozen=True)
class ClashKind:
    """A kind of clash an app holds: what clashed (``label``), the page of a record
    (``url_name``, with its id), and the decisions the TTO may take."""

    key: str
    label: str | Promise
    url_name: str
    resolvers: dict[str, Resolver] = field(default_factory=dict)


_KINDS: dict[str, ClashKind] = {}


def register_clash_kind(
    key: str,
    *,
    label: str | Promise,
    url_name: str,
    merge: Resolver | None = None,
    keep_both: Resolver | None = None,
    reject: Resolver | None = None,
) -> ClashKind:
    """Register a kind of clash (each app, for the clashes its services hold)."""
    resolvers = {
        name: fn
        for name, fn in (("merge", merge), ("keep_both", keep_both), ("reject", reject))
        if fn is not None
    }
    kind = _KINDS[key] = ClashKind(key, label, url_name, resolvers)
    return kind


def clash_kind(key: str) -> ClashKind | None:
    return _KINDS.get(key)


def _label(obj: models.Model) -> str:
    return obj._meta.label_lower


def clash_hold(
    *,
    kind: str,
    held: models.Model,
    existing: models.Model,
    actor: User | None,
    detail: dict[str, Any] | None = None,
) -> ClashHold:
    """Hold ``held`` — just stored for ``actor`` — for the TTO: it may duplicate ``existing``, a
    record ``actor`` may not see. Nothing here reaches ``actor``. A pair is held once (in either
    order): saving the record again, or the other one, does not hold it again, and a decision
    the TTO took stands."""
    if kind not in _KINDS:
        raise ValueError(f"unknown clash kind: {kind}")
    held_type, existing_type = _label(held), _label(existing)
    with transaction.atomic():
        same_pair = (
            ClashHold.objects.filter(kind=kind)
            .filter(
                models.Q(
                    held_type=held_type,
                    held_id=held.pk,
                    existing_type=existing_type,
                    existing_id=existing.pk,
                )
                | models.Q(
                    held_type=existing_type,
                    held_id=existing.pk,
                    existing_type=held_type,
                    existing_id=held.pk,
                )
            )
            .first()
        )
        if same_pair is not None:
            return same_pair
        hold = ClashHold.objects.create(
            kind=kind,
            held_type=held_type,
            held_id=held.pk,
            existing_type=existing_type,
            existing_id=existing.pk,
            detail=detail or {},
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        audit_record(
            actor=actor,
            action="clash.hold",
            obj=hold,
            payload={
                "kind": kind,
                "held": f"{held_type}#{held.pk}",
                "existing": f"{existing_type}#{existing.pk}",
                **(detail or {}),
            },
        )
        transaction.on_commit(lambda: _notify(hold, actor))
    return hold


def split_by_visibility(
    qs: QuerySet[Any], user: User | None
) -> tuple[QuerySet[Any], QuerySet[Any]]:
    """(the rows of ``qs`` that ``user`` may see, the others). ``None`` is the system (a command
    run without a user), which sees every row."""
    if user is None or permitted(user, qs.model, "view", every_row=True):
        return qs, qs.none()  # (no query for what cannot be there)
    visible = restrict(qs, user, "view")
    return visible, qs.exclude(pk__in=visible.values("pk"))


def _notify(hold: ClashHold, actor: User | None) -> None:
    from opentto.notifications.services import notification_send

    recipients = users_permitted(ClashHold, "resolve", every_row=True)
    if actor is not None and actor.pk is not None:
        recipients = recipients.exclude(pk=actor.pk)
    with override("zh-hans"):
        url = reverse("clashes:hold", args=[hold.pk])
    notification_send(
        recipients=list(recipients),
        kind="clash.held",
        url=url,
        title_zh="有一条记录待核对：可能与已有记录重复",
        title_en="A record is held: it may duplicate one already on the platform",
        body_zh="新记录已保存，提交人看不到与之冲突的已有记录。请合并、保留两者或驳回。",
        body_en="The new record was stored; whoever stored it may not see the record it clashes with. Merge, keep both or reject.",
    )


def clash_record(type_label: str, pk: int) -> models.Model | None:
    """The record a hold names, or ``None`` when it is gone."""
    try:
        model = apps.get_model(type_label)
    except (LookupError, ValueError):
        return None
    return model._base_manager.filter(pk=pk).first()


def clash_resolve(*, hold: ClashHold, decision: str, actor: User, note: str = "") -> ClashHold:
    """Resolve an open hold: ``merge`` the new record into the existing one, ``keep_both``, or
    ``reject`` the new record, as its kind allows. Atomic and audited; a decision its kind
    cannot take, or a hold already resolved, is a ``ValidationError`` and changes nothing."""
    if not allows(actor, hold, "resolve"):
        raise PermissionError(_("You may not resolve this clash."))
    kind = _KINDS.get(hold.kind)
    if kind is None or decision not in kind.resolvers:
        raise ValidationError({"decision": [_("Choose one of the decisions offered.")]})
    with transaction.atomic():
        locked = ClashHold.objects.select_for_update().get(pk=hold.pk)
        if not locked.is_open:
            raise ValidationError({"decision": [_("This clash has already been resolved.")]})
        held = clash_record(locked.held_type, locked.held_id)
        existing = clash_record(locked.existing_type, locked.existing_id)
        if held is None or existing is None:
            if decision != "keep_both":
                raise ValidationError(
                    {
                        "decision": [
                            _(
                                "One of the two records is no longer on the platform: keep both to close the hold."
                            )
                        ]
                    }
                )
            account: dict[str, Any] = {"gone": True}
        else:
            account = kind.resolvers[decision](
                hold=locked, held=held, existing=existing, actor=actor, note=note.strip()
            )
        locked.status = DECISIONS[decision]
        locked.resolved_by = actor
        locked.resolved_at = timezone.now()
        locked.note = note.strip()
        locked.save(update_fields=["status", "resolved_by", "resolved_at", "note"])
        audit_record(
            actor=actor,
            action="clash.resolve",
            obj=locked,
            payload={"decision": decision, "note": locked.note, **(account or {})},
        )
    return locked


def merge_references(*, source: models.Model, target: models.Model) -> dict[str, Any]:
    """Point every row that refers to ``source`` at ``target`` instead (a generic merge of two
    records of the same model). A row that would then repeat one ``target`` already has (a
    membership, an ownership: a unique constraint) is dropped — ``target``'s own row wins — and
    a one-to-one link ``target`` already has is cleared where it may be empty. Returns what moved
    and what was dropped, for the audit log."""
    if type(source) is not type(target) or source.pk == target.pk:
        raise ValueError("merge two different records of the same model")
    moved: dict[str, int] = {}
    dropped: list[str] = []
    for rel in source._meta.related_objects:
        if rel.many_to_many:
            through = rel.through  # type: ignore[attr-defined]
            if not through._meta.auto_created:
                continue  # an explicit through model is a relation of its own, handled below
            model, name = through, rel.field.m2m_reverse_field_name()  # type: ignore[attr-defined]
        else:
            model, name = rel.related_model, rel.field.name
        for pk in list(
            model._base_manager.filter(**{name: source.pk}).values_list("pk", flat=True)
        ):
            try:
                with transaction.atomic():
                    model._base_manager.filter(pk=pk).update(**{name: target.pk})
                moved[model._meta.label_lower] = moved.get(model._meta.label_lower, 0) + 1
            except IntegrityError:
                label = f"{model._meta.label_lower}#{pk}"
                if rel.one_to_one:
                    if not model._meta.get_field(name).null:
                        raise ValidationError(
                            {
                                "decision": [
                                    _("Both records are linked to %(what)s: resolve that first.")
                                    % {"what": label}
                                ]
                            }
                        ) from None
                    model._base_manager.filter(pk=pk).update(**{name: None})
                else:
                    model._base_manager.filter(pk=pk).delete()
                dropped.append(label)
    return {"moved": moved, "dropped": dropped}


def delete_unreferenced(record: models.Model) -> None:
    """Delete a rejected record; one that other records still need is a ``ValidationError``
    (merge it instead)."""
    try:
        with transaction.atomic():
            record.delete()
    except (models.ProtectedError, models.RestrictedError) as exc:
        raise ValidationError(
            {"decision": [_("Other records still refer to it: merge it instead.")]}
        ) from exc
