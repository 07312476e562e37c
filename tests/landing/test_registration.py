"""Technology-contract registration (技术合同认定登记): the classification and its migration, the
registration steps and their guards (a refusal writes nothing), the flags on deals claiming a tax
relief without a registered contract, the reminders before the tax dates (sent once) and the pages
for anonymous, unpermitted, permitted and constrained users."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from opentto.core import permissions
from opentto.core.models import AuditEvent, Grant
from opentto.landing.models import (
    ContractRegistration,
    ContractRegistrationDocument,
    Deal,
    deal_registration_flags,
    deal_relief_unregistered,
)
from opentto.landing.services import (
    DealTerms,
    deal_classify,
    deal_update_terms,
    income_tax_due,
    registration_apply,
    registration_document_add,
    registration_refuse,
    registration_register,
    registration_remind,
    registration_return,
    vat_filing_due,
)
from opentto.notifications.models import Notification

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
OFFICE = "上海市技术合同登记处"


def _pdf(name: str = "certificate.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _claiming(deal: Deal, manager, **extra) -> Deal:
    values = {
        "contract_kind": "licence",
        "contract_object": "patent",
        "claims_vat_exemption": True,
        "claims_income_tax_relief": True,
    }
    values.update(extra)
    return deal_classify(deal=deal, actor=manager, **values)


# --- the migration ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_registration_value_and_classifies_unambiguous_types():
    executor = MigrationExecutor(connection)
    executor.migrate([("landing", "0004_contract_registration")])
    old = executor.loader.project_state(("landing", "0004_contract_registration")).apps
    Organisation = old.get_model("organisations", "Organisation")
    OldDeal = old.get_model("landing", "Deal")
    buyer = Organisation.objects.create(name_zh="买方", name_en="Buyer", kind="enterprise")
    rows = {
        "licence_sole": ("2025310100001", dt.date(2025, 3, 20)),
        "tech_development": ("", dt.date(2025, 4, 2)),
        "assignment": ("2025310100003", None),
        "equity": ("", None),
        "joint_development": ("", None),
    }
    ids = {
        t: OldDeal.objects.create(
            counterparty=buyer,
            deal_type=t,
            amount_cny="100.00",
            registration_number=n,
            registration_date=d,
        ).pk
        for t, (n, d) in rows.items()
    }
    Grant.objects.filter(role="manager", object_type="landing.deal", constraint="all").update(
        actions=["view", "change"]
    )
    Grant.objects.filter(role="admin", object_type="landing.deal", constraint="all").update(
        actions=["view"], enabled=False
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    kinds = dict(Deal.objects.filter(pk__in=ids.values()).values_list("deal_type", "contract_kind"))
    assert kinds == {
        "licence_sole": "licence",
        "tech_development": "",
        "assignment": "transfer",
        "equity": "",
        "joint_development": "dev_cooperative",
    }
    registrations = {
        r.deal.deal_type: (r.status, r.number, r.registered_on)
        for r in ContractRegistration.objects.select_related("deal")
    }
    assert registrations == {
        "licence_sole": ("registered", "2025310100001", dt.date(2025, 3, 20)),
        "tech_development": ("registered", "", dt.date(2025, 4, 2)),
        "assignment": ("applied", "2025310100003", None),
    }
    assert Grant.objects.get(
        role="manager", object_type="landing.deal", constraint="all"
    ).actions == ["change", "register_contract", "view"]
    admin = Grant.objects.get(role="admin", object_type="landing.deal", constraint="all")
    assert not admin.enabled  # switched off by an admin: stays off
    # the migrated registrations have no technology income: flagged, not invented
    assert deal_registration_flags(Deal.objects.get(pk=ids["licence_sole"])) == [
        "The registration records no technology-related income: enter the amount the office set."
    ]


# --- the steps and their guards -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_returned_application_is_applied_again_and_registered(signed_deal, manager):
    deal = _claiming(signed_deal, manager)
    registration_apply(
        deal=deal,
        applied_on=dt.date(2025, 3, 10),
        office=OFFICE,
        documents=[_pdf("contract.pdf")],
        actor=manager,
    )
    returned = registration_return(deal=deal, reason="合同缺少技术指标附件", actor=manager)
    assert (returned.status, returned.note) == ("returned", "合同缺少技术指标附件")
    registration_apply(deal=deal, applied_on=dt.date(2025, 3, 18), office=OFFICE, actor=manager)
    reg = registration_register(
        deal=deal,
        number=" 2025310100042 ",
        registered_on=dt.date(2025, 3, 25),
        technology_income_cny="850000.004",
        documents=[_pdf()],
        actor=manager,
    )
    reg.refresh_from_db()
    assert (reg.status, reg.number, reg.applied_on, reg.registered_on, reg.office) == (
        "registered",
        "2025310100042",
        dt.date(2025, 3, 18),
        dt.date(2025, 3, 25),
        OFFICE,
    )
    assert (
        reg.technology_income_cny == Decimal("850000.00") and reg.is_registered and reg.note == ""
    )
    assert reg.documents.count() == 2
    assert list(
        AuditEvent.objects.filter(
            object_type="landing.deal",
            object_id=str(deal.pk),
            action__startswith="deal.registration_",
        )
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "deal.registration_apply",
        "deal.registration_document",
        "deal.registration_return",
        "deal.registration_apply",
        "deal.registration_register",
        "deal.registration_document",
    ]
    assert deal_registration_flags(deal) == [] and not deal_relief_unregistered(deal)
    with pytest.raises(ValidationError, match="cannot move"):
        registration_refuse(deal=deal, reason="x", actor=manager)


def _nothing_written(deal: Deal, events_before: int) -> None:
    assert not ContractRegistration.objects.filter(deal=deal).exclude(status="not_applied").exists()
    assert ContractRegistrationDocument.objects.count() == 0
    assert AuditEvent.objects.count() == events_before


@pytest.mark.django_db
def test_refused_steps_write_nothing(signed_deal, manager, inventor):
    deal = _claiming(signed_deal, manager)
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionError):
        registration_apply(
            deal=deal, applied_on=dt.date(2025, 3, 10), office=OFFICE, actor=inventor
        )
    with pytest.raises(ValidationError, match="before the signing date"):
        registration_apply(
            deal=deal,
            applied_on=dt.date(2025, 2, 27),
            office=OFFICE,
            documents=[_pdf()],
            actor=manager,
        )
    with pytest.raises(ValidationError, match="cannot move"):
        registration_register(
            deal=deal,
            number="1",
            registered_on=dt.date(2025, 3, 25),
            technology_income_cny="1.00",
            actor=manager,
        )
    with pytest.raises(ValidationError, match="not a PDF"):
        registration_apply(
            deal=deal,
            applied_on=dt.date(2025, 3, 10),
            office=OFFICE,
            documents=[SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf")],
            actor=manager,
        )
    assert ContractRegistration.objects.filter(deal=deal).count() == 0
    _nothing_written(deal, before)

    registration_apply(deal=deal, applied_on=dt.date(2025, 3, 10), office=OFFICE, actor=manager)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as above:
        registration_register(
            deal=deal,
            number="2025310100042",
            registered_on=dt.date(2025, 3, 25),
            technology_income_cny="1000000.01",
            documents=[_pdf()],
            actor=manager,
        )
    assert above.value.message_dict == {
        "income_explanation": [
            "The technology-related income (1000000.01) is above the contract amount (1000000.00): explain why."
        ]
    }
    with pytest.raises(ValidationError, match="before the application"):
        registration_register(
            deal=deal,
            number="2025310100042",
            registered_on=dt.date(2025, 3, 9),
            technology_income_cny="1.00",
            actor=manager,
        )
    reg = ContractRegistration.objects.get(deal=deal)
    assert (reg.status, reg.number, reg.technology_income_cny) == ("applied", "", None)
    assert (
        AuditEvent.objects.count() == before and ContractRegistrationDocument.objects.count() == 0
    )
    explained = registration_register(
        deal=deal,
        number="2025310100042",
        registered_on=dt.date(2025, 3, 25),
        technology_income_cny="1000000.01",
        income_explanation="含后续改进技术的提成",
        actor=manager,
    )
    assert explained.technology_income_cny == Decimal("1000000.01")
    with pytest.raises(ValidationError, match="recognised"):
        deal_classify(deal=deal, contract_kind="transfer", contract_object="patent", actor=manager)


@pytest.mark.django_db
def test_classification_guards(signed_deal, manager, inventor):
    with pytest.raises(ValidationError) as wrong:
        deal_classify(
            deal=signed_deal,
            contract_kind="licence",
            contract_object="patent_application",
            actor=manager,
        )
    assert wrong.value.message_dict == {
        "contract_object": [
            "“Patent application right” is not an object of a “Technology licence” contract."
        ]
    }
    with pytest.raises(ValidationError, match="carry consulting"):
        deal_classify(
            deal=signed_deal,
            contract_kind="consulting",
            bundled_support_services=True,
            actor=manager,
        )
    with pytest.raises(PermissionError):
        deal_classify(deal=signed_deal, contract_kind="transfer", actor=inventor)
    signed_deal.refresh_from_db()
    assert (signed_deal.contract_kind, signed_deal.contract_object) == (
        "licence",
        "",
    )  # the default from the deal type
    deal_classify(
        deal=signed_deal, contract_kind="service", contract_object="training", actor=manager
    )
    assert Deal.objects.get(pk=signed_deal.pk).get_contract_object_display() == "Technical training"


@pytest.mark.django_db
def test_a_draft_deal_is_not_registered(manager, landing_result, enterprise_org):
    from opentto.landing.services import deal_create

    draft = deal_create(
        results=[landing_result],
        counterparty=enterprise_org,
        deal_type="tech_development",
        amount_cny="500000.00",
        actor=manager,
    )
    assert draft.contract_kind == ""  # commissioned or cooperative: the TTO says
    deal_classify(deal=draft, contract_kind="dev_commissioned", actor=manager)
    with pytest.raises(ValidationError, match="Only a signed contract"):
        registration_apply(
            deal=draft, applied_on=dt.date(2025, 3, 10), office=OFFICE, actor=manager
        )
    assert not ContractRegistration.objects.filter(deal=draft).exists()


# --- flags ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_flags_on_reliefs_claimed(signed_deal, manager):
    deal = _claiming(signed_deal, manager)
    assert deal_relief_unregistered(deal)
    assert deal_registration_flags(deal) == [
        "Claims the VAT exemption but the technology contract is not registered: the exemption is claimed on the registered "
        "contract (Caishui [2016] No. 36, annex 3, art. 1 item (26)).",
        "Claims the income-tax relief on technology transfer but the contract is not registered: the relief is computed on the "
        "technology-related income the registration office sets.",
    ]
    deal_update_terms(
        deal=deal,
        terms=DealTerms(term_starts_on=dt.date(2025, 3, 1), term_ends_on=dt.date(2030, 2, 28)),
        amount_cny=deal.amount_cny,
        actor=manager,
    )
    deal = deal_classify(
        deal=Deal.objects.get(pk=deal.pk),
        contract_kind="licence",
        claims_income_tax_relief=True,
        actor=manager,
    )
    assert deal_registration_flags(deal)[1:] == [
        "A licence qualifies for the income-tax relief only with a term of 5 years or more (Caishui [2010] No. 111; Caishui [2015] No. 116): this term is shorter."
    ]
    deal = deal_classify(
        deal=deal, contract_kind="consulting", claims_vat_exemption=True, actor=manager
    )
    assert deal_registration_flags(deal)[1:] == [
        "Consulting and service income is exempt from VAT only inside the same transfer or development contract and invoice "
        "(Caishui [2016] No. 36, annex 3, art. 1 item (26)): a separate consulting or service contract is not."
    ]
    deal = deal_classify(deal=deal, contract_kind="consulting", actor=manager)
    assert deal_registration_flags(deal) == [] and not deal_relief_unregistered(deal)


# --- reminders --------------------------------------------------------------------------------------------


def test_tax_dates():
    assert income_tax_due(dt.date(2025, 3, 1), dt.date(2025, 3, 2)) == dt.date(2026, 5, 31)
    assert income_tax_due(dt.date(2025, 3, 1), dt.date(2026, 6, 1)) == dt.date(2027, 5, 31)
    assert vat_filing_due(dt.date(2025, 3, 1)) == dt.date(2025, 4, 15)
    assert vat_filing_due(dt.date(2025, 12, 31)) == dt.date(2026, 1, 15)


@pytest.mark.django_db
def test_reminders_are_sent_once_to_those_who_register_the_deal(
    signed_deal, manager, inventor, enterprise_user
):
    _claiming(
        signed_deal, manager
    )  # signed 2025-03-01: VAT return 2025-04-15, settlement 2026-05-31
    assert registration_remind(today=dt.date(2025, 3, 15)) == 0
    assert registration_remind(today=dt.date(2025, 3, 16)) == 1  # 30 days before the VAT return
    assert registration_remind(today=dt.date(2025, 4, 15)) == 0  # sent once
    assert registration_remind(today=dt.date(2026, 4, 30)) == 0
    assert registration_remind(today=dt.date(2026, 5, 1)) == 1  # 30 days before the settlement
    assert registration_remind(today=dt.date(2026, 5, 31)) == 0
    sent = Notification.objects.filter(kind="landing.registration").order_by("id")
    assert [(n.recipient, n.title_en) for n in sent] == [
        (manager, "Contract not registered: Licence (VAT return 2025-04-15)"),
        (manager, "Contract not registered: Licence (income-tax settlement 2026-05-31)"),
    ]
    # a year later, still unregistered: the next settlement
    assert registration_remind(today=dt.date(2027, 5, 1)) == 1
    registration_apply(
        deal=signed_deal, applied_on=dt.date(2026, 6, 1), office=OFFICE, actor=manager
    )
    registration_register(
        deal=signed_deal,
        number="2026310100001",
        registered_on=dt.date(2026, 6, 2),
        technology_income_cny="900000.00",
        actor=manager,
    )
    assert registration_remind(today=dt.date(2028, 5, 1)) == 0  # registered: nothing to remind


# --- pages and API ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_registration_steps_for_each_kind_of_user(
    client, signed_deal, manager, inventor, other_inventor, enterprise_user
):
    url = f"/en/deals/{signed_deal.pk}/registration/apply/"
    data = {"applied_on": "2025-03-10", "office": OFFICE}
    assert (
        client.post(url, data).status_code == 302 and not ContractRegistration.objects.exists()
    )  # to the sign-in page
    for user, status in ((other_inventor, 404), (inventor, 403), (enterprise_user, 403)):
        client.force_login(user)
        assert client.post(url, data).status_code == status
        assert (
            client.post(
                f"/en/deals/{signed_deal.pk}/classify/", {"contract_kind": "transfer"}
            ).status_code
            == status
        )
    assert (
        not ContractRegistration.objects.exists()
        and Deal.objects.get(pk=signed_deal.pk).contract_kind == "licence"
    )
    # a manager whose registration grant an admin switched off: sees the deal, may not register
    Grant.objects.filter(role="manager", object_type="landing.deal").update(
        actions=["add", "change", "distribute", "figures", "record_payment", "sign", "view"]
    )
    permissions.clear_grant_cache(manager)
    client.force_login(manager)
    assert client.post(url, data).status_code == 403 and not ContractRegistration.objects.exists()
    Grant.objects.filter(role="manager", object_type="landing.deal").update(
        actions=[
            "add",
            "change",
            "distribute",
            "figures",
            "record_payment",
            "register_contract",
            "sign",
            "view",
        ]
    )
    permissions.clear_grant_cache(manager)
    response = client.post(url, {**data, "documents": _pdf("contract.pdf")})
    assert response.status_code == 302
    reg = ContractRegistration.objects.get(deal=signed_deal)
    assert (reg.status, reg.office) == ("applied", OFFICE)
    document = reg.documents.get()
    download = f"/en/deals/registration-documents/{document.pk}/"
    for user, status in ((enterprise_user, 200), (inventor, 200), (other_inventor, 404)):
        client.force_login(user)
        assert client.get(download).status_code == status


@pytest.mark.django_db
def test_the_flag_shows_on_the_page_in_the_list_and_in_the_api(
    client, signed_deal, manager, enterprise_user
):
    from rest_framework.test import APIClient

    from opentto.api.services import token_create

    _claiming(signed_deal, manager)
    client.force_login(manager)
    page = client.get(f"/en/deals/{signed_deal.pk}/").content.decode()
    assert (
        'data-flags="registration"' in page
        and "Claims the VAT exemption but the technology contract is not registered" in page
    )
    listing = client.get("/en/deals/?relief=unregistered").content.decode()
    assert 'data-flag="relief-unregistered"' in listing and f"/deals/{signed_deal.pk}/" in listing
    _token, key = token_create(user=enterprise_user, scope="read", actor=None)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    row = api.get(f"/api/v1/deals/{signed_deal.pk}/").json()
    assert (
        row["contract_kind"],
        row["claims_vat_exemption"],
        row["relief_unregistered"],
        row["registration"],
    ) == ("licence", True, True, None)
    registration_apply(
        deal=signed_deal, applied_on=dt.date(2025, 3, 10), office=OFFICE, actor=manager
    )
    registration_register(
        deal=signed_deal,
        number="2025310100042",
        registered_on=dt.date(2025, 3, 25),
        technology_income_cny="850000.00",
        actor=manager,
    )
    row = api.get(f"/api/v1/deals/{signed_deal.pk}/").json()
    assert row["relief_unregistered"] is False and row["registration_flags"] == []
    assert row["registration"] == {
        "status": "registered",
        "number": "2025310100042",
        "applied_on": "2025-03-10",
        "registered_on": "2025-03-25",
        "office": OFFICE,
        "technology_income_cny": "850000.00",
    }
    assert 'data-flag="relief-unregistered"' not in client.get("/en/deals/").content.decode()


@pytest.mark.django_db
def test_documents_step_needs_a_file(signed_deal, manager):
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="at least one file"):
        registration_document_add(deal=signed_deal, documents=[], actor=manager)
    assert AuditEvent.objects.count() == before and not ContractRegistration.objects.exists()
