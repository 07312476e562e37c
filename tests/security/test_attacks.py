"""Bad input never hurts: stored XSS in every free-text field, SQL injection through filters and
search, path traversal in downloads, oversized or malformed uploads, IDOR, security headers."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection  # noqa: F401 - used in xfail conditions

from opentto.core.uploads import check_upload, safe_file_name
from opentto.organisations.models import Organisation, Person
from opentto.results.models import Attachment, Result
from opentto.results.services import result_onboard

from ..conftest import result_input
from .helpers import PDF, client_for

pytestmark = pytest.mark.django_db

XSS = [
    '<script>alert("x1")</script>',
    '"><img src=x onerror=alert(2)>',
    "javascript:alert(3)//<svg/onload=alert(4)>",
]


def _assert_escaped(body: str) -> None:
    for payload in XSS:
        assert payload not in body, payload
    assert (
        "<script>alert" not in body
        and "onerror=alert(2)>" not in body
        and "<svg/onload" not in body
    )


@pytest.fixture
def xss_world(manager, university, researcher):
    org = Organisation.objects.create(
        name_zh=XSS[0], name_en=XSS[1], kind="university", description_en=XSS[2], city_en=XSS[0]
    )
    person = Person.objects.create(name_zh=XSS[1], name_en=XSS[0], email="x@example.com")
    result = result_onboard(
        data=result_input(
            [university, org],
            [(researcher, "50"), (person, "50")],
            ip_assets=[],
            title_zh=XSS[0],
            title_en=XSS[1],
            abstract_zh=XSS[2],
            abstract_en=XSS[0],
            advantages_zh=XSS[1],
            advantages_en=XSS[2],
            applications_zh=XSS[0],
            applications_en=XSS[1],
            details_zh=XSS[2],
            details_en=XSS[0],
            keywords_zh=[XSS[0]],
            keywords_en=[XSS[1]],
        ),
        actor=manager,
    )
    return {"org": org, "person": person, "result": result}


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_stored_xss_is_shown_as_text_everywhere(manager, xss_world, lang):
    client = client_for(manager)
    r, org, person = xss_world["result"], xss_world["org"], xss_world["person"]
    for url in [
        f"/{lang}/results/",
        f"/{lang}/results/?q=script",
        f"/{lang}/search/?q=alert",
        f"/{lang}/results/{r.pk}/",
        f"/{lang}/results/{r.pk}/edit/",
        f"/{lang}/",
        f"/{lang}/dashboard/",
        f"/{lang}/organisations/",
        f"/{lang}/organisations/{org.pk}/",
        f"/{lang}/organisations/people/",
        f"/{lang}/organisations/people/{person.pk}/",
        f"/{lang}/account/access/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_escaped(response.content.decode())
    detail = client.get(f"/{lang}/results/{r.pk}/").content.decode()
    assert "&lt;script&gt;alert(&quot;x1&quot;)&lt;/script&gt;" in detail
    anonymous = client_for(None).get(f"/{lang}/results/{r.pk}/").content.decode()
    _assert_escaped(anonymous)


@pytest.mark.parametrize(
    "query",
    [
        "q=' OR '1'='1",
        "q=%25",
        "q=_",
        "q=\\",
        "owner=1 OR 1=1",
        "owner=-1",
        "owner=99999999999999999999999",
        "sort=title;DROP TABLE results_result",
        "sort=-id",
        "stage=onboarding' OR 1=1--",
        "field=ai%00",
        "public=confidential",
        "page=-1",
        "page=99999",
        "page='",
        "kind[]=x",
        "q=" + "A" * 5000,
        "q=%F0%9F%A7%AA%00%FF",
    ],
)
def test_sql_injection_through_filters_and_search_does_nothing(
    enterprise_user, onboarded, confidential_result, query
):
    before = Result.objects.count()
    for client in (client_for(None), client_for(enterprise_user)):
        for base in ("/en/results/", "/en/search/"):
            response = client.get(f"{base}?{query}")
            assert response.status_code == (400 if "%00" in query else 200), (base, query)
            body = response.content.decode()
            assert "Confidential chip packaging" not in body
        htmx = client.get(f"/en/results/?{query}", HTTP_HX_REQUEST="true")
        assert htmx.status_code in {200, 400}
    assert Result.objects.count() == before


def test_nul_bytes_are_refused_before_any_view(enterprise_user):
    client = client_for(enterprise_user)
    assert client.get("/en/results/?q=a%00b").status_code == 400
    assert client.get("/en/organisations/?q=%00").status_code == 400
    assert (
        client.post("/en/accounts/login/", {"username": "a\x00", "password": "x"}).status_code
        == 400
    )


def test_wildcards_in_search_are_literal(enterprise_user, onboarded, confidential_result):
    body = client_for(enterprise_user).get("/en/results/?q=%25").content.decode()
    assert "reinforcement learning" not in body  # "%" matches no title literally


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("/abs/path/report.pdf", "report.pdf"),
        ("a\x00b\x1f.pdf", "ab.pdf"),
        ("", "file"),
        ("..", "file"),
        ('con<>:"|?*.pdf', "con_.pdf"),
        ("名称.pdf", "名称.pdf"),
    ],
)
def test_safe_file_names(name, expected):
    assert safe_file_name(name) == expected


def test_path_traversal_in_downloads_is_impossible(manager, confidential_result):
    attachment = Attachment(
        result=confidential_result,
        original_name=safe_file_name("../../../etc/passwd"),
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
    )
    attachment.file.save("../../x", ContentFile(PDF), save=False)
    attachment.save()
    assert ".." not in attachment.file.name and attachment.file.name.startswith(
        f"attachments/{confidential_result.pk}/"
    )
    client = client_for(manager)
    response = client.get(f"/en/results/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="passwd"'
    assert response["X-Content-Type-Options"] == "nosniff"
    for url in [
        "/en/results/attachments/../../etc/passwd",
        "/en/results/attachments/%2e%2e%2fetc%2fpasswd/",
        "/en/results/attachments/1%00/",
        "/media-not-served/" + attachment.file.name,
        "/media/" + attachment.file.name,
    ]:
        assert client.get(url).status_code in {400, 404}, url


@pytest.mark.parametrize(
    "content, name, error",
    [
        (b"", "empty.pdf", "empty"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 50, "invoice.pdf", "type"),
        (b"<html><script>alert(1)</script></html>", "page.pdf", "type"),
        (b"#!/bin/sh\nrm -rf /\n", "run.png", "type"),
        (b"%PDF-1.4\n" + b"0" * 300, "big.pdf", "too_large"),
    ],
)
def test_malformed_and_oversized_uploads_are_refused(settings, content, name, error):
    settings.OPENTTO_MAX_UPLOAD_BYTES = 200
    with pytest.raises(ValidationError) as exc:
        check_upload(SimpleUploadedFile(name, content))
    assert exc.value.code == error


def test_oversized_request_bodies_are_refused_not_crashed(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(None).post(
        "/en/accounts/login/", {"username": "x" * 5000, "password": "y"}
    )
    assert response.status_code == 400


def test_idor_on_results_attachments_and_access_requests(
    other_inventor, inventor, enterprise_user, manager, onboarded, confidential_result
):
    from opentto.access.services import access_request_create

    client = client_for(other_inventor)
    # A public result of another organisation: visible, not editable; a POST changes nothing.
    assert client.get(f"/en/results/{onboarded.pk}/edit/").status_code == 403
    title = Result.objects.get(pk=onboarded.pk).title_en
    client.post(f"/en/results/{onboarded.pk}/edit/", {"title_en": "hijacked", "title_zh": "劫持"})
    assert Result.objects.get(pk=onboarded.pk).title_en == title
    # Enumerating attachment ids finds nothing.
    attachment = Attachment(
        result=confidential_result,
        original_name="a.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
    )
    attachment.file.save("a", ContentFile(PDF), save=False)
    attachment.save()
    for pk in range(1, attachment.pk + 3):
        assert client.get(f"/en/results/attachments/{pk}/").status_code == 404
    # Another user's access request cannot be withdrawn or read.
    item = access_request_create(
        result=onboarded,
        purpose="x",
        nda_kind="click_through",
        accept_nda=True,
        actor=enterprise_user,
    )
    assert client.post(f"/en/account/access/{item.pk}/withdraw/").status_code == 404
    assert client.get(f"/en/account/access/{item.pk}/nda/").status_code == 404
    item.refresh_from_db()
    assert item.status == "pending"


def test_security_headers(manager):
    response = client_for(manager).get("/en/results/")
    csp = response["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp
        and "unsafe-eval" not in csp
        and "frame-ancestors 'none'" in csp
    )
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert "no-store" not in client_for(None).get("/en/results/").get("Cache-Control", "")


def test_no_template_has_inline_script_style_or_handlers():
    root = Path(__file__).resolve().parents[2] / "opentto"
    offenders = []
    for path in root.rglob("templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\sstyle\s*=", r"\son[a-z]+\s*=\s*[\"']"):
            if re.search(pattern, text, re.IGNORECASE):
                offenders.append(f"{path.relative_to(root)}: {pattern}")
    assert not offenders, "\n".join(offenders)


def test_production_settings_are_safe(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "p" * 60)
    monkeypatch.setenv("OPENTTO_FIELD_KEYS", "")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prod = importlib.reload(importlib.import_module("opentto.settings.production"))
    assert (
        prod.DEBUG is False
        and prod.SESSION_COOKIE_SECURE
        and prod.CSRF_COOKIE_SECURE
        and prod.SECURE_SSL_REDIRECT
    )
    assert (
        prod.SESSION_COOKIE_NAME.startswith("__Host-")
        and prod.CSRF_COOKIE_HTTPONLY
        and prod.SESSION_COOKIE_HTTPONLY
    )
    assert prod.SECURE_HSTS_SECONDS >= 31536000
    assert set(prod.OPENTTO_TOTP_REQUIRED_ROLES) == {"admin", "manager"}
    assert prod.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    monkeypatch.delenv("SECRET_KEY")
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        importlib.reload(prod)
