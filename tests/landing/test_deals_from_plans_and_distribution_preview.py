"""Deals that follow the work: a deal made from an approved plan starts with its terms; a deal
without a title gets a meaningful name (never "#15"); a distribution is previewed, explained, and
the preview is exactly what is stored; rates show as people write them (3%, not 0.03000)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import translation

from opentto.core.models import AuditEvent
from opentto.landing.models import Deal, Distribution, DistributionLine, ResultCost
from opentto.landing.services import (
    DealTerms,
    agreement_create,
    approved_plan_of,
    cost_record,
    deal_create,
    deal_notice_start,
    payment_distribute,
    payment_distribution_preview,
    payment_record,
    plan_deal_terms,
    rule_set,
)
from opentto.planning.models import TransferOption
from opentto.results.services import result_onboard

from ..conftest import make_user, result_input
from ..factories import MembershipFactory, OrganisationFactory, PersonFactory
from ..results.test_pipeline import to_landing

pytestmark = pytest.mark.django_db


def licence_plan(result, **terms):
    """The approved plan's recommended option (a licence) given its terms."""
    plan = approved_plan_of(result)
    values = {
        "licence_type": "exclusive",
        "upfront_fee_cny": Decimal("800000.00"),
        "royalty_rate": Decimal("0.035000"),
        "minimum_annual_royalty_cny": Decimal("120000.00"),
        "territory": "CN",
        "term_years": 8,
        **terms,
    }
    TransferOption.objects.filter(plan=plan, mode="licence").update(**values)
    return plan


# --- 1. a deal from an approved plan ------------------------------------------------------------


def test_the_approved_plans_terms_are_the_deals_terms(manager, landing_result, enterprise_org):
    plan = licence_plan(landing_result)
    from_plan = plan_deal_terms(plan)
    assert (from_plan.mode, from_plan.deal_type, from_plan.amount_cny) == (
        "licence",
        "licence_exclusive",
        Decimal("800000.00"),
    )
    deal = deal_create(
        results=[landing_result],
        counterparty=enterprise_org,
        deal_type="licence_exclusive",
        amount_cny=None,
        actor=manager,
        plan=plan,
    )
    deal.refresh_from_db()
    assert (deal.amount_cny, deal.royalty_rate, deal.royalty_minimum_cny, deal.source_plan_id) == (
        Decimal("800000.00"),
        Decimal("0.03500"),
        Decimal("120000.00"),
        plan.pk,
    )
    payload = AuditEvent.objects.get(action="deal.create").payload
    assert payload["plan_terms"] == {
        "plan": plan.pk,
        "option": from_plan.option.pk,
        "deal_type": "licence_exclusive",
        "amount_cny": "800000.00",
        "royalty_rate": "0.035",
        "royalty_minimum_cny": "120000.00",
    }
    assert payload["departs_from_plan"] == []


def test_what_is_typed_wins_and_the_departure_is_recorded(manager, landing_result, enterprise_org):
    plan = licence_plan(landing_result)
    deal = deal_create(
        results=[landing_result],
        counterparty=enterprise_org,
        deal_type="licence_sole",
        amount_cny="900000.00",
        actor=manager,
        plan=plan,
        terms=DealTerms(royalty_rate="0.04"),
    )
    deal.refresh_from_db()
    assert (deal.amount_cny, deal.royalty_rate, deal.royalty_minimum_cny) == (
        Decimal("900000.00"),
        Decimal("0.04000"),
        Decimal("120000.00"),
    )
    assert AuditEvent.objects.get(action="deal.create").payload["departs_from_plan"] == [
        "deal_type",
        "amount_cny",
        "royalty_rate",
    ]


def test_another_mode_than_the_plans_takes_none_of_its_terms(
    manager, landing_result, enterprise_org
):
    plan = licence_plan(landing_result)
    deal = deal_create(
        results=[landing_result],
        counterparty=enterprise_org,
        deal_type="assignment",
        amount_cny="100.00",
        actor=manager,
        plan=plan,
    )
    deal.refresh_from_db()
    assert (deal.royalty_rate, deal.royalty_minimum_cny, deal.amount_cny) == (
        None,
        None,
        Decimal("100.00"),
    )
    assert "plan_terms" not in AuditEvent.objects.get(action="deal.create").payload


def test_equity_and_spin_off_plans(manager, landing_result, enterprise_org):
    plan = approved_plan_of(landing_result)
    TransferOption.objects.filter(plan=plan).update(
        mode="equity", valuation_cny=Decimal("5000000.00"), equity_share_percent=Decimal("12.50")
    )
    plan.transfer_mode = "equity"
    plan.save(update_fields=["transfer_mode"])
    deal = deal_create(
        results=[landing_result],
        counterparty=enterprise_org,
        deal_type="equity",
        amount_cny=None,
        actor=manager,
        plan=plan,
    )
    deal.refresh_from_db()
    assert (deal.amount_cny, deal.equity_percent, deal.equity_valuation_cny) == (
        Decimal("5000000.00"),
        Decimal("12.5000"),
        Decimal("5000000.00"),
    )


def test_a_plan_not_approved_is_refused_and_nothing_is_written(
    manager, landing_result, enterprise_org
):
    plan = approved_plan_of(landing_result)
    plan.status = "superseded"
    plan.save(update_fields=["status"])
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        deal_create(
            results=[landing_result],
            counterparty=enterprise_org,
            deal_type="licence_exclusive",
            amount_cny="1.00",
            actor=manager,
            plan=plan,
        )
    assert refused.value.message_dict["plan"] == [
        "Only an approved transfer plan gives a deal its terms."
    ]
    assert not Deal.objects.exists() and AuditEvent.objects.count() == events


def test_the_result_pages_deal_form_starts_with_the_plan_and_the_view_copies_it(
    client, manager, landing_result, enterprise_org
):
    plan = licence_plan(landing_result)
    client.force_login(manager)
    page = client.get(f"/en/results/{landing_result.pk}/").content.decode()
    form = page[page.index('action="/en/results/') :]
    assert 'value="800000.00"' in form and re.search(
        r'<option value="licence_exclusive" selected>', form
    )
    assert "Royalty rate 3.5%" in page and "minimum ¥120,000.00" in page
    response = client.post(
        f"/en/results/{landing_result.pk}/deals/new/",
        {
            "counterparty": enterprise_org.pk,
            "deal_type": "licence_exclusive",
            "amount_cny": "800000.00",
            "currency": "CNY",
        },
    )
    assert response.status_code == 302
    deal = Deal.objects.get()
    assert (deal.source_plan_id, deal.royalty_rate, deal.royalty_minimum_cny) == (
        plan.pk,
        Decimal("0.03500"),
        Decimal("120000.00"),
    )


# --- 2. a meaningful name --------------------------------------------------------------------------


def test_a_deal_without_a_title_is_named_by_result_type_and_counterparty(
    manager, landing_result, enterprise_org
):
    landing_result.is_public = True
    landing_result.save(update_fields=["is_public"])
    deal = deal_create(
        results=[landing_result],
        counterparty=enterprise_org,
        deal_type="licence_exclusive",
        amount_cny="10.00",
        actor=manager,
    )
    assert (
        deal.name_in("en")
        == f"{landing_result.title_en} · Exclusive licence · SmartMake Robotics Ltd"
    )
    assert deal.name_in("zh-hans") == f"{landing_result.title_zh} · 独占许可 · 智造机器人有限公司"
    with translation.override("en"):
        assert str(deal) == deal.name_in("en")
    landing_result.is_public = False  # a confidential result's title is left out, never "#id"
    landing_result.save(update_fields=["is_public"])
    assert (
        Deal.objects.get(pk=deal.pk).name_in("en") == "Exclusive licence · SmartMake Robotics Ltd"
    )
    deal.title = "Licence to SmartMake"
    assert deal.name_in("zh-hans") == "Licence to SmartMake"


def test_no_public_notice_or_deal_list_names_a_deal_by_its_number(
    client, manager, landing_result, enterprise_org
):
    landing_result.is_public = True
    landing_result.save(update_fields=["is_public"])
    deal = deal_create(
        results=[landing_result],
        counterparty=enterprise_org,
        deal_type="assignment",
        amount_cny="2860000.00",
        actor=manager,
        terms=DealTerms(price_method="negotiated"),
    )
    deal_notice_start(
        deal=deal,
        starts_on=dt.date.today(),
        ends_on=dt.date.today() + dt.timedelta(days=15),
        actor=manager,
    )
    for language, name in (
        ("en", f"{landing_result.title_en} · Assignment · SmartMake Robotics Ltd"),
        ("zh-hans", f"{landing_result.title_zh} · 转让 · 智造机器人有限公司"),
    ):
        notices = client.get(f"/{language}/deals/notices/").content.decode()
        assert f"<h2>{name}</h2>" in notices and f"#{deal.pk}" not in notices
    client.force_login(manager)
    for url in ("/en/deals/", f"/en/deals/{deal.pk}/", f"/en/results/{landing_result.pk}/"):
        page = client.get(url).content.decode()
        assert "Assignment · SmartMake Robotics Ltd" in page and not re.search(
            rf">#{deal.pk}<", page
        ), url


# --- 3. the distribution preview -------------------------------------------------------------------


@pytest.fixture
def co_owned(manager, university, other_university, researcher, enterprise_org):
    colleague = MembershipFactory(
        organisation=other_university, person=PersonFactory(name_en="Zhao Lei", name_zh="赵磊")
    ).person
    result = to_landing(
        result_onboard(
            data=result_input(
                [university, other_university], [(researcher, "50"), (colleague, "50")]
            ),
            actor=manager,
        ),
        manager,
    )
    agreement_create(
        kind="co_owner",
        title="Co-owners 2024",
        parties=[university, other_university],
        results=[result],
        signed_on=dt.date(2024, 1, 1),
        shares=[(university, "70"), (other_university, "30")],
        actor=manager,
    )
    rule_set(
        organisation=university,
        team_share="0.7",
        tto_share="0.1",
        equity_team_share="0.7",
        legal_source="U rules art. 12",
        actor=manager,
    )
    deal = deal_create(
        results=[result],
        counterparty=enterprise_org,
        deal_type="licence_exclusive",
        amount_cny="1000000.00",
        title="Licence",
        actor=manager,
    )
    from opentto.landing.services import deal_sign

    deal_sign(deal=deal, signed_on=dt.date(2025, 3, 1), actor=manager)
    cost_record(
        result=result,
        kind="agent",
        amount_cny="1000.00",
        incurred_on=dt.date(2025, 2, 1),
        actor=manager,
    )
    payment = payment_record(
        deal=deal, received_on=dt.date(2025, 3, 10), amount_cny="100000.01", actor=manager
    )
    return deal, payment, colleague


def test_the_preview_explains_each_share_and_equals_what_is_stored(
    manager, university, other_university, researcher, co_owned
):
    deal, payment, colleague = co_owned
    events = AuditEvent.objects.count()
    preview = payment_distribution_preview(payment=payment, actor=manager)
    assert (
        not Distribution.objects.exists() and AuditEvent.objects.count() == events
    )  # a preview writes nothing
    assert (preview.total_costs, preview.net) == (Decimal("1000.00"), Decimal("99000.01"))
    u, o = preview.parts
    # 70/30 of 99000.01 = 69300.007 / 29700.003: the fen left goes to the larger remainder
    assert (u.organisation, u.share_percent, u.amount) == (
        university,
        Decimal("70.000"),
        Decimal("69300.01"),
    )
    assert (o.organisation, o.share_percent, o.amount) == (
        other_university,
        Decimal("30.000"),
        Decimal("29700.00"),
    )
    assert u.basis == o.basis == "co-owner agreement “Co-owners 2024” signed 2024-01-01"
    assert (u.has_rule, u.team_share, u.tto_share, u.rule_source) == (
        True,
        Decimal("0.7000"),
        Decimal("0.1000"),
        "U rules art. 12",
    )
    assert [(f.minimum, f.respected) for f in u.floors] == [
        (Decimal("0.50"), True),
        (Decimal("0.70"), True),
    ]
    assert (
        u.floors[0].source
        == "Law on Promoting the Transformation of Scientific and Technological Achievements, art. 45, para. 1 item (1)"
    )
    assert "art. 34" in u.floors[1].source
    # no rule at the other university: the statutory floor, 50% to the team, nothing to the TTO
    assert (o.has_rule, o.team_share, o.tto_share) == (False, Decimal("0.50"), Decimal("0"))
    assert [(f.minimum, f.respected) for f in o.floors] == [(Decimal("0.50"), True)]
    # u: team 0.7 x 69300.01 = 48510.007 -> 48510.01; TTO 6930.001 -> 6930.00; the rest 13860.00
    assert [(p, amt) for p, _l, _person, _c, amt in u.lines] == [
        ("organisation", Decimal("13860.00")),
        ("tto", Decimal("6930.00")),
        ("person", Decimal("48510.01")),
    ]
    assert [(p, amt) for p, _l, _person, _c, amt in o.lines] == [
        ("organisation", Decimal("14850.00")),
        ("tto", Decimal("0.00")),
        ("person", Decimal("14850.00")),
    ]
    stored = payment_distribute(payment=payment, actor=manager, expected=preview.fingerprint)
    assert (stored.costs_cny, stored.net_cny) == (preview.total_costs, preview.net)
    assert [
        (ln.organisation_id, ln.party, ln.person_id, ln.amount_cny)
        for ln in stored.lines.order_by("id")
    ] == [(ln.organisation_id, ln.party, ln.person_id, ln.amount_cny) for ln in preview.lines]
    assert list(ResultCost.objects.filter(distribution=stored)) == preview.deducted


def test_a_commit_after_something_changed_is_refused_and_writes_nothing(manager, co_owned):
    deal, payment, _colleague = co_owned
    preview = payment_distribution_preview(payment=payment, actor=manager)
    cost_record(
        result=deal.results.get(),
        kind="legal",
        amount_cny="500.00",
        incurred_on=dt.date(2025, 3, 1),
        actor=manager,
    )
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        payment_distribute(payment=payment, actor=manager, expected=preview.fingerprint)
    assert "has changed since it was shown" in refused.value.messages[0]
    assert (
        not Distribution.objects.exists()
        and not DistributionLine.objects.exists()
        and AuditEvent.objects.count() == events
    )
    again = payment_distribution_preview(payment=payment, actor=manager)
    assert again.total_costs == Decimal("1500.00") and again.fingerprint != preview.fingerprint
    assert payment_distribute(
        payment=payment, actor=manager, expected=again.fingerprint
    ).net_cny == Decimal("98500.01")


def test_the_preview_page_by_role(
    client, manager, inventor, enterprise_user, other_inventor, co_owned
):
    deal, payment, colleague = co_owned
    url = f"/en/deals/payments/{payment.pk}/distribution/"
    assert client.get(url).status_code == 302  # anonymous: sign in
    outsider = make_user("inventor", OrganisationFactory(), username="outsider")
    # the co-owners' inventors and the licensee see the payment but may not distribute it; an outsider does not see it
    for user, status in (
        (inventor, 403),
        (other_inventor, 403),
        (enterprise_user, 403),
        (outsider, 404),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status, user.username
    assert not Distribution.objects.exists()
    client.force_login(manager)
    page = client.get(url).content.decode()
    assert (
        "Co-owners' split: 70% of the net income (co-owner agreement “Co-owners 2024” signed 2024-01-01)."
        in page
    )
    assert (
        "The institution's rule (U rules art. 12): 70% to the team, 10% to the TTO, the rest to the institution"
        in page
    )
    assert (
        "No rule configured: the statutory floor applies, 50% to the team and the rest to the institution."
        in page
    )
    assert (
        "the floor of 50% to the team (Law on Promoting the Transformation of Scientific and Technological Achievements, art. 45, para. 1 item (1)"
        in page
    )
    assert (
        "¥48,510.01" in page
        and "¥6,930.00" in page
        and "¥13,860.00" in page
        and "¥99,000.01" in page
    )
    assert (
        "100% of the team's amount, by contribution" in page
        and "nothing to the TTO without a rule" in page
    )
    fingerprint = re.search(r'name="preview" value="([0-9a-f]{32})"', page).group(1)
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)
    for _ in range(2):  # posted twice: recorded once
        assert (
            client.post(
                f"/en/deals/payments/{payment.pk}/distribute/",
                {"idempotency_key": key, "preview": fingerprint},
            ).status_code
            == 302
        )
    assert (
        Distribution.objects.count() == 1
        and AuditEvent.objects.filter(action="payment.distribute").count() == 1
    )
    assert client.get(url).status_code == 302  # distributed: back to the deal page with the reason
    zh = client.get(f"/zh-hans/deals/{deal.pk}/").content.decode()
    assert "Distribute" not in zh


def test_a_stale_preview_posted_comes_back_to_a_new_preview(client, manager, co_owned):
    deal, payment, _colleague = co_owned
    client.force_login(manager)
    response = client.post(
        f"/en/deals/payments/{payment.pk}/distribute/",
        {"idempotency_key": "a" * 32, "preview": "0" * 32},
    )
    assert (
        response.status_code == 302
        and response["Location"] == f"/en/deals/payments/{payment.pk}/distribution/"
    )
    assert not Distribution.objects.exists()


def test_the_deal_page_links_to_the_preview_and_shows_rates_as_people_write_them(
    client, manager, signed_deal
):
    payment_record(
        deal=signed_deal, received_on=dt.date(2025, 3, 10), amount_cny="10.00", actor=manager
    )
    Deal.objects.filter(pk=signed_deal.pk).update(royalty_rate=Decimal("0.03000"))
    client.force_login(manager)
    page = client.get(f"/en/deals/{signed_deal.pk}/").content.decode()
    assert f'href="/en/deals/payments/{signed_deal.payments.get().pk}/distribution/"' in page
    assert "<dd data-royalty-rate>3%</dd>" in page and "0.03000" not in page
    assert 'name="royalty_rate" value="0.03"' in page


# --- 4. rates as people write them ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("0.03000"), "3%"),
        (Decimal("0.5000"), "50%"),
        (Decimal("0.125"), "12.5%"),
        (Decimal("1"), "100%"),
        (Decimal("0"), "0%"),
        (Decimal("0.035000"), "3.5%"),
        (None, ""),
        ("x", "—"),
    ],
)
def test_the_percent_filter(value, shown):
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert (
                Template("{% load opentto %}{{ v|percent }}").render(Context({"v": value})) == shown
            )


def test_the_percent_points_filter():
    rendered = Template(
        "{% load opentto %}{{ a|percent_points }} {{ b|percent_points }} {{ c|percent_points }}"
    ).render(Context({"a": Decimal("60.000"), "b": Decimal("12.5000"), "c": Decimal("33.333")}))
    assert rendered == "60% 12.5% 33.333%"


def test_the_rule_list_shows_shares_as_percentages(client, manager, university):
    rule_set(
        organisation=university,
        team_share="0.7",
        tto_share="0.125",
        legal_source="Rules",
        actor=manager,
    )
    client.force_login(manager)
    page = client.get("/en/deals/rules/").content.decode()
    assert (
        '<td class="num">70%</td><td class="num">12.5%</td><td class="num">50%</td>' in page
        and "0.7000" not in page
    )
