import pytest
from django.test import Client
from django.urls import reverse

from opentto.core.models import AuditEvent
from opentto.results.models import Result

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def detail(result):
    return reverse("results:detail", args=[result.pk])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who, public_status, confidential_status, sees_details",
    [
        (None, 200, 404, False),
        ("enterprise_user", 200, 404, False),
        ("reviewer", 200, 404, False),
        ("investor", 200, 404, False),
        ("official", 200, 404, False),
        ("other_inventor", 200, 404, False),
        ("inventor", 200, 200, True),
        ("manager", 200, 200, True),
        ("admin_user", 200, 200, True),
    ],
)
def test_result_detail_permission_matrix(
    request, who, public_status, confidential_status, sees_details, onboarded, confidential_result
):
    user = request.getfixturevalue(who) if who else None
    client = client_for(user)
    response = client.get(detail(onboarded))
    assert response.status_code == public_status
    assert (
        "Policy network architecture" in response.content.decode()
        or "策略网络结构" in response.content.decode()
    ) is sees_details
    response = client.get(detail(confidential_result))
    assert response.status_code == confidential_status
    listing = client.get(reverse("results:list")).content.decode()
    assert (
        "confidential chip packaging" in listing.lower() or "保密的芯片封装工艺" in listing
    ) is (confidential_status == 200)


@pytest.mark.django_db
def test_search_never_reveals_confidential_details_to_those_who_may_not_read_them(
    enterprise_user, inventor, onboarded, confidential_result
):
    # "X9" appears only in the confidential result's confidential details.
    assert (
        client_for(enterprise_user)
        .get(reverse("search"), {"q": "X9"})
        .context["page"]
        .paginator.count
        == 0
    )
    assert client_for(None).get(reverse("search"), {"q": "X9"}).context["page"].paginator.count == 0
    assert [
        r.pk for r in client_for(inventor).get(reverse("search"), {"q": "X9"}).context["page"]
    ] == [confidential_result.pk]
    # A public result's confidential details are not searchable by outsiders either.
    assert (
        client_for(enterprise_user)
        .get(reverse("search"), {"q": "策略网络结构"})
        .context["page"]
        .paginator.count
        == 0
    )
    assert (
        client_for(enterprise_user)
        .get(reverse("search"), {"q": "机械臂"})
        .context["page"]
        .paginator.count
        == 1
    )


@pytest.mark.django_db
def test_list_filters_sort_and_htmx_partial(manager, onboarded, confidential_result):
    client = client_for(manager)
    assert (
        client.get(reverse("results:list"), {"public": "confidential"})
        .context["page"]
        .paginator.count
        == 1
    )
    assert client.get(reverse("results:list"), {"field": "ic"}).context["page"].paginator.count == 0
    response = client.get(reverse("results:list"), {"q": "CN202210123456"}, HTTP_HX_REQUEST="true")
    assert response.templates[0].name == "results/partials/result_table.html"
    assert [r.pk for r in response.context["page"]] == [onboarded.pk]


def onboarding_post(researcher, university, **overrides):
    data = {
        "title_zh": "新型钙钛矿太阳能电池",
        "title_en": "Perovskite solar cell",
        "kind": "invention_patent",
        "field": "green_energy",
        "trl": "3",
        "owners": [university.pk],
        "is_public": "public",
        "abstract_zh": "摘要",
        "keywords_zh": "钙钛矿，太阳能",
        "keywords_en": "perovskite, solar",
        "inventors-TOTAL_FORMS": "2",
        "inventors-INITIAL_FORMS": "0",
        "inventors-MIN_NUM_FORMS": "1",
        "inventors-MAX_NUM_FORMS": "30",
        "inventors-0-person": researcher.pk,
        "inventors-0-share": "100",
        "inventors-1-person": "",
        "inventors-1-share": "",
        "ip_assets-TOTAL_FORMS": "1",
        "ip_assets-INITIAL_FORMS": "0",
        "ip_assets-MIN_NUM_FORMS": "0",
        "ip_assets-MAX_NUM_FORMS": "50",
        "ip_assets-0-jurisdiction": "CN",
        "ip_assets-0-ip_kind": "invention",
        "ip_assets-0-application_number": "CN202210123456.1",
        "ip_assets-0-status": "filed",
        "fundings-TOTAL_FORMS": "0",
        "fundings-INITIAL_FORMS": "0",
        "fundings-MIN_NUM_FORMS": "0",
        "fundings-MAX_NUM_FORMS": "20",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_onboarding_form_saves_a_valid_result(manager, researcher, university):
    response = client_for(manager).post(
        reverse("results:onboard"), onboarding_post(researcher, university)
    )
    result = Result.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(result)
    assert result.keywords_zh == ["钙钛矿", "太阳能"] and result.is_public


@pytest.mark.django_db
def test_onboarding_form_refuses_a_wrong_check_digit_on_its_field(manager, researcher, university):
    response = client_for(manager).post(
        reverse("results:onboard"),
        onboarding_post(
            researcher, university, **{"ip_assets-0-application_number": "CN202210123456.9"}
        ),
    )
    assert response.status_code == 422
    assets = response.context["ip_assets"]
    assert "application_number" in assets.forms[0].errors
    assert Result.objects.count() == 0


@pytest.mark.django_db
def test_onboarding_form_refuses_shares_not_summing_to_100(
    manager, researcher, second_researcher, university
):
    response = client_for(manager).post(
        reverse("results:onboard"),
        onboarding_post(
            researcher,
            university,
            **{
                "inventors-0-share": "70",
                "inventors-1-person": second_researcher.pk,
                "inventors-1-share": "20",
            },
        ),
    )
    assert response.status_code == 422
    assert "100%" in " ".join(response.context["inventors"].non_form_errors())
    assert Result.objects.count() == 0


@pytest.mark.django_db
def test_onboarding_form_in_chinese_gives_chinese_errors(manager, researcher, university):
    response = client_for(manager).post(
        "/zh-hans/results/new/",
        onboarding_post(
            researcher, university, **{"ip_assets-0-application_number": "CN202210123456.9"}
        ),
    )
    assert response.status_code == 422
    assert "校验位" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("who", [None, "enterprise_user", "reviewer", "official", "investor"])
def test_onboarding_is_refused_to_other_roles_and_nothing_is_saved(
    request, who, researcher, university
):
    user = request.getfixturevalue(who) if who else None
    response = client_for(user).post(
        reverse("results:onboard"), onboarding_post(researcher, university)
    )
    assert response.status_code == (302 if user is None else 403)
    assert Result.objects.count() == 0


@pytest.mark.django_db
def test_illegal_transition_through_the_view_changes_nothing(manager, onboarded):
    changes = AuditEvent.objects.exclude(action="result.view_details")
    events = changes.count()
    response = client_for(manager).post(
        reverse("results:transition", args=[onboarded.pk]), {"target": "landed"}, follow=True
    )
    assert "cannot move" in response.content.decode() or "不能" in response.content.decode()
    onboarded.refresh_from_db()
    assert onboarded.stage == "onboarding" and changes.count() == events


@pytest.mark.django_db
def test_transition_by_an_outsider_is_404_for_confidential_and_refused_for_public(
    enterprise_user, onboarded, confidential_result
):
    client = client_for(enterprise_user)
    assert (
        client.post(
            reverse("results:transition", args=[confidential_result.pk]), {"target": "evaluation"}
        ).status_code
        == 404
    )
    client.post(reverse("results:transition", args=[onboarded.pk]), {"target": "evaluation"})
    onboarded.refresh_from_db()
    assert onboarded.stage == "onboarding"


@pytest.mark.django_db
def test_attachment_download_is_permission_checked_and_audited(
    manager, inventor, enterprise_user, university, researcher
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from opentto.results.services import result_onboard

    from ..conftest import result_input

    result = result_onboard(
        data=result_input([university], [(researcher, "100")]),
        actor=manager,
        attachments=[SimpleUploadedFile("说明书.pdf", PDF)],
    )
    attachment = result.attachments.get()
    url = reverse("results:attachment", args=[attachment.pk])
    assert client_for(enterprise_user).get(url).status_code == 404
    response = client_for(inventor).get(url)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment;" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="attachment.download", actor=inventor).count() == 1


@pytest.mark.django_db
def test_csrf_is_enforced_on_transitions(manager, onboarded):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post(
        reverse("results:transition", args=[onboarded.pk]), {"target": "evaluation"}
    )
    assert response.status_code == 403
    onboarded.refresh_from_db()
    assert onboarded.stage == "onboarding"


@pytest.mark.django_db
def test_script_in_a_title_is_shown_as_text(manager, university, researcher):
    from opentto.results.services import result_onboard

    from ..conftest import result_input

    result = result_onboard(
        data=result_input(
            [university], [(researcher, "100")], title_zh="<script>alert(1)</script>", ip_assets=[]
        ),
        actor=manager,
    )
    body = (
        client_for(manager).get(detail(result).replace("/en/", "/zh-hans/", 1)).content.decode()
    )  # the Chinese title's page
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
