"""The world and the URL discovery behind the permission matrix (``test_permission_matrix.py``).

The world has, for every kind of object a URL can name, an *own* object (of the inventor's
organisation, University A, or of the enterprise user's organisation) and *another
organisation's* object (University B, Rival Corp); every one of them is confidential (results not
public, demands not public, deal terms, applications). Where "organisation" does not fit, own is
the matrix user's and other someone else's: a notification is the inventor's or Rival Corp's
user's, score evidence the matrix reviewer's or another reviewer's, a clash hold stored by the
inventor or by a University B inventor. The objects are made through the services (submitted,
approved, declared, held as the site would), except where no service exists. The texts in
:data:`OWN_SECRETS` and :data:`OTHER_SECRETS` appear only in these objects, so finding one in a
response of a role that may not read it (``test_permission_matrix.MAY_SEE``) is a leak.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern
from django.utils import timezone, translation

from opentto.accounts.models import UserRoleChoices
from opentto.landing.models import Deal
from opentto.organisations.models import Organisation
from opentto.results.models import Attachment, IPAsset

from .helpers import PDF

#: The roles of the matrix, in the order of the expectation strings.
ROLES = ("anon", "admin", "manager", "inventor", "enterprise", "reviewer", "official", "investor")
FIXTURES = {
    "anon": None,
    "admin": "admin_user",
    "manager": "manager",
    "inventor": "inventor",
    "enterprise": "enterprise_user",
    "reviewer": "reviewer",
    "official": "official",
    "investor": "investor",
}
#: Text only the owners (and the TTO) of the own objects may see (test_permission_matrix.MAY_SEE says who exactly).
OWN_SECRETS = [
    "Confidential chip packaging",
    "保密的芯片封装工艺",
    "secret parameter X9",
    "机密参数X9",
    "Own deal QW1",
    "secret-drawing.pdf",
    "Own demand DM1",
    "Own application AP1",
    "Own partner CH1",
    "Own valuation VP1",
    # a signed NDA's file name; the details of a result shared under an NDA; a reviewer's evidence file name
    "own-nda-ND1.pdf",
    "Shared details SD3",
    "共享细节SD3",
    "own-evidence-EV1.pdf",
    # the inventor's result held for the TTO (it clashes with the other result); the inventor's notification
    "Own held result HR1",
    "暂挂成果HR1",
    "Own notification NT1",
    # an approved subsidy application and its tranche's milestone
    "Own approved application AP3",
    "Own milestone TM1",
    # a proof-of-concept project on the own result and its milestone's evidence file
    "Own PoC PC1",
    "own-poc-PE1.pdf",
    # the inventor's personal data: e-mail address, ID number, bank and account number
    "li.ming.em1@univ-a.example",
    "110108198506143016",
    "Own bank BK1",
    "6222600260001072441",
    # a rights application (赋权) of the inventor's team: its statement and its signed agreement's file name
    "Own rights statement RS1",
    "own-fuquan-FQ1.pdf",
]
#: Text of the other organisations' objects (the TTO's to see, and the district official's for subsidies).
OTHER_SECRETS = [
    "Rival battery RB2",
    "竞争对手电池RB2",
    "rival parameter Y8",
    "Secret deal ZQ7",
    "Rival demand DM2",
    "Rival application AP2",
    "Rival partner CH2",
    "Rival valuation VP2",
    "Pool PL9",
    "rival-nda-ND2.pdf",
    "rival-evidence-EV2.pdf",
    "Rival held result HR2",
    "暂挂成果HR2",
    "Rival notification NT2",
    "Rival approved application AP4",
    "Rival milestone TM2",
    "Rival PoC PC2",
    "rival-poc-PE2.pdf",
    "rival.inventor.em2@univ-b.example",
    "440305199001017711",
    "Rival bank BK2",
    "6217000010009988776",
    "rival.buyer.em3@rival.example",
    "Rival rights statement RS2",
    "rival-fuquan-FQ2.pdf",
]
#: Namespaces left out: Django's own admin (staff only, its own permission system).
SKIP_NAMESPACES = {"admin"}
MISSING = 2_000_000_000  # an id no object has


@dataclass(frozen=True)
class Route:
    name: str
    params: tuple[tuple[str, str], ...]  # (name, kind: int | str | format)


def _params(pattern: object) -> list[tuple[str, str]]:
    if isinstance(pattern, RoutePattern):
        return [
            (
                key,
                "int"
                if conv.__class__.__name__ == "IntConverter"
                else ("format" if key == "format" else "str"),
            )
            for key, conv in pattern.converters.items()
        ]
    if isinstance(pattern, RegexPattern):
        out = []
        for key in pattern.regex.groupindex:
            part = pattern.regex.pattern.split(f"(?P<{key}>", 1)[1]
            out.append(
                (
                    key,
                    "int"
                    if part.startswith(("[0-9]", "\\d"))
                    else ("format" if key == "format" else "str"),
                )
            )
        return out
    return []


def walk(
    patterns: list[URLPattern | URLResolver] | None = None,
    ns: str = "",
    inherited: tuple[tuple[str, str], ...] = (),
) -> Iterator[Route]:
    """Every named URL of the running URLconf (the API router's included)."""
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            namespace = p.namespace or ""
            if namespace in SKIP_NAMESPACES:
                continue
            params = (
                inherited
                if isinstance(p.pattern, LocalePrefixPattern)
                else inherited + tuple(_params(p.pattern))
            )
            yield from walk(
                p.url_patterns, f"{ns}:{namespace}".strip(":") if namespace else ns, params
            )
        elif p.name:
            yield Route(f"{ns}:{p.name}" if ns else p.name, inherited + tuple(_params(p.pattern)))


def routes() -> list[Route]:
    seen: dict[tuple[str, tuple[str, ...]], Route] = {}
    for route in walk():
        if any(kind == "format" for _k, kind in route.params):
            continue  # the router's ``.json`` twins of the same views
        seen.setdefault((route.name, tuple(k for k, _v in route.params)), route)
    return sorted(seen.values(), key=lambda r: r.name)


def url_for(
    route: Route, value: int | None = None, extra: dict[str, Any] | None = None
) -> str | None:
    """The URL with every integer parameter set to ``value`` (or ``extra``) and every other one to ``x``."""
    kwargs = {key: (value if kind == "int" else "x") for key, kind in route.params}
    kwargs.update(extra or {})
    with translation.override("en"):
        try:
            return reverse(route.name, kwargs=kwargs or None)
        except NoReverseMatch:
            return None


def build_world(
    users: dict[str, Any],
    university: Organisation,
    other_university: Organisation,
    enterprise_org: Organisation,
    researcher: Any,
    public_result: Any,
) -> dict[str, tuple[int, int]]:
    """Create the own and the other organisation's object of every kind; returns kind → (own id, other id)."""
    from opentto.evaluation.models import Rubric
    from opentto.evaluation.services import review_assign, round_open
    from opentto.planning.services import deal_room_create, deal_room_invite, plan_create
    from opentto.results.services import IPAssetInput, result_onboard
    from opentto.subsidies.models import Programme
    from opentto.subsidies.services import application_create, programme_create
    from tests.conftest import make_user, result_input
    from tests.factories import PersonFactory
    from tests.planning.conftest import to_planning

    manager = users["manager"]
    rival = Organisation.objects.create(name_zh="竞争企业", name_en="Rival Corp", kind="enterprise")
    rival_user = make_user(
        UserRoleChoices.ENTERPRISE,
        rival,
        username="rival_enterprise",
        email="rival.buyer.em3@rival.example",
    )
    rival_person = PersonFactory(name_zh="对手发明人", name_en="Rival Inventor")
    own = result_onboard(
        data=result_input(
            [university],
            [(researcher, "100")],
            title_zh="保密的芯片封装工艺",
            title_en="Confidential chip packaging process",
            ip_assets=[IPAssetInput(application_number="CN202310000001.5")],
            is_public=False,
            details_zh="机密参数X9",
            details_en="secret parameter X9",
        ),
        actor=manager,
    )
    other = result_onboard(
        data=result_input(
            [other_university],
            [(rival_person, "100")],
            title_zh="竞争对手电池RB2",
            title_en="Rival battery RB2",
            ip_assets=[IPAssetInput(application_number="CN202310000002.X")],
            is_public=False,
            details_zh="对手参数Y8",
            details_en="rival parameter Y8",
        ),
        actor=manager,
    )
    world: dict[str, tuple[int, int]] = {
        "result": (own.pk, other.pk),
        "public_result": (public_result.pk, public_result.pk),
        "organisation": (university.pk, other_university.pk),
        "person": (researcher.pk, rival_person.pk),
    }
    attachments = []
    for result, name in ((own, "secret-drawing.pdf"), (other, "rival-drawing.pdf")):
        a = Attachment(
            result=result,
            original_name=name,
            content_type="application/pdf",
            size=len(PDF),
            sha256="0" * 64,
            uploaded_by=manager,
        )
        a.file.save("x", ContentFile(PDF), save=False)
        a.save()
        attachments.append(a.pk)
    world["attachment"] = (attachments[0], attachments[1])
    rounds, plans, rooms, deals = [], [], [], []
    rubric = Rubric.objects.filter(is_active=True).order_by("key").first()
    for result, counterparty, title in (
        (own, enterprise_org, "Own deal QW1"),
        (other, rival, "Secret deal ZQ7"),
    ):
        to_planning(result, manager)
        rounds.append(
            round_open(
                result=result,
                rubric=rubric,
                purpose="transfer",
                deadline=timezone.localdate() + dt.timedelta(days=14),
                actor=manager,
            )
        )
        plans.append(
            plan_create(
                result=result, transfer_mode="licence", summary_en=f"plan of {title}", actor=manager
            ).pk
        )
        rooms.append(deal_room_create(result=result, title="Room " + title[-1], actor=manager))
        deal = Deal.objects.create(
            title=title,
            counterparty=counterparty,
            deal_type="assignment",
            amount_cny="7777777.00",
            created_by=manager,
        )
        deal.results.add(result)
        deals.append(deal.pk)
    assignment = review_assign(
        review_round=rounds[0], reviewer=users["reviewer"], actor=manager
    )  # invited, not yet declared
    deal_room_invite(room=rooms[0], user=users["investor"], actor=manager)
    world.update(
        {
            "round": (rounds[0].pk, rounds[1].pk),
            "plan": (plans[0], plans[1]),
            "room": (rooms[0].pk, rooms[1].pk),
            "deal": (deals[0], deals[1]),
            "assignment": (assignment.pk, MISSING),
        }
    )
    from opentto.demands.services import demand_create
    from tests.demands.conftest import demand_input

    demands = [
        demand_create(
            data=demand_input(org, is_public=False, title_zh=f"保密需求{key}", title_en=key),
            actor=user,
            publish=True,
        ).pk
        for org, user, key in (
            (enterprise_org, users["enterprise"], "Own demand DM1"),
            (rival, rival_user, "Rival demand DM2"),
        )
    ]
    world["demand"] = (demands[0], demands[1])
    _build_demand_work(
        world,
        users,
        rival_user,
        public_result,
        (university, researcher),
        (other_university, rival_person),
    )
    programme = Programme.objects.filter(is_active=True).first() or programme_create(
        code="T-1",
        kind="industrialisation",
        name_zh="测试计划",
        name_en="Test programme",
        legal_basis_zh="依据",
        legal_basis_en="basis",
        cap_per_project_cny=Decimal("1000000"),
        window_opens=timezone.localdate() - dt.timedelta(days=10),
        window_closes=timezone.localdate() + dt.timedelta(days=100),
        actor=manager,
    )
    applications = [
        application_create(
            programme=programme,
            applicant=org,
            project_title_zh=f"申请{key}",
            project_title_en=key,
            requested_cny=Decimal("100000"),
            actor=user,
        ).pk
        for org, user, key in (
            (enterprise_org, users["enterprise"], "Own application AP1"),
            (rival, rival_user, "Rival application AP2"),
        )
    ]
    world["application"] = (applications[0], applications[1])
    world["programme"] = (programme.pk, programme.pk)
    _build_planning(world, manager, enterprise_org, own, other)
    _build_plan_work(world, manager, enterprise_org)
    _build_access(world, users, rival_user, public_result, rubric, (university, researcher))
    _build_evidence(world, users, rounds, public_result, rubric)
    _build_registration_documents(world, manager)
    _build_holds(world, users, other_university, researcher, rival_person)
    _build_notifications(world, users, rival_user)
    _build_funded_applications(
        world,
        users,
        rival_user,
        (university, own),
        (other_university, other),
        (enterprise_org, rival),
    )
    _build_personal_data(manager, researcher, rival_person)
    _build_poc(world, manager, own, other)
    _build_rights(
        world, users, (university, researcher, own), (other_university, rival_person, other)
    )
    return world


def _build_demand_work(
    world: dict[str, tuple[int, int]],
    users: dict[str, Any],
    rival_user: Any,
    public_result: Any,
    own_team: tuple[Organisation, Any],
    other_team: tuple[Organisation, Any],
) -> None:
    """An enterprise's interest in the public result (the enterprise user's and Rival Corp's: a match each, no
    demand), a targeted R&D project with one milestone on each demand, and a payment on each deal."""
    from opentto.demands.models import Demand
    from opentto.demands.services import (
        MilestoneInput,
        ProjectInput,
        match_express_interest,
        project_create,
    )
    from opentto.landing.models import Payment
    from opentto.organisations.models import Membership

    matches = [
        match_express_interest(result=public_result, actor=user, message="").pk
        for user in (users["enterprise"], rival_user)
    ]
    today = timezone.localdate()
    projects = []
    for which, ((org, lead), user) in enumerate(
        ((own_team, users["enterprise"]), (other_team, rival_user))
    ):
        Membership.objects.get_or_create(person=lead, organisation=org)
        projects.append(
            project_create(
                demand=Demand.objects.get(pk=world["demand"][which]),
                actor=user,
                data=ProjectInput(
                    research_organisation=org,
                    lead=lead,
                    title_en=f"project {which}",
                    scope_en="scope",
                    budget_cny="100000.00",
                    starts_on=today,
                    ends_on=today + dt.timedelta(days=300),
                    milestones=[
                        MilestoneInput(
                            title_en="step",
                            due_on=today + dt.timedelta(days=90),
                            amount_cny="100000",
                        )
                    ],
                ),
            )
        )
    payments = [
        Payment.objects.create(
            deal_id=deal,
            received_on=today,
            amount_cny=Decimal("1000.00"),
            recorded_by=users["manager"],
        ).pk
        for deal in world["deal"]
    ]
    world.update(
        {
            "match": (matches[0], matches[1]),
            "project": (projects[0].pk, projects[1].pk),
            "milestone": (projects[0].milestones.get().pk, projects[1].milestones.get().pk),
            "payment": (payments[0], payments[1]),
        }
    )


def _build_planning(
    world: dict[str, tuple[int, int]],
    manager: Any,
    enterprise_org: Organisation,
    own: Any,
    other: Any,
) -> None:
    """Patent families, filings, valuations, pledge loans, overseas channels and a securitisation pool
    with one licence of each result (the pool itself is the TTO's: the same pool on both sides)."""
    from opentto.financing.services import (
        ValuationInput,
        pledge_loan_create,
        pool_asset_add,
        pool_create,
        valuation_create,
    )
    from opentto.organisations.models import OrganisationKindChoices
    from opentto.patents.services import FilingInput, family_create, filing_create
    from opentto.planning.services import channel_create

    bank = Organisation.objects.create(
        name_zh="矩阵银行", name_en="Matrix Bank", kind=OrganisationKindChoices.BANK
    )
    pool = pool_create(name_en="Pool PL9", actor=manager)
    made: dict[str, list[int]] = {
        k: []
        for k in ("family", "filing", "deadline", "valuation", "pledge", "channel", "pool_asset")
    }
    for result, key, number in ((own, "Own", "CN2024100001"), (other, "Rival", "CN2024100002")):
        family = family_create(
            result=result,
            kind="invention",
            title_en=f"family {key}",
            target_offices=["CN"],
            actor=manager,
        )
        filing = filing_create(
            family=family,
            data=FilingInput(
                office="CN",
                route="first",
                application_number=number,
                filing_date=dt.date(2024, 1, 31),
            ),
            actor=manager,
        )
        valuation = valuation_create(
            result=result,
            data=ValuationInput(
                valuation_date=timezone.localdate(),
                revenues=["1000000", "2000000"],
                royalty_rate="0.05",
                tax_rate="0.25",
                discount_rate="0.10",
                purpose=f"{key} valuation VP{1 if key == 'Own' else 2}",
            ),
            actor=manager,
        )
        loan = pledge_loan_create(
            result=result,
            lender=bank,
            valuation=valuation,
            ip_assets=list(result.ip_assets.all()),
            amount_cny="10000",
            term_months=12,
            annual_rate="0.035",
            actor=manager,
        )
        channel = channel_create(
            result=result,
            country="Germany",
            partner=f"{key} partner CH{1 if key == 'Own' else 2}",
            filings=[filing],
            actor=manager,
        )
        asset = pool_asset_add(
            pool=pool,
            result=result,
            licensee=enterprise_org,
            cash_flows=[("2027-Q1", "300")],
            actor=manager,
        )
        for kind, pk in (
            ("family", family.pk),
            ("filing", filing.pk),
            ("deadline", filing.deadlines.order_by("due", "pk")[0].pk),
            ("valuation", valuation.pk),
            ("pledge", loan.pk),
            ("channel", channel.pk),
            ("pool_asset", asset.pk),
        ):
            made[kind].append(pk)
    world.update({kind: (pks[0], pks[1]) for kind, pks in made.items()})
    world["pool"] = (pool.pk, pool.pk)


def _build_plan_work(
    world: dict[str, tuple[int, int]], manager: Any, enterprise_org: Organisation
) -> None:
    """On each plan a licence option and a target enterprise; on each result a service task (the TTO's)."""
    from opentto.planning.models import TransferPlan
    from opentto.planning.services import plan_option_add, plan_target_add, task_create
    from opentto.results.models import Result

    terms = {
        "licence_type": "exclusive",
        "field_of_use": "robots",
        "territory": "Mainland China",
        "term_years": "10",
        "upfront_fee_cny": "2000000",
        "royalty_rate": "0.05",
        "minimum_annual_royalty_cny": "300000",
        "milestones": [],
    }
    made: dict[str, list[int]] = {"option": [], "target": [], "task": []}
    for which in (0, 1):
        plan = TransferPlan.objects.get(pk=world["plan"][which])
        made["option"].append(
            plan_option_add(plan=plan, mode="licence", terms=terms, actor=manager).pk
        )
        made["target"].append(
            plan_target_add(
                plan=plan, organisation=enterprise_org, rationale="fits", actor=manager
            ).pk
        )
        made["task"].append(
            task_create(
                result=Result.objects.get(pk=world["result"][which]),
                title="Call the bank",
                kind="financing",
                owner=manager,
                due_on=timezone.localdate() + dt.timedelta(days=7),
                actor=manager,
            ).pk
        )
    world.update({kind: (pks[0], pks[1]) for kind, pks in made.items()})


def _build_access(
    world: dict[str, tuple[int, int]],
    users: dict[str, Any],
    rival_user: Any,
    public_result: Any,
    rubric: Any,
    own_team: tuple[Organisation, Any],
) -> None:
    """A pending access request with an uploaded signed NDA of the enterprise user and one of Rival
    Corp's user, both on the public result (a request needs a visible result); a live access grant
    of each on a second public result of University A (its confidential details: "Shared details
    SD3", read by those two under the NDA); the active rubric (global: the same on both sides)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from opentto.access.services import access_request_approve, access_request_create
    from opentto.results.services import result_onboard
    from tests.conftest import result_input

    requests = [
        access_request_create(
            result=public_result,
            purpose=f"due diligence {who}",
            nda_kind="signed_upload",
            actor=user,
            nda_file=SimpleUploadedFile(name, PDF, content_type="application/pdf"),
        ).pk
        for who, user, name in (
            ("own", users["enterprise"], "own-nda-ND1.pdf"),
            ("rival", rival_user, "rival-nda-ND2.pdf"),
        )
    ]
    world["access_request"] = (requests[0], requests[1])
    shared = result_onboard(
        data=result_input(
            [own_team[0]],
            [(own_team[1], "100")],
            title_zh="开放传感平台",
            title_en="Open sensor platform",
            ip_assets=[],
            is_public=True,
            details_zh="共享细节SD3",
            details_en="Shared details SD3",
        ),
        actor=users["manager"],
    )
    grants = []
    for user in (users["enterprise"], rival_user):
        item = access_request_create(
            result=shared,
            purpose="licence talks",
            nda_kind="click_through",
            accept_nda=True,
            actor=user,
        )
        grants.append(
            access_request_approve(
                access_request=item,
                expires_on=timezone.localdate() + dt.timedelta(days=30),
                actor=users["manager"],
            ).pk
        )
    world["access_grant"] = (grants[0], grants[1])
    world["shared_result"] = (shared.pk, shared.pk)
    world["rubric"] = (rubric.pk, rubric.pk)
    world["ipasset"] = tuple(
        IPAsset.objects.filter(result_id=world["result"][k]).values_list("pk", flat=True).get()
        for k in (0, 1)
    )  # type: ignore[assignment]


def _build_registration_documents(world: dict[str, tuple[int, int]], manager: Any) -> None:
    """A technology-contract registration with one document on each deal (own: "own-registration-RG1.pdf")."""
    from opentto.landing.models import ContractRegistration, ContractRegistrationDocument

    documents = []
    for deal, name in zip(
        world["deal"], ("own-registration-RG1.pdf", "rival-registration-RG2.pdf"), strict=True
    ):
        registration = ContractRegistration.objects.create(
            deal_id=deal, status="applied", office="Office", updated_by=manager
        )
        document = ContractRegistrationDocument(
            registration=registration,
            original_name=name,
            content_type="application/pdf",
            size=len(PDF),
            sha256="0" * 64,
            uploaded_by=manager,
        )
        document.file.save("x", ContentFile(PDF), save=False)
        document.save()
        documents.append(document.pk)
    world["registration_document"] = (documents[0], documents[1])


def _build_evidence(
    world: dict[str, tuple[int, int]],
    users: dict[str, Any],
    rounds: list[Any],
    public_result: Any,
    rubric: Any,
) -> None:
    """Score evidence uploaded by a reviewer who declared no conflict: own = the matrix reviewer's,
    in a pre-filing round of the public result (so their invitation to the own result's round stays
    undeclared, and its details closed to them); other = a rival reviewer's, in the other result's
    round (that reviewer's assignment is the world's other assignment)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from opentto.evaluation.services import (
        review_add_evidence,
        review_assign,
        review_declare,
        round_open,
    )
    from tests.conftest import make_user

    manager = users["manager"]
    rival_reviewer = make_user(UserRoleChoices.REVIEWER, username="rival_reviewer")
    pre_filing = round_open(
        result=public_result,
        rubric=rubric,
        purpose="pre_filing",
        deadline=timezone.localdate() + dt.timedelta(days=14),
        actor=manager,
    )
    evidence = []
    assignments = []
    for review_round, reviewer, name in (
        (pre_filing, users["reviewer"], "own-evidence-EV1.pdf"),
        (rounds[1], rival_reviewer, "rival-evidence-EV2.pdf"),
    ):
        assignment = review_assign(review_round=review_round, reviewer=reviewer, actor=manager)
        assignment = review_declare(assignment=assignment, has_conflict=False, actor=reviewer)
        criterion = assignment.scores.order_by("pk").first().criterion.key
        evidence.append(
            review_add_evidence(
                assignment=assignment,
                criterion_key=criterion,
                actor=reviewer,
                upload=SimpleUploadedFile(name, PDF, content_type="application/pdf"),
            ).pk
        )
        assignments.append(assignment.pk)
    world["evidence"] = (evidence[0], evidence[1])
    world["assignment"] = (world["assignment"][0], assignments[1])


def _build_holds(
    world: dict[str, tuple[int, int]],
    users: dict[str, Any],
    other_university: Organisation,
    researcher: Any,
    rival_person: Any,
) -> None:
    """Clash holds: own = the inventor onboards a result of University A with the application
    number of the other result (hidden from them), other = a University B inventor onboards one
    with the own result's number. Each is stored as if nothing clashed and held for the TTO."""
    from opentto.clashes.models import ClashHold
    from opentto.results.services import IPAssetInput, result_onboard
    from tests.conftest import make_user, result_input

    rival_inventor = make_user(
        UserRoleChoices.INVENTOR, other_university, username="rival_inventor"
    )
    holds, held_results = [], []
    for owner, person, actor, title, number in (
        (
            users["inventor"].organisation,
            researcher,
            users["inventor"],
            "Own held result HR1",
            "CN202310000002.X",
        ),
        (
            other_university,
            rival_person,
            rival_inventor,
            "Rival held result HR2",
            "CN202310000001.5",
        ),
    ):
        held = result_onboard(
            data=result_input(
                [owner],
                [(person, "100")],
                title_zh=f"暂挂成果{title[-3:]}",
                title_en=title,
                is_public=False,
                ip_assets=[IPAssetInput(application_number=number)],
            ),
            actor=actor,
        )
        holds.append(ClashHold.objects.get(held_type="results.result", held_id=held.pk).pk)
        held_results.append(held.pk)
    world["hold"] = (holds[0], holds[1])
    world["held_result"] = (held_results[0], held_results[1])


def _build_notifications(
    world: dict[str, tuple[int, int]], users: dict[str, Any], rival_user: Any
) -> None:
    """A notification is its recipient's alone (no grant reads anyone else's, not even the TTO's):
    own = the inventor's notification about their organisation's result, other = Rival Corp's
    user's notification about its demand (no role of the matrix may read it)."""
    from opentto.notifications.services import notification_send

    made = []
    for user, kind, text, url in (
        (
            users["inventor"],
            "evaluation.finalised",
            "Own notification NT1",
            f"/en/results/{world['result'][0]}/",
        ),
        (
            rival_user,
            "demand.match",
            "Rival notification NT2",
            f"/en/demands/{world['demand'][1]}/",
        ),
    ):
        made.append(
            notification_send(
                recipients=[user],
                kind=kind,
                title_zh=text,
                title_en=text,
                body_zh=text,
                body_en=text,
                url=url,
                email=False,
            )[0].pk
        )
    world["notification"] = (made[0], made[1])


def _build_funded_applications(
    world: dict[str, tuple[int, int]],
    users: dict[str, Any],
    rival_user: Any,
    own_side: tuple[Organisation, Any],
    other_side: tuple[Organisation, Any],
    applicants: tuple[Organisation, Organisation],
) -> None:
    """An approved application of each side (the enterprise's with University A on the own result,
    Rival Corp's with University B on the other result), driven through the services: submitted by
    the applicant, sent to review, override and recognition, approval by the official; one tranche
    planned on each (its milestone text is the secret)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from opentto.subsidies.services import (
        BudgetLineInput,
        application_approve,
        application_create,
        application_recognise,
        application_review_override,
        application_start_review,
        application_submit,
        programme_create,
        tranche_add,
    )

    official = users["official"]
    today = timezone.localdate()
    programme = programme_create(
        code="MX-2",
        kind="industrialisation",
        name_zh="矩阵计划",
        name_en="Matrix programme",
        legal_basis_zh="依据",
        legal_basis_en="basis",
        cap_per_project_cny=Decimal("1000000"),
        window_opens=today - dt.timedelta(days=10),
        window_closes=today + dt.timedelta(days=100),
        budgets=[(today.year, "5000000")],
        actor=users["manager"],
    )
    made: dict[str, list[int]] = {"approved_application": [], "tranche": []}
    for (partner, result), applicant, user, key in (
        (own_side, applicants[0], users["enterprise"], "Own"),
        (other_side, applicants[1], rival_user, "Rival"),
    ):
        number = "AP3" if key == "Own" else "AP4"
        application = application_create(
            programme=programme,
            applicant=applicant,
            partners=[partner],
            results=[result],
            project_title_zh=f"申请{number}",
            project_title_en=f"{key} approved application {number}",
            requested_cny=Decimal("100000"),
            actor=user,
            year=today.year,
            budget_lines=[
                BudgetLineInput(
                    "equipment",
                    "Pilot line",
                    "200000",
                    SimpleUploadedFile("quote.pdf", PDF, content_type="application/pdf"),
                )
            ],
        )
        application_submit(application=application, actor=user)
        application_start_review(application=application, actor=official)
        application_review_override(
            application=application, reason="no panel needed", actor=official
        )
        application_recognise(
            application=application, recognition_number=f"MX-{number}", actor=official
        )
        application = application_approve(
            application=application, amount_cny="100000", actor=official
        )
        tranche = tranche_add(
            application=application,
            milestone=f"{key} milestone TM{1 if key == 'Own' else 2}",
            amount_cny="50000",
            actor=official,
        )
        made["approved_application"].append(application.pk)
        made["tranche"].append(tranche.pk)
    world.update({kind: (pks[0], pks[1]) for kind, pks in made.items()})


def _build_personal_data(manager: Any, researcher: Any, rival_person: Any) -> None:
    """People's personal data: an e-mail address (``view_email``: the TTO), and, on their recorded
    consent, an ID number and bank details (``view_private_data``: the TTO; the person themselves
    in the copy of their data). Own = the inventor's person, other = the rival inventor. (Rival
    Corp's user has an e-mail address on their account too.)"""
    from opentto.access.privacy import person_record_consent, person_set_private_data
    from opentto.organisations.models import Person

    for person, email, id_number, bank, account in (
        (
            researcher,
            "li.ming.em1@univ-a.example",
            "110108198506143016",
            "Own bank BK1",
            "6222600260001072441",
        ),
        (
            rival_person,
            "rival.inventor.em2@univ-b.example",
            "440305199001017711",
            "Rival bank BK2",
            "6217000010009988776",
        ),
    ):
        Person.objects.filter(pk=person.pk).update(
            email=email
        )  # (no service edits a person's e-mail address)
        person_record_consent(person=person, actor=manager)
        person_set_private_data(
            person=person,
            id_number=id_number,
            bank_name=bank,
            bank_account=account,
            retain_until=None,
            actor=manager,
        )


def _build_poc(world: dict[str, tuple[int, int]], manager: Any, own: Any, other: Any) -> None:
    """A proof-of-concept project on each result (both in planning), running, with the district
    programme's money committed and a milestone done with its evidence file (the title and the
    file name are the secrets)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from opentto.poc import services as poc

    today = timezone.localdate()
    programme = poc.programme_create(
        name_zh="矩阵概念验证计划",
        name_en="Matrix PoC programme",
        funder="District",
        source_zh="办法",
        cap_per_project_cny="500000",
        active_from=today - dt.timedelta(days=1),
        actor=None,
    )
    made: dict[str, list[int]] = {"poc_project": [], "poc_milestone": [], "poc_evidence": []}
    for result, key, code in ((own, "Own", "1"), (other, "Rival", "2")):
        project = poc.project_create(result=result, title_en=f"{key} PoC PC{code}", actor=manager)
        poc.budget_commit(
            project=project,
            source="district_programme",
            programme=programme,
            amount_cny="100000",
            actor=manager,
        )
        milestone = poc.milestone_add(
            project=project, title_en="Prototype", due_on=today, actor=manager
        )
        poc.project_start(project=project, actor=manager)
        milestone = poc.milestone_complete(
            milestone=milestone,
            done_on=today,
            note="shown",
            actor=manager,
            evidence=[
                SimpleUploadedFile(
                    f"{key.lower()}-poc-PE{code}.pdf", PDF, content_type="application/pdf"
                )
            ],
        )
        made["poc_project"].append(project.pk)
        made["poc_milestone"].append(milestone.pk)
        made["poc_evidence"].append(milestone.evidence.get().pk)
    world.update({kind: (pks[0], pks[1]) for kind, pks in made.items()})


def _build_rights(
    world: dict[str, tuple[int, int]],
    users: dict[str, Any],
    own_team: tuple[Organisation, Any, Any],
    other_team: tuple[Organisation, Any, Any],
) -> None:
    """Each university a pilot institution; on each confidential result an ownership application (赋权) of its
    inventor, granted, noticed (the notice over) and with its signed agreement recorded (not yet in effect)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from opentto.rights.services import (
        TeamMemberInput,
        pilot_create,
        rights_application_agreement_record,
        rights_application_create,
        rights_application_grant,
        rights_application_notice_start,
        rights_application_submit,
    )

    manager = users["manager"]
    today = timezone.localdate()
    made = []
    for (org, person, result), key in (
        (own_team, "Own rights statement RS1"),
        (other_team, "Rival rights statement RS2"),
    ):
        pilot = pilot_create(
            organisation=org,
            programme="national",
            programme_name="赋权试点",
            legal_basis="试点实施方案",
            citation="国科发区〔2020〕128号",
            starts_on=today - dt.timedelta(days=200),
            ends_on=today + dt.timedelta(days=200),
            actor=manager,
        )
        application = rights_application_create(
            result=result,
            pilot=pilot,
            requested_kind="ownership",
            requested_share="60",
            team=[TeamMemberInput(person, "100")],
            statement=key,
            actor=manager,
        )
        rights_application_submit(application=application, actor=manager)
        rights_application_grant(
            application=application,
            decided_on=today - dt.timedelta(days=40),
            kind="ownership",
            share="60",
            actor=manager,
        )
        rights_application_notice_start(
            application=application,
            starts_on=today - dt.timedelta(days=39),
            ends_on=today - dt.timedelta(days=20),
            text_zh="公示",
            actor=manager,
        )
        name = "own-fuquan-FQ1.pdf" if key.startswith("Own") else "rival-fuquan-FQ2.pdf"
        rights_application_agreement_record(
            application=application,
            signed_on=today - dt.timedelta(days=10),
            document=SimpleUploadedFile(name, PDF, content_type="application/pdf"),
            actor=manager,
        )
        made.append(application.pk)
    world["rights_application"] = (made[0], made[1])
