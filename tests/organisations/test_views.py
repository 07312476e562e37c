import pytest
from django.test import Client
from django.urls import reverse

from opentto.core.models import AuditEvent
from opentto.organisations.models import Membership, Organisation, Person


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
def test_organisation_with_a_wrong_credit_code_check_character_is_refused_on_its_field(manager):
    response = client_for(manager).post(
        reverse("organisations:create"),
        {"name_zh": "测试公司", "kind": "enterprise", "credit_code": "91350100M000100Y44"},
    )
    assert response.status_code == 422
    assert "credit_code" in response.context["form"].errors
    assert not Organisation.objects.filter(name_zh="测试公司").exists()


@pytest.mark.django_db
def test_organisation_is_created_with_a_valid_code_and_audited(manager):
    response = client_for(manager).post(
        reverse("organisations:create"),
        {"name_en": "Test Co", "kind": "enterprise", "credit_code": "91350100m000100y43"},
    )
    organisation = Organisation.objects.get(name_en="Test Co")
    assert response.status_code == 302
    assert organisation.credit_code == "91350100M000100Y43"
    assert AuditEvent.objects.filter(
        action="organisation.create", object_id=str(organisation.pk)
    ).exists()
    again = client_for(manager).post(
        reverse("organisations:create"),
        {"name_en": "Copy", "kind": "enterprise", "credit_code": "91350100M000100Y43"},
    )
    assert again.status_code == 422 and not Organisation.objects.filter(name_en="Copy").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["inventor", "enterprise_user", "official", "reviewer", "investor"])
def test_only_staff_add_organisations_and_people(request, who, university):
    client = client_for(request.getfixturevalue(who))
    before = (Organisation.objects.count(), Person.objects.count())
    assert (
        client.post(
            reverse("organisations:create"), {"name_en": "X", "kind": "enterprise"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("organisations:person_create"),
            {"name_en": "Y", "organisation": university.pk, "role": "researcher"},
        ).status_code
        == 403
    )
    assert (Organisation.objects.count(), Person.objects.count()) == before


@pytest.mark.django_db
def test_person_is_added_with_membership(manager, university):
    response = client_for(manager).post(
        reverse("organisations:person_create"),
        {
            "name_zh": "赵雷",
            "name_en": "Zhao Lei",
            "organisation": university.pk,
            "role": "researcher",
            "position_en": "Associate professor",
        },
    )
    person = Person.objects.get(name_en="Zhao Lei")
    assert response.status_code == 302
    assert Membership.objects.get(person=person).organisation == university


@pytest.mark.django_db
def test_directory_needs_sign_in(university):
    for url in (
        reverse("organisations:list"),
        reverse("organisations:detail", args=[university.pk]),
        reverse("organisations:people"),
    ):
        response = client_for(None).get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_organisation_page_lists_only_the_results_the_viewer_may_see(
    enterprise_user, manager, university, onboarded, confidential_result
):
    url = reverse("organisations:detail", args=[university.pk])
    assert [r.pk for r in client_for(enterprise_user).get(url).context["results"]] == [onboarded.pk]
    assert {r.pk for r in client_for(manager).get(url).context["results"]} == {
        onboarded.pk,
        confidential_result.pk,
    }
    listing = (
        client_for(enterprise_user).get(reverse("organisations:list")).context["page"].object_list
    )
    assert {o.pk: o.result_count for o in listing}[university.pk] == 1


@pytest.mark.django_db
def test_people_list_filters_by_organisation_and_hides_email_from_non_staff(
    enterprise_user, manager, researcher, university
):
    researcher.email = "li.ming@example.edu"
    researcher.save()
    page = (
        client_for(enterprise_user)
        .get(reverse("organisations:people"), {"organisation": university.pk})
        .context["page"]
    )
    assert [p.pk for p in page.object_list] == [researcher.pk]
    url = reverse("organisations:person", args=[researcher.pk])
    assert "li.ming@example.edu" not in client_for(enterprise_user).get(url).content.decode()
    assert "li.ming@example.edu" in client_for(manager).get(url).content.decode()


@pytest.mark.django_db
def test_result_counts_follow_each_viewers_scope_in_every_order_and_with_the_cache_on(
    settings,
    enterprise_user,
    inventor,
    manager,
    university,
    other_university,
    onboarded,
    confidential_result,
):
    """Counts come from one cached GROUP BY per scope, written into the query; sorting by them works."""
    from django.core.cache import cache

    from opentto.directory.selectors import organisation_list, person_list

    settings.OPENTTO_FIGURES_CACHE_SECONDS = 300
    cache.clear()
    for _ in range(2):  # computed, then read from the cache
        assert {o.pk: o.result_count for o in organisation_list(enterprise_user)}[
            university.pk
        ] == 1
        assert {o.pk: o.result_count for o in organisation_list(inventor)}[university.pk] == 2
        assert {o.pk: o.result_count for o in organisation_list(manager)}[university.pk] == 2
        assert {o.pk: o.result_count for o in organisation_list(manager)}[other_university.pk] == 0
        ranked = list(organisation_list(manager, sort="results"))
        assert ranked[0].pk == university.pk and ranked[0].result_count == 2
        assert [
            p.result_count
            for p in person_list(enterprise_user)
            if p.pk == onboarded.inventorships.get().person_id
        ] == [1]
    cache.clear()
