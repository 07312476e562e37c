"""Demo planning data for the two results of the story (the mitral-valve clip and the robot-arm
control), made through the services: IP layouts with filings and derived deadlines (past ones
marked done, some coming up), valuations, a pledge loan, a securitisation pool, a deal room,
overseas channels, tasks and a service log. The story's figures are untouched (no deal, no stage
change)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from opentto.financing import services as finsvc
from opentto.patents import deadlines as engine
from opentto.patents import services as psvc
from opentto.patents.models import DeadlineStatusChoices, FilingDeadline, FilingRouteChoices
from opentto.results.models import IPAsset, Result

from . import services as svc


def _asset(result: Result, *, jurisdiction: str, kind: str) -> IPAsset | None:
    return (
        result.ip_assets.filter(jurisdiction=jurisdiction, ip_kind=kind)
        .order_by("filing_date", "id")
        .first()
    )


def _close_past_deadlines(result: Result, today: date, manager: Any) -> None:
    """What was due before today was done in time (the fees paid, the requests made)."""
    for deadline in FilingDeadline.objects.filter(
        filing__family__result=result, status=DeadlineStatusChoices.OPEN, due__lt=today
    ).exclude(key="term_end"):
        psvc.deadline_mark_done(
            deadline=deadline, done_on=deadline.due - timedelta(days=10), actor=manager
        )


def _reduce_fees(filing: Any, result: Result, manager: Any) -> None:
    """The fee reduction of a CN filing (财税〔2016〕78号): a public hospital or university alone
    gets 85%; the robot arm's two owning institutes together 70% (every one qualifies)."""
    grounds = {
        org.pk: "public_institution"
        if org.kind in ("university", "hospital")
        else "non_profit_research"
        for org in result.owners.all()
    }
    psvc.filing_fee_reduction_record(
        filing=filing,
        reduction=psvc.fee_reduction_allowed(list(grounds.values())),
        grounds=grounds,
        actor=manager,
    )


def _mitral(context: Any, result: Result, today: date) -> None:
    manager = context.users["manager"]
    orgs = context.organisations
    inv = _asset(result, jurisdiction="CN", kind="invention")
    util = _asset(result, jurisdiction="CN", kind="utility")
    pct = _asset(result, jurisdiction="WO", kind="pct")
    us = _asset(result, jurisdiction="US", kind="invention")
    ep = _asset(result, jurisdiction="EP", kind="invention")
    family = psvc.family_create(
        result=result,
        kind="invention",
        title_zh=result.title_zh,
        title_en=result.title_en,
        target_offices=["CN", "EP", "US"],
        manager=manager,
        actor=manager,
    )
    cn = psvc.filing_create(
        family=family,
        data=psvc.FilingInput(
            office="CN",
            route=FilingRouteChoices.FIRST,
            application_number=inv.application_number if inv else "",
            filing_date=inv.filing_date if inv else date(2019, 3, 18),
            grant_date=inv.grant_date if inv else None,
            ip_asset=inv,
        ),
        actor=manager,
    )
    _reduce_fees(cn, result, manager)
    wo = psvc.filing_create(
        family=family,
        data=psvc.FilingInput(
            office="WO",
            route=FilingRouteChoices.PCT,
            receiving_office="CN",
            application_number=pct.application_number if pct else "",
            filing_date=pct.filing_date if pct else date(2020, 3, 12),
            priority_date=cn.filing_date,
            ip_asset=pct,
        ),
        actor=manager,
    )
    psvc.confidentiality_record(
        family=family,
        requested_on=wo.filing_date or today,
        outcome="cleared",
        decided_on=(wo.filing_date or today) + timedelta(days=12),
        reference="PCT/RO/CN",
        actor=manager,
    )
    for office, asset in (("US", us), ("EP", ep)):
        if asset is None or asset.filing_date is None:
            continue
        psvc.filing_create(
            family=family,
            data=psvc.FilingInput(
                office=office,
                route=FilingRouteChoices.NATIONAL_PHASE,
                parent=wo,
                application_number=asset.application_number,
                filing_date=asset.filing_date,
                grant_date=asset.grant_date,
                ip_asset=asset,
            ),
            actor=manager,
        )
    utility = psvc.family_create(
        result=result,
        kind="utility",
        title_zh="经心尖二尖瓣夹合器的输送装置",
        title_en="Delivery device for a transapical mitral-valve clip",
        target_offices=["CN"],
        manager=manager,
        actor=manager,
    )
    if util is not None and util.filing_date:
        utility_cn = psvc.filing_create(
            family=utility,
            data=psvc.FilingInput(
                office="CN",
                route=FilingRouteChoices.FIRST,
                application_number=util.application_number,
                filing_date=util.filing_date,
                grant_date=util.grant_date,
                ip_asset=util,
            ),
            actor=manager,
        )
        _reduce_fees(utility_cn, result, manager)
    # An improvement filed eleven months ago: its priority year ends next month, so the decision
    # on filing abroad is due — the layout proposes a PCT application.
    improvement = psvc.family_create(
        result=result,
        kind="invention",
        title_zh="可调夹持力的二尖瓣夹合器改进结构",
        title_en="Improved mitral-valve clip with adjustable clamping force",
        target_offices=["CN", "EP", "US", "JP"],
        manager=manager,
        actor=manager,
    )
    filed = engine.add_months(today, -11)
    psvc.filing_create(
        family=improvement,
        data=psvc.FilingInput(office="CN", route=FilingRouteChoices.FIRST, filing_date=filed),
        actor=manager,
    )
    psvc.confidentiality_record(
        family=improvement,
        requested_on=filed + timedelta(days=20),
        outcome="requested",
        actor=manager,
    )
    _close_past_deadlines(result, today, manager)

    # Plan: the approved licence plan of the story gets its target and negotiation log.
    plan = result.plans.filter(status="approved").first()
    if plan is not None and "meddev" in orgs:
        svc.plan_target_add(
            plan=plan,
            organisation=orgs["meddev"],
            rationale="国内结构性心脏病介入器械企业，具备注册与生产能力。 A structural-heart device maker with registration and manufacturing capacity.",
            actor=manager,
        )
        svc.negotiation_record(
            plan=plan,
            organisation=orgs["meddev"],
            occurred_on=date(2023, 1, 12),
            summary="首轮会谈：独占许可，入门费加销售提成；对方希望以注册证为里程碑。 First meeting: exclusive licence, upfront fee plus royalties; they want the registration certificate as a milestone.",
            next_step="条款清单 Term sheet",
            actor=manager,
        )
        svc.negotiation_record(
            plan=plan,
            organisation=orgs["meddev"],
            occurred_on=date(2023, 2, 8),
            summary="条款清单基本达成：提成率5%，最低年提成费。 Term sheet largely agreed: 5% royalty with minimum annual royalties.",
            next_step="起草合同 Contract drafting",
            actor=manager,
        )

    # Financing: a valuation and a registered pledge loan with the bank.
    deals = list(
        finsvc.comparable_deals(manager, result).filter(deal_type__startswith="licence")[:5]
    ) or list(finsvc.comparable_deals(manager, result)[:5])
    valuation = finsvc.valuation_create(
        result=result,
        data=finsvc.ValuationInput(
            valuation_date=today - timedelta(days=40),
            purpose="质押融资 IP pledge loan",
            revenues=[
                "30000000",
                "60000000",
                "90000000",
                "120000000",
                "140000000",
                "150000000",
                "150000000",
                "140000000",
            ],
            royalty_rate="0.05",
            tax_rate="0.25",
            discount_rate="0.14",
            decay="0.02",
            reproduction_costs=["18000000", "6500000"],
            obsolescence_rates=["0.15"],
            comparable_deal_ids=[d.pk for d in deals],
            market_scale="1",
            concluded_method="relief_from_royalty",
            assumptions_zh="销售收入按获批上市后第1年起预测；提成率参照心血管介入器械许可惯例；折现率含产品注册风险溢价。",
            assumptions_en="Revenues are forecast from the first year after market approval; the royalty rate follows licences of cardiovascular devices; the discount rate includes a premium for the registration risk.",
        ),
        actor=manager,
    )
    if "bank" in orgs and inv is not None and util is not None:
        amount = (valuation.concluded_value_cny * 4 / 10).quantize(1) // 100000 * 100000
        loan = finsvc.pledge_loan_create(
            result=result,
            lender=orgs["bank"],
            valuation=valuation,
            ip_assets=[inv, util],
            amount_cny=amount,
            term_months=24,
            annual_rate="0.0345",
            max_ltv="0.5",
            actor=manager,
        )
        finsvc.pledge_loan_register(
            loan=loan,
            registration_number="Y2026310000187",
            registration_date=today - timedelta(days=25),
            actor=manager,
        )
    svc.channel_create(
        result=result,
        country="EU (CE marking)",
        partner="欧洲心血管器械经销商（洽谈中） European cardiovascular distributor (in talks)",
        filings=list(family.filings.filter(office="EP")),
        status="in_talks",
        notes="MDR 认证路径与临床评价报告准备中。 Preparing the MDR route and the clinical evaluation report.",
        actor=manager,
    )
    svc.channel_create(
        result=result,
        country="United States",
        partner="",
        filings=list(family.filings.filter(office="US")),
        status="exploring",
        notes="FDA 510(k)/PMA 路径评估。 Assessing the FDA route.",
        actor=manager,
    )
    svc.task_create(
        result=result,
        title="决定改进结构的PCT申请 / Decide the PCT filing for the improvement",
        kind="ip_layout",
        owner=manager,
        due_on=engine.add_months(filed, 12) - timedelta(days=14),
        actor=manager,
    )
    svc.task_create(
        result=result,
        title="准备CE认证资料清单 / CE-marking document checklist",
        kind="overseas",
        owner=manager,
        due_on=today + timedelta(days=30),
        actor=manager,
    )
    for days_ago, kind, hours, notes in (
        (
            400,
            "ip_layout",
            "6",
            "梳理中美欧专利布局与年费计划。 Reviewed the CN/US/EP layout and the fee plan.",
        ),
        (
            380,
            "transfer_mode",
            "8",
            "设计独占许可加里程碑方案。 Designed the exclusive licence with milestones.",
        ),
        (
            60,
            "financing",
            "5",
            "与浦江银行对接质押融资材料。 Prepared the pledge-loan file with Pujiang Bank.",
        ),
        (
            20,
            "overseas",
            "3.5",
            "与欧洲经销商首次视频会议。 First video call with the European distributor.",
        ),
    ):
        svc.service_log_record(
            result=result,
            kind=kind,
            hours=hours,
            notes=notes,
            occurred_on=today - timedelta(days=days_ago),
            actor=manager,
        )


def _robot(context: Any, result: Result, today: date) -> None:
    manager = context.users["manager"]
    orgs = context.organisations
    inv = _asset(result, jurisdiction="CN", kind="invention")
    pct = _asset(result, jurisdiction="WO", kind="pct")
    family = psvc.family_create(
        result=result,
        kind="invention",
        title_zh=result.title_zh,
        title_en=result.title_en,
        target_offices=["CN", "US", "EP", "JP"],
        manager=manager,
        actor=manager,
    )
    cn = psvc.filing_create(
        family=family,
        data=psvc.FilingInput(
            office="CN",
            route=FilingRouteChoices.FIRST,
            application_number=inv.application_number if inv else "",
            filing_date=inv.filing_date if inv else date(2025, 4, 22),
            ip_asset=inv,
        ),
        actor=manager,
    )
    _reduce_fees(cn, result, manager)
    if pct is not None and pct.filing_date and pct.filing_date <= today:
        psvc.filing_create(
            family=family,
            data=psvc.FilingInput(
                office="WO",
                route=FilingRouteChoices.PCT,
                receiving_office="CN",
                application_number=pct.application_number,
                filing_date=pct.filing_date,
                priority_date=cn.filing_date,
                ip_asset=pct,
            ),
            actor=manager,
        )
        psvc.layout_propose_filings(family=family, actor=manager)
    _close_past_deadlines(result, today, manager)

    # A full draft plan, submitted for the manager's approval: until it is approved the result
    # cannot move to landing.
    plan = svc.plan_create(
        result=result,
        transfer_mode="licence",
        summary_zh="以普通许可向灵动机器人转化调度算法，同时保留设立初创公司的选项；PCT进入美欧日。",
        summary_en="License the scheduling algorithm to Lingdong Robotics non-exclusively, keeping the option of a spin-off; enter the US, Europe and Japan through the PCT.",
        actor=manager,
    )
    svc.plan_option_add(
        plan=plan,
        mode="licence",
        terms={
            "licence_type": "non_exclusive",
            "field_of_use": "工业机器人统筹调度 Scheduling of industrial robots",
            "territory": "中国大陆 Mainland China",
            "term_years": 5,
            "upfront_fee_cny": "1500000",
            "royalty_rate": "0.03",
            "minimum_annual_royalty_cny": "300000",
            "milestones": [
                {"event": "首个产线部署 First production-line deployment", "amount_cny": "500000"}
            ],
        },
        actor=manager,
    )
    svc.plan_option_add(
        plan=plan,
        mode="spin_off",
        terms={
            "company_name": "上海灵枢智能科技有限公司（拟） Shanghai Lingshu Intelligence (planned)",
            "founders": "韩一舟团队 Han Yizhou's team",
            "registered_capital_cny": "10000000",
            "formation_plan": "发明人团队持股，学校以成果作价入股，徐汇科创基金领投天使轮。 The inventors hold shares, the university contributes the result as equity, Xuhui Sci-Tech Fund leads the angel round.",
        },
        actor=manager,
    )
    if "robotics" in orgs:
        svc.plan_target_add(
            plan=plan,
            organisation=orgs["robotics"],
            rationale="已提出定向转化意向。 Has expressed interest in a targeted transfer.",
            actor=manager,
        )
        svc.negotiation_record(
            plan=plan,
            organisation=orgs["robotics"],
            occurred_on=today - timedelta(days=18),
            summary="技术演示与许可范围讨论。 Technical demonstration; discussed the licence scope.",
            next_step="发送许可条款草稿 Send the draft licence terms",
            actor=manager,
        )
    if "investor" in orgs:
        svc.plan_target_add(
            plan=plan,
            organisation=orgs["investor"],
            rationale="初创公司天使轮。 Angel round of the spin-off.",
            actor=manager,
        )
    svc.plan_submit(plan=plan, actor=manager)

    finsvc.valuation_create(
        result=result,
        data=finsvc.ValuationInput(
            valuation_date=today - timedelta(days=10),
            purpose="许可谈判 Licence negotiation",
            revenues=["8000000", "20000000", "35000000", "50000000", "60000000"],
            royalty_rate="0.03",
            tax_rate="0.25",
            discount_rate="0.18",
            reproduction_costs=["4200000"],
            obsolescence_rates=["0.1"],
            concluded_method="relief_from_royalty",
            assumptions_zh="按灵动机器人调度系统销售收入的归属部分预测。",
            assumptions_en="Forecast on the part of Lingdong's scheduling-system sales attributable to the result.",
        ),
        actor=manager,
    )
    investor = context.users.get("investor")
    room = svc.deal_room_create(
        result=result,
        title="机械臂控制算法 · 天使轮资料室 / Robot-arm control · angel-round room",
        attachments=list(result.attachments.all()[:2]),
        actor=manager,
    )
    if investor is not None:
        svc.deal_room_invite(room=room, user=investor, actor=manager)
    svc.channel_create(
        result=result,
        country="Japan",
        partner="",
        filings=list(family.filings.filter(office="JP")),
        status="exploring",
        notes="日本工业机器人集成商渠道调研。 Surveying Japanese robot integrators.",
        actor=manager,
    )
    svc.task_create(
        result=result,
        title="审批转化方案 / Approve the transfer plan",
        kind="transfer_mode",
        owner=manager,
        due_on=today + timedelta(days=7),
        actor=manager,
    )
    svc.task_create(
        result=result,
        title="准备许可合同草案 / Draft the licence contract",
        kind="legal",
        owner=manager,
        due_on=today - timedelta(days=3),
        actor=manager,
    )
    for days_ago, kind, hours, notes in (
        (200, "ip_layout", "4", "评估PCT进入国家。 Assessed the PCT countries."),
        (
            90,
            "market_research",
            "6",
            "工业机器人调度市场调研。 Market research on robot scheduling.",
        ),
        (
            18,
            "transfer_mode",
            "3",
            "与灵动机器人讨论许可范围。 Discussed the licence scope with Lingdong.",
        ),
    ):
        svc.service_log_record(
            result=result,
            kind=kind,
            hours=hours,
            notes=notes,
            occurred_on=today - timedelta(days=days_ago),
            actor=manager,
        )


def load(context: Any) -> None:
    # the story's keys from the context (the demo app sits above this one)
    ROBOT_ARM_KEY, MITRAL_CLIP_KEY = context.ROBOT_ARM_KEY, context.MITRAL_CLIP_KEY
    today = timezone.localdate()
    if MITRAL_CLIP_KEY in context.results:
        _mitral(context, context.results[MITRAL_CLIP_KEY], today)
    if ROBOT_ARM_KEY in context.results:
        _robot(context, context.results[ROBOT_ARM_KEY], today)
    manager = context.users["manager"]
    mitral = context.results.get(MITRAL_CLIP_KEY)
    if mitral is not None and "meddev" in context.organisations:
        pool = finsvc.pool_create(
            name_zh="徐汇医疗器械知识产权证券化资产池（示例）",
            name_en="Xuhui medical-device IP securitisation pool (example)",
            arranger=context.organisations.get("investor"),
            actor=manager,
        )
        year = today.year + 1
        finsvc.pool_asset_add(
            pool=pool,
            result=mitral,
            licensee=context.organisations["meddev"],
            cash_flows=[
                (f"{year}-Q{q}", a)
                for q, a in ((1, "900000"), (2, "1100000"), (3, "1300000"), (4, "1500000"))
            ],
            actor=manager,
        )
        robot = context.results.get(ROBOT_ARM_KEY)
        if robot is not None and "robotics" in context.organisations:
            finsvc.pool_asset_add(
                pool=pool,
                result=robot,
                licensee=context.organisations["robotics"],
                cash_flows=[
                    (f"{year}-Q{q}", a)
                    for q, a in ((1, "200000"), (2, "250000"), (3, "300000"), (4, "350000"))
                ],
                actor=manager,
            )
