"""The 赋权 pages for anonymous, unpermitted, permitted and constrained users; refusals write nothing."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from opentto.core.models import AuditEvent
from opentto.rights.models import RightsApplication, RightsEvent
from opentto.rights.services import (
    rights_application_grant,
    rights_application_notice_start,
    rights_application_submit,
)

from .conftest import DECIDED, TODAY

pytestmark = pytest.mark.django_db


def _client(user=None):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def _url(name, *args, lang="en"):
    with translation.override(lang):
        return reverse(name, args=args)


def _snapshot():
    return (
        RightsApplication.objects.values_list("status", flat=True).first(),
        RightsEvent.objects.count(),
        AuditEvent.objects.count(),
    )


def test_detail_for_each_kind_of_user(
    draft, manager, inventor, other_inventor, enterprise_user, official
):
    url = _url("rights:detail", draft.pk)
    assert _client().get(url).status_code == 302
    for outsider in (
        enterprise_user,
        other_inventor,
        official,
    ):  # unpermitted, constrained (not in the team), counts only
        assert _client(outsider).get(url).status_code == 404
    page = _client(inventor).get(url)
    assert page.status_code == 200
    assert (
        "Submit to the institution" in page.content.decode()
        and f"rights/{draft.pk}/grant/" not in page.content.decode()
    )
    rights_application_submit(application=draft, actor=inventor)
    staff = _client(manager).get(url).content.decode()
    assert f"/rights/{draft.pk}/grant/" in staff and f"/rights/{draft.pk}/refuse/" in staff


def test_a_team_member_may_not_decide_and_nothing_is_written(
    draft, manager, inventor, other_inventor
):
    rights_application_submit(application=draft, actor=inventor)
    before = _snapshot()
    data = {"decided_on": DECIDED.isoformat(), "kind": "ownership", "share": "70"}
    assert _client(inventor).post(_url("rights:grant", draft.pk), data).status_code == 403
    assert _client(other_inventor).post(_url("rights:grant", draft.pk), data).status_code == 404
    assert _client().post(_url("rights:grant", draft.pk), data).status_code == 302
    assert _snapshot() == before
    response = _client(manager).post(_url("rights:grant", draft.pk), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.granted_share) == ("granted", 70)


def test_a_refused_grant_shows_why_and_writes_nothing(draft, manager, inventor, pilot):
    rights_application_submit(application=draft, actor=inventor)
    before = _snapshot()
    late = pilot.ends_on.replace(year=pilot.ends_on.year + 1).isoformat()
    response = _client(manager).post(
        _url("rights:grant", draft.pk),
        {"decided_on": late, "kind": "use", "term_years": "10"},
        follow=True,
    )
    assert "The decision date cannot be in the future." in response.content.decode()
    assert _snapshot() == before


def test_the_public_notice_is_public_while_it_runs(draft, manager, inventor, researcher):
    rights_application_submit(application=draft, actor=inventor)
    rights_application_grant(
        application=draft, decided_on=DECIDED, kind="ownership", share="70", actor=manager
    )
    url = _url("rights:notices")
    assert "拟赋予" not in _client().get(url).content.decode()
    rights_application_notice_start(
        application=draft,
        starts_on=TODAY,
        ends_on=TODAY.replace(year=TODAY.year + 1),
        text_zh="拟赋予团队70%所有权。",
        text_en="The team is to own 70 %.",
        actor=manager,
    )
    page = _client().get(_url("rights:notices", lang="zh-hans")).content.decode()
    assert "拟赋予团队70%所有权。" in page and researcher.name_zh in page and "70%" in page
    # the application itself stays closed to the visitor
    assert _client().get(_url("rights:detail", draft.pk)).status_code == 302


def test_officials_see_counts_only(draft, official, inventor):
    rights_application_submit(application=draft, actor=inventor)
    page = _client(official).get(_url("rights:list")).content.decode()
    assert "data-counts" in page and 'Submitted</td><td class="num">1</td>' in page
    assert draft.result.title_en not in page


def test_create_for_the_team(
    owned_result, pilot, inventor, enterprise_user, researcher, second_researcher
):
    url = _url("rights:create", owned_result.pk)
    assert _client().get(url).status_code == 302
    assert (
        _client(enterprise_user).get(url).status_code == 404
    )  # a confidential result they cannot see
    assert _client(inventor).get(url).status_code == 200
    data = {
        "pilot": pilot.pk,
        "requested_kind": "use",
        "requested_term_years": "12",
        "requested_exclusive": "on",
        f"member_{researcher.pk}": "50",
        f"member_{second_researcher.pk}": "50",
    }
    response = _client(inventor).post(url, data)
    application = RightsApplication.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        f"/rights/{application.pk}/"
    )
    assert (
        application.requested_kind,
        application.requested_term_years,
        application.requested_exclusive,
    ) == ("use", 12, True)
    bad = _client(inventor).post(url, {**data, "requested_term_years": "9"})
    assert bad.status_code == 400 and RightsApplication.objects.count() == 1


def test_the_agreement_file_for_the_team_only(in_effect, inventor, other_inventor):
    url = _url("rights:agreement_file", in_effect.pk)
    assert _client(other_inventor).get(url).status_code == 404
    response = _client(inventor).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_result_page_shows_owners_with_shares_in_both_languages(
    in_effect, manager, owned_result, enterprise_user
):
    page = _client(manager).get(_url("results:detail", owned_result.pk)).content.decode()
    assert (
        "Owners and shares" in page and "70%" in page and "30%" in page and "Earlier owners" in page
    )
    zh = (
        _client(manager)
        .get(_url("results:detail", owned_result.pk, lang="zh-hans"))
        .content.decode()
    )
    assert "所有权与使用权" in zh and "科研团队" in zh
