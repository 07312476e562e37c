"""The generated permission matrix: every URL pattern that exists at run time (the resolver is
walked, so new apps' URLs are covered automatically) × every role × (own / another
organisation's / confidential object).

- every GET URL without parameters answers < 500 for every role, and never shows an outsider a
  confidential result, its details or a deal it may not see (lists, search, exports, figures,
  feeds and the API included);
- every URL with integer parameters, filled with a confidential result's / attachment's / deal's
  id, answers < 500 and leaks nothing to outsiders; the known detail URLs answer exactly 404;
- a forged POST (no CSRF token) to every URL changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.db.models import Model
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern
from django.utils import translation

from opentto.core.models import AuditEvent
from opentto.landing.models import Deal
from opentto.organisations.models import Organisation
from opentto.results.models import Attachment, Result

from .helpers import PDF

pytestmark = pytest.mark.django_db

INSIDERS = ["admin_user", "manager", "inventor"]
OUTSIDERS = [None, "other_inventor", "enterprise_user", "reviewer", "official", "investor"]
#: Text only insiders may ever see.
SECRETS = ["Confidential chip packaging", "保密的芯片封装工艺", "secret parameter X9", "机密参数X9", "Policy network architecture",
           "策略网络结构", "Secret deal ZQ7", "secret-drawing.pdf"]
#: Namespaces left out of the sweep: Django's own admin (staff only, its own permission system).
SKIP_NAMESPACES = {"admin"}
#: Slow or external-facing endpoints checked once elsewhere.
SKIP_NAMES = {"api-schema", "api-docs", "api-redoc", "logout"}
#: URL names whose integer parameter is the object named, and must answer 404 to outsiders.
DETAIL_404 = {
    "results:detail": "result", "results:edit": "result", "results:attachment": "attachment",
    "landing:detail": "deal", "result-detail": "result", "deal-detail": "deal",
    "showcase:detail_short": "result", "showcase:detail": "result",
}


@dataclass(frozen=True)
class Route:
    name: str
    params: tuple[tuple[str, str], ...]  # (name, kind: int | str | other)


def _params(pattern: object) -> list[tuple[str, str]]:
    if isinstance(pattern, RoutePattern):
        out = []
        for key, conv in pattern.converters.items():
            kind = "int" if conv.__class__.__name__ == "IntConverter" else "str"
            out.append((key, kind))
        return out
    if isinstance(pattern, RegexPattern):
        out = []
        for key in pattern.regex.groupindex:
            part = pattern.regex.pattern.split(f"(?P<{key}>", 1)[1]
            out.append((key, "int" if part.startswith(("[0-9]", "\\d")) else ("format" if key == "format" else "str")))
        return out
    return []


def walk(patterns: list[URLPattern | URLResolver] | None = None, ns: str = "", inherited: tuple[tuple[str, str], ...] = ()) -> Iterator[Route]:
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            namespace = p.namespace or ""
            if namespace in SKIP_NAMESPACES:
                continue
            params = inherited if isinstance(p.pattern, LocalePrefixPattern) else inherited + tuple(_params(p.pattern))
            yield from walk(p.url_patterns, f"{ns}:{namespace}".strip(":") if namespace else ns, params)
        elif p.name:
            yield Route(f"{ns}:{p.name}" if ns else p.name, inherited + tuple(_params(p.pattern)))


def routes() -> list[Route]:
    seen: dict[tuple[str, tuple[str, ...]], Route] = {}
    for route in walk():
        if route.name in SKIP_NAMES or any(kind == "format" for _k, kind in route.params):
            continue
        seen.setdefault((route.name, tuple(k for k, _v in route.params)), route)
    return list(seen.values())


def url_for(route: Route, value: int | None = None) -> str | None:
    """The URL with every integer parameter set to ``value`` and every other one to ``x``."""
    kwargs = {key: (value if kind == "int" else "x") for key, kind in route.params}
    with translation.override("en"):
        try:
            return reverse(route.name, kwargs=kwargs or None)
        except NoReverseMatch:
            return None


@pytest.fixture
def world(manager, university, other_university, enterprise_org, onboarded, confidential_result) -> dict[str, Model]:
    attachment = Attachment(result=confidential_result, original_name="secret-drawing.pdf", content_type="application/pdf", size=len(PDF), sha256="0" * 64, uploaded_by=manager)
    attachment.file.save("x", ContentFile(PDF), save=False)
    attachment.save()
    rival = Organisation.objects.create(name_zh="竞争企业", name_en="Rival Corp", kind="enterprise")
    deal = Deal.objects.create(title="Secret deal ZQ7", counterparty=rival, deal_type="assignment", amount_cny="7777777.00", created_by=manager)
    deal.results.add(confidential_result)
    return {"result": confidential_result, "attachment": attachment, "deal": deal, "public": onboarded}


def _client(request: pytest.FixtureRequest, who: str | None, **kwargs: object) -> Client:
    client = Client(**kwargs)  # type: ignore[arg-type]
    if who:
        client.force_login(request.getfixturevalue(who))
    return client


def _leaks(body: str) -> list[str]:
    return [s for s in SECRETS if s in body]


def test_the_matrix_covers_the_foundations_urls():
    names = {r.name for r in routes()}
    assert {"results:list", "results:detail", "results:attachment", "landing:detail", "dashboard", "search"} <= names
    assert sum(1 for r in routes() if not r.params and url_for(r)) >= 20
    assert sum(1 for r in routes() if r.params and url_for(r, 1)) >= 10


@pytest.mark.parametrize("who", INSIDERS + OUTSIDERS)
def test_every_get_url_without_parameters_answers_and_leaks_nothing(request, who, world):
    client = _client(request, who)
    failures = []
    for route in routes():
        if route.params:
            continue
        url = url_for(route)
        if url is None:
            continue
        for query in ("", "?q=chip", "?q=X9"):
            response = client.get(url + query)
            if response.status_code >= 500:
                failures.append(f"{url}{query}: {response.status_code}")
                continue
            if who in OUTSIDERS and not getattr(response, "streaming", False):
                leaked = _leaks(response.content.decode(errors="replace"))
                if leaked:
                    failures.append(f"{url}{query} shows {leaked}")
            if query == "" and not (route.name.endswith("list") or "search" in route.name or route.name in {"dashboard", "home"}):
                break
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("who", OUTSIDERS)
def test_every_url_with_an_id_refuses_outsiders_the_confidential_objects(request, who, world):
    client = _client(request, who)
    failures = []
    for route in routes():
        if not route.params:
            continue
        for kind in ("result", "attachment", "deal"):
            url = url_for(route, world[kind].pk)
            if url is None:
                continue
            response = client.get(url)
            if response.status_code >= 500:
                failures.append(f"{url}: {response.status_code}")
                continue
            if not getattr(response, "streaming", False):
                leaked = _leaks(response.content.decode(errors="replace"))
                if leaked:
                    failures.append(f"{url} shows {leaked}")
            if DETAIL_404.get(route.name) == kind:
                allowed = {404, 302, 401, 403} if who is None else {404}
                if response.status_code not in allowed or (response.status_code == 302 and "/login/" not in response["Location"]):
                    failures.append(f"{url}: {response.status_code}, expected 404")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("who", INSIDERS)
def test_insiders_reach_the_confidential_objects(request, who, world):
    client = _client(request, who)
    page = client.get(f"/en/results/{world['result'].pk}/")
    assert page.status_code == 200 and "secret parameter X9" in page.content.decode()
    # The leak detector sees what it looks for.
    assert _leaks(client.get("/en/results/").content.decode())
    assert client.get(f"/en/results/attachments/{world['attachment'].pk}/").status_code == 200


def test_a_forged_post_without_csrf_token_changes_nothing(request, manager, world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    before = (AuditEvent.objects.count(), Result.objects.count(), Deal.objects.count(), Organisation.objects.count())
    failures = []
    for route in routes():
        url = url_for(route, world["public"].pk if route.params else None)
        if url is None:
            continue
        response = client.post(url, {"target": "evaluation", "title_zh": "伪造", "name_zh": "伪造", "language": "en"})
        if response.status_code < 400 or response.status_code >= 500:
            failures.append(f"{url}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert (AuditEvent.objects.count(), Result.objects.count(), Deal.objects.count(), Organisation.objects.count()) == before
    assert Result.objects.get(pk=world["public"].pk).stage == "onboarding"
