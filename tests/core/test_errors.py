"""With the database down the API answers JSON 503 and pages a bilingual 503 page, never a
traceback; other failures are a 500 the same way."""

from __future__ import annotations

import pytest
from django.db import InterfaceError
from django.test import Client

from opentto.core.errors import server_error_view
from tests.core.test_health import database_down  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def _client() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("path", ["/api/v1/results/", "/api/v1/ip-assets/", "/api/v1/deals/"])
def test_the_api_answers_json_503(database_down, path):
    response = _client().get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "The service is unavailable for a moment: its database does not answer. Try again shortly."
    }
    assert response["Retry-After"] == "30"


def test_an_api_token_does_not_change_it(database_down):
    response = _client().get(
        "/api/v1/results/",
        HTTP_AUTHORIZATION="Token 0123456789abcdef",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 503 and response.json() == {
        "detail": "服务暂时不可用：数据库没有响应。请稍后再试。"
    }


@pytest.mark.parametrize("path", ["/en/", "/zh-hans/results/", "/en/showcase/"])
def test_pages_answer_a_friendly_bilingual_503(database_down, path):
    response = _client().get(path)
    assert response.status_code == 503
    body = response.content.decode()
    assert (
        "暂时无法访问" in body and "Temporarily unavailable" in body and "your data is safe" in body
    )
    assert "Traceback" not in body and "OperationalError" not in body
    assert (
        "unsafe-inline" not in response["Content-Security-Policy"]
        and response["Retry-After"] == "30"
    )


def test_a_signed_in_visitor_gets_the_same_page(manager, monkeypatch):
    client = _client()
    client.force_login(manager)
    from django.db import OperationalError, connections

    def refuse() -> None:
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        patch.setattr(connections["default"], "ensure_connection", refuse)
        response = client.get("/en/results/")
        posted = client.post("/en/results/new/", {"title_zh": "x"})
    assert response.status_code == 503 and "Temporarily unavailable" in response.content.decode()
    assert posted.status_code == 503
    assert response["Content-Security-Policy"].startswith("default-src 'self'")


def test_the_error_views_themselves(rf):
    try:
        raise InterfaceError("connection already closed")
    except InterfaceError:
        assert server_error_view(rf.get("/api/v1/deals/")).status_code == 503
    try:
        raise ValueError("a bug")
    except ValueError:
        api = server_error_view(rf.get("/api/v1/deals/"))
        page = server_error_view(rf.get("/en/deals/"))
    assert (
        api.status_code == 500
        and api["Content-Type"] == "application/json"
        and "detail" in api.content.decode()
    )
    assert (
        page.status_code == 500
        and "Server error" in page.content.decode()
        and "a bug" not in page.content.decode()
    )
