"""The pattern every API resource follows, so adding one is a few lines.

A resource is a ``RestrictedViewSet`` whose ``visible(user)`` returns the permission-restricted
queryset (``Model.objects.restrict(user, "view")`` or the app's selector) and whose serializer is
read-only; writes, where a resource has them, call the app's services (``service_call``: the
service's ValidationError answers 400, its PermissionError 403). The object a write acts on is
fetched through a selector (``get_object_from``: 404 for what the caller may not see).

Permission comes before validation: ``write_permission`` names the grant a caller needs to ever
write through the resource (``(object type, action)``, asked with ``permitted``; per action where
they differ); anyone else gets 403 for
any write before the body is read, so an empty or malformed POST from, say, an enterprise user to
the payments answers 403, not 400. The services still decide the rest (which objects, which
transitions).

Every write accepts an ``Idempotency-Key`` header (``opentto.core.idempotency``, ADR 0011): the
first request with a key runs and its answer is kept with the key; a repeat with the same key and
the same body gets that answer again (header ``Idempotent-Replayed: true``) without writing, also
when it arrives while the first is still running; the same key with another body answers 422. A
request refused (400 or more) keeps no key. Other apps add their resources in ``opentto/<app>/api.py``::

    from opentto.core.rest import RestrictedViewSet
    from opentto.demands.models import Demand

    class DemandSerializer(serializers.ModelSerializer):
        class Meta:
            model = Demand
            fields = ["id", "title_zh", "title_en", "status"]

    class DemandViewSet(RestrictedViewSet):
        serializer_class = DemandSerializer
        ordering_fields = ["id", "created_at"]

        def visible(self, user):
            return Demand.objects.restrict(user, "view")

    ROUTES = [("demands", DemandViewSet)]

``opentto/api/urls.py`` registers every ``ROUTES`` it finds under ``/api/v1/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, filters, mixins, permissions, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from opentto.core import idempotency
from opentto.core.permissions import permitted

from .pagination import ApiCursorPagination


@dataclass(frozen=True)
class FilterParam:
    """A query parameter a resource accepts. ``choices``: values outside them are ignored (as in
    the UI's filters); ``kind``: ``str`` or ``int``."""

    name: str
    description: str
    choices: tuple[str, ...] = ()
    kind: type = str


class SelectorFilterBackend(filters.BaseFilterBackend):
    """Reads the view's ``filter_params`` and hands the clean values to ``view.apply_filters``."""

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Any], view: Any
    ) -> QuerySet[Any]:
        params = clean_filter_params(request, getattr(view, "filter_params", ()))
        return view.apply_filters(queryset, params) if params else queryset

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        out = []
        for p in getattr(view, "filter_params", ()):
            schema: dict[str, Any] = {"type": "integer" if p.kind is int else "string"}
            if p.choices:
                schema["enum"] = list(p.choices)
            out.append(
                {
                    "name": p.name,
                    "in": "query",
                    "required": False,
                    "description": p.description,
                    "schema": schema,
                }
            )
        return out


def clean_filter_params(
    request: Request, declared: tuple[FilterParam, ...] | list[FilterParam]
) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for p in declared:
        raw = request.query_params.get(p.name, "").strip()[:200]
        if not raw or "\x00" in raw:  # NUL cannot reach PostgreSQL: ignored like any invalid value
            continue
        if p.kind is int:
            try:
                value = int(raw)
            except ValueError:
                continue
            if not 0 < value < 2**62:
                continue
            params[p.name] = value
        elif not p.choices or raw in p.choices:
            params[p.name] = raw
    return params


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


class WriteSchema(AutoSchema):
    """Documents the ``Idempotency-Key`` header on every write."""

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self.method not in permissions.SAFE_METHODS:
            parameters.append(
                OpenApiParameter(
                    idempotency.HEADER,
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="A single-use key (1–255 printable ASCII characters, e.g. a UUID): a repeat of the request with the same key "
                    "and body answers with the first answer without writing again; the same key with another body answers 422.",
                )
            )
        return parameters


class RestrictedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List and retrieve what ``visible(user)`` returns: a refused object is absent and answers 404."""

    pagination_class = ApiCursorPagination
    filter_backends = [SelectorFilterBackend, filters.OrderingFilter]
    filter_params: tuple[FilterParam, ...] = ()
    ordering_fields = ["id"]
    ordering = "-id"
    # Digits only, and few enough to fit a 64-bit key: anything else is simply not found (404).
    lookup_value_regex = r"[0-9]{1,18}"
    #: The grant a caller needs to ever write through this resource: ``(object type, action)``
    #: (``opentto.core.permissions.permitted``: a grant for it on some rows), one per action (an
    #: action not named: anyone), or ``None`` (anyone: the services decide). Mirrors the services'
    #: own rule.
    write_permission: tuple[str, str] | dict[str, tuple[str, str]] | None = None
    #: The answer to anyone else (the service's own message, where it has one), or one per action.
    write_refused: Any = gettext_lazy("You may not make this change.")
    schema = WriteSchema()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """After authentication and permissions: a write with an ``Idempotency-Key`` runs once."""
        super().initial(request, *args, **kwargs)
        if request.method in permissions.SAFE_METHODS or request.method is None:
            return
        try:
            key = idempotency.clean_key(request.headers.get(idempotency.HEADER))
        except idempotency.InvalidKey as exc:
            raise exceptions.ValidationError({idempotency.HEADER: [str(exc)]}) from exc
        method = request.method.lower()
        handler = getattr(self, method, None)
        if key and handler is not None:
            setattr(self, method, self._run_once(handler, key))

    def _run_once(self, handler: Any, key: str) -> Any:
        def run(request: Request, *args: Any, **kwargs: Any) -> Response:
            scope = f"api:{request.method} {request.path}"
            try:
                outcome = idempotency.run_once(
                    key=key,
                    actor=request.user,
                    scope=scope,
                    fingerprint=idempotency.fingerprint(scope, request.data),
                    write=lambda: handler(request, *args, **kwargs),
                    describe=_describe_response,
                )
            except idempotency.KeyReused as exc:
                raise IdempotencyKeyReused(idempotency.api_reused_message(exc.first)) from exc
            if outcome.replayed and outcome.record is not None:
                record = outcome.record
                data = json.loads(record.response_body) if record.response_body else None
                return Response(
                    data,
                    status=record.response_status or status.HTTP_200_OK,
                    headers={"Idempotent-Replayed": "true"},
                )
            return outcome.value

        return run

    def check_permissions(self, request: Request) -> None:
        """Authentication and the token's scope first (401/403), then whether the caller's role may
        ever write here (403), all before the body is validated."""
        super().check_permissions(request)
        if request.method in permissions.SAFE_METHODS or self.action is None:
            return  # reads; and a method the route does not have answers 405
        if not self.may_write(request.user):
            message = self.write_refused
            if isinstance(message, dict):
                message = message.get(self.action, RestrictedViewSet.write_refused)
            self.permission_denied(request, message=str(message))

    def may_write(self, user: Any) -> bool:
        needed = self.write_permission
        if isinstance(needed, dict):
            needed = needed.get(self.action or "")
        if needed is not None:
            return permitted(user, *needed)
        return True

    def visible(self, user: Any) -> QuerySet[Any]:
        raise NotImplementedError

    def apply_filters(self, queryset: QuerySet[Any], params: dict[str, Any]) -> QuerySet[Any]:
        return queryset.filter(**params)

    def get_queryset(self) -> QuerySet[Any]:
        # The schema generator calls this without a request: describe the anonymous view.
        return self.visible(getattr(getattr(self, "request", None), "user", None))

    def get_object_from(self, queryset: QuerySet[Any]) -> Any:
        """The object of the URL in ``queryset`` (another selector, e.g. what the caller may act on),
        or 404."""
        try:
            return queryset.get(pk=int(self.kwargs[self.lookup_url_kwarg or self.lookup_field]))
        except (queryset.model.DoesNotExist, ValueError) as exc:
            raise exceptions.NotFound() from exc


def _describe_response(response: Any) -> dict[str, Any] | None:
    """What an API write's key keeps: its answer (none for a refusal: the request may be retried)."""
    if not isinstance(response, Response) or response.status_code >= 400:
        return None
    data = response.data
    pk = data.get("id") if isinstance(data, dict) else None
    body = "" if data is None else json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return {
        "response_status": response.status_code,
        "response_body": body,
        "object_id": "" if pk is None else str(pk),
    }


def service_call(fn: Any, **kwargs: Any) -> Any:
    """Call a service; its ValidationError answers 400, its PermissionError 403."""
    try:
        return fn(**kwargs)
    except Exception as exc:
        raise_as_api_error(exc)


def raise_as_api_error(exc: Exception) -> None:
    """Turn a service's refusal into the API's answer: 400 with the field-keyed messages, or 403."""
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        raise exceptions.ValidationError(detail) from exc
    if isinstance(exc, PermissionError):
        raise exceptions.PermissionDenied(str(exc) or None) from exc
    raise exc
