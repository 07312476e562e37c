"""Demo demands (需求) of the story's enterprises, a few matches at various states and one targeted
R&D project. Loaded by ``opentto load_demo`` through the services.

Indexing: while the demo loads, per-row indexing is suspended; once the load commits, the lexical
indexes are brought in step (about a second). The dense (embedding) indexes are filled by
``opentto reindex`` or the periodic ``demands.index_backfill`` (about 1–2 minutes for the demo on
2 cores); until then matching is lexical and the matches page says so.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from opentto.accounts.models import UserRoleChoices
from opentto.search import index
from opentto.search.enqueue import suspend_indexing

from .models import DemandStatusChoices, MatchStatusChoices
from .services import (
    DemandInput,
    MilestoneInput,
    ProjectInput,
    demand_create,
    demand_transition,
    feedback_record,
    match_contact,
    match_express_interest,
    match_transition,
    project_create,
)

# (key, enterprise key, field, cooperation, budget (min, max), public, status,
#  title_zh, title_en, problem_zh, problem_en)
DEMANDS: tuple[tuple[Any, ...], ...] = (
    (
        "d-arm",
        "robotics",
        "ai",
        ["licence", "co_development"],
        ("2000000", "8000000"),
        True,
        "negotiating",
        "协作机械臂多品种柔性装配的自适应控制算法",
        "Adaptive control for collaborative robot arms assembling many product variants",
        "我们的协作机械臂需要在小批量多品种的装配线上快速适应新工件，目前每换一种产品都要重新示教，耗时两到三天。希望引进能够进行多步决策、泛化到新任务的强化学习控制算法。",
        "Our collaborative arms must adapt quickly to new parts on high-mix, low-volume assembly lines; today every product change needs two to three days of re-teaching. We want a reinforcement-learning controller that makes multi-step decisions and generalises to new tasks.",
    ),
    (
        "d-fleet",
        "robotics",
        "ai",
        ["licence"],
        (None, "3000000"),
        True,
        "open",
        "",
        "Scheduling software for fleets of warehouse mobile robots",
        "",
        "We run 200+ mobile robots in customer warehouses. Path conflicts and idle time grow with fleet size. We look for a multi-robot scheduling and task-allocation method that scales, ideally learned from demonstrations.",
    ),
    (
        "d-grasp",
        "robotics",
        "ai",
        ["co_development", "commissioned_rd"],
        ("500000", "1500000"),
        False,
        "open",
        "服务机器人对柔性物体的抓取",
        "",
        "家庭服务机器人需要抓取衣物、食品包装等柔性、易变形物体，现有抓取成功率不足70%。寻求基于模仿学习或触觉感知的柔性抓取方法，可联合开发。",
        "",
    ),
    (
        "d-mitral",
        "meddev",
        "medical_devices",
        ["licence", "purchase"],
        ("10000000", "50000000"),
        True,
        "matched",
        "二尖瓣反流经导管介入治疗器械",
        "Transcatheter device for mitral regurgitation",
        "公司计划进入结构性心脏病介入领域，寻找已完成或接近完成临床试验的二尖瓣修复器械及其输送系统，可独占许可或购买专利。",
        "We plan to enter structural-heart intervention and seek a mitral repair device with its delivery system that has finished, or nearly finished, clinical trials; exclusive licence or purchase of the patents.",
    ),
    (
        "d-ecg",
        "meddev",
        "medical_devices",
        ["licence"],
        (None, None),
        True,
        "open",
        "",
        "AI screening of atrial fibrillation from wearable ECG",
        "",
        "A wearable ECG patch we sell needs an algorithm that screens atrial fibrillation with high sensitivity and can be registered as medical-device software.",
    ),
    (
        "d-edge-ai",
        "semi",
        "ic",
        ["licence", "co_development"],
        ("3000000", "10000000"),
        True,
        "open",
        "端侧AI推理芯片的低功耗架构",
        "Low-power architecture for edge AI inference chips",
        "下一代边缘AI芯片需要在1瓦以内完成视觉模型推理，寻求存算一体或RISC-V扩展指令集等低功耗架构方案及相关专利许可。",
        "Our next edge-AI chip must run vision models under one watt. We seek low-power architectures such as compute-in-memory or extended RISC-V instructions, with licences to the patents.",
    ),
    (
        "d-gan",
        "semi",
        "ic",
        ["purchase"],
        ("5000000", "20000000"),
        False,
        "draft",
        "氮化镓功率器件驱动电路",
        "",
        "寻找用于新能源汽车电驱的氮化镓功率器件及驱动电路设计，要求可靠性验证数据。",
        "",
    ),
    (
        "d-nsclc",
        "biopharma",
        "biomedicine",
        ["licence", "co_development"],
        ("20000000", "100000000"),
        True,
        "open",
        "非小细胞肺癌创新候选药物",
        "Innovative drug candidates for non-small-cell lung cancer",
        "公司聚焦肿瘤管线，希望引进处于临床前或临床早期的非小细胞肺癌候选药物，包括细胞治疗、靶向蛋白降解或双特异性抗体。",
        "We are building an oncology pipeline and want to in-license preclinical or early clinical candidates for non-small-cell lung cancer: cell therapy, targeted protein degradation or bispecific antibodies.",
    ),
    (
        "d-crc",
        "biopharma",
        "biomedicine",
        ["licence"],
        (None, "5000000"),
        True,
        "open",
        "",
        "Early screening test for colorectal cancer",
        "",
        "A non-invasive early screening test for colorectal cancer, e.g. liquid biopsy methylation markers, ready for clinical validation.",
    ),
    (
        "d-t2d",
        "biopharma",
        "biomedicine",
        ["commissioned_rd"],
        ("3000000", "6000000"),
        False,
        "open",
        "2型糖尿病长效治疗方案",
        "",
        "寻求2型糖尿病的长效治疗方案，可委托高校团队开展定向研发，包括mRNA递送或小分子化合物。",
        "",
    ),
    (
        "d-hydrogen",
        "newenergy",
        "green_energy",
        ["co_development"],
        ("5000000", "30000000"),
        True,
        "open",
        "园区绿氢制备与储能一体化",
        "Green hydrogen production integrated with storage for industrial parks",
        "为园区级示范项目寻找质子交换膜电解水制绿氢系统以及与储能联合调度的方案。",
        "For park-scale demonstrations we need PEM water-electrolysis systems for green hydrogen and a way to schedule them together with energy storage.",
    ),
    (
        "d-vpp",
        "newenergy",
        "green_energy",
        ["licence", "consulting"],
        (None, "2000000"),
        True,
        "open",
        "",
        "Virtual power plant software for integrated energy services",
        "",
        "Software that aggregates distributed storage, PV and flexible loads in a park into a virtual power plant and trades on the grid.",
    ),
    (
        "d-tim",
        "materials",
        "new_materials",
        ["licence", "co_development"],
        ("1000000", "5000000"),
        True,
        "open",
        "动力电池热管理材料",
        "Thermal-management materials for power batteries",
        "新能源汽车客户要求更薄、更高导热的电池包热管理材料，寻求石墨烯或气凝胶类复合材料及其制备工艺。",
        "EV customers ask for thinner battery-pack thermal materials with higher conductivity; we seek graphene or aerogel composites and their preparation process.",
    ),
    (
        "d-coating",
        "materials",
        "new_materials",
        ["purchase"],
        (None, None),
        False,
        "closed_not_met",
        "航空发动机热端部件耐高温涂层",
        "",
        "寻找可在1100℃以上长期服役的热障或功能涂层技术。",
        "",
    ),
    (
        "d-sic",
        "materials",
        "new_materials",
        ["licence"],
        ("2000000", "6000000"),
        True,
        "withdrawn",
        "",
        "Wear-resistant SiC ceramic-matrix composite parts",
        "",
        "Silicon-carbide ceramic-matrix composites for wear-resistant parts of high-end equipment.",
    ),
)

WALK = {
    DemandStatusChoices.DRAFT: [],
    DemandStatusChoices.OPEN: [DemandStatusChoices.OPEN],
    DemandStatusChoices.MATCHED: [DemandStatusChoices.OPEN],  # moved on by the match below
    DemandStatusChoices.NEGOTIATING: [DemandStatusChoices.OPEN],
    DemandStatusChoices.CLOSED_NOT_MET: [
        DemandStatusChoices.OPEN,
        DemandStatusChoices.CLOSED_NOT_MET,
    ],
    DemandStatusChoices.WITHDRAWN: [DemandStatusChoices.OPEN, DemandStatusChoices.WITHDRAWN],
}


def load(context: Any) -> None:
    ROBOT_ARM_KEY, MITRAL_CLIP_KEY = context.ROBOT_ARM_KEY, context.MITRAL_CLIP_KEY
    suspend_indexing(True)
    manager = context.users[UserRoleChoices.MANAGER]
    enterprise_user = context.users.get(UserRoleChoices.ENTERPRISE)
    orgs = context.organisations
    today = timezone.localdate()
    demands = {}
    for i, (
        key,
        org_key,
        field,
        coop,
        (low, high),
        public,
        status,
        tzh,
        ten,
        pzh,
        pen,
    ) in enumerate(DEMANDS):
        org = orgs[org_key]
        actor = (
            enterprise_user
            if enterprise_user is not None and enterprise_user.organisation_id == org.pk
            else manager
        )
        demand = demand_create(
            data=DemandInput(
                organisation=org,
                title_zh=tzh,
                title_en=ten,
                problem_zh=pzh,
                problem_en=pen,
                field=field,
                cooperation=coop,
                budget_min_cny=low,
                budget_max_cny=high,
                deadline=today + timedelta(days=60 + 15 * i),
                is_public=public,
            ),
            actor=actor,
        )
        for target in WALK[status]:
            reason = (
                "需求调整，暂不推进 / Requirements changed"
                if target == DemandStatusChoices.CLOSED_NOT_MET
                else ""
            )
            demand = demand_transition(demand=demand, target=target, actor=actor, reason=reason)
        demands[key] = demand

    results = context.results
    robot_arm, mitral = results[ROBOT_ARM_KEY], results[MITRAL_CLIP_KEY]
    # the robot-arm demand: contacted → NDA → negotiating (the demand follows into negotiation)
    m = match_contact(
        demand=demands["d-arm"],
        result=robot_arm,
        actor=manager,
        message="灵动机器人希望就许可与联合开发进行洽谈。/ Lingdong wants to discuss a licence and co-development.",
    )
    m = match_transition(
        match=m, target=MatchStatusChoices.NDA, actor=manager, note="保密协议已签署 / NDA signed"
    )
    match_transition(match=m, target=MatchStatusChoices.NEGOTIATING, actor=manager)
    feedback_record(
        demand=demands["d-arm"], result=robot_arm, verdict="shortlisted", actor=manager, rank=1
    )
    # the mitral demand: contacted
    match_contact(demand=demands["d-mitral"], result=mitral, actor=manager)
    # a declined match, and "not relevant" feedback on the NSCLC demand
    nsclc = [
        r
        for k, r in results.items()
        if k.startswith("r-biomedicine") and "非小细胞肺癌" in r.title_zh and r.is_public
    ]
    if nsclc:
        dm = match_contact(demand=demands["d-nsclc"], result=nsclc[0], actor=manager)
        match_transition(
            match=dm,
            target=MatchStatusChoices.DECLINED,
            actor=manager,
            note="已有同靶点管线 / overlaps an existing programme",
        )
    diabetes = [r for k, r in results.items() if "糖尿病" in r.title_zh and r.is_public]
    if diabetes:
        feedback_record(
            demand=demands["d-nsclc"], result=diabetes[0], verdict="not_relevant", actor=manager
        )
    # an enterprise's interest from the showcase
    grasp = [r for k, r in results.items() if "抓取" in r.title_zh and r.is_public]
    if grasp and enterprise_user is not None:
        match_express_interest(
            result=grasp[0], actor=enterprise_user, message="我们希望了解许可条件。"
        )

    # targeted R&D: the flexible-grasping demand commissioned from the robot-arm team
    lead_key = context.story.result(ROBOT_ARM_KEY).inventors[0].person_key
    lead = context.people[lead_key]
    research_org = robot_arm.owners.first()
    members = [
        context.people[i.person_key] for i in context.story.result(ROBOT_ARM_KEY).inventors[1:3]
    ]
    project_create(
        demand=demands["d-grasp"],
        data=ProjectInput(
            research_organisation=research_org,
            lead=lead,
            members=members,
            title_zh="服务机器人柔性物体抓取定向研发",
            title_en="Targeted R&D: grasping deformable objects for service robots",
            scope_zh="基于模仿学习与触觉反馈的柔性抓取算法，在灵动机器人样机上将抓取成功率提升至90%以上。",
            scope_en="Grasping algorithms from imitation learning and tactile feedback that raise the success rate on Lingdong's prototype above 90%.",
            budget_cny=Decimal("1200000.00"),
            starts_on=today,
            ends_on=today + timedelta(days=365),
            milestones=[
                MilestoneInput(
                    title_zh="仿真环境与数据采集",
                    due_on=today + timedelta(days=90),
                    amount_cny="360000.00",
                ),
                MilestoneInput(
                    title_zh="样机抓取成功率达到80%",
                    due_on=today + timedelta(days=210),
                    amount_cny="480000.00",
                ),
                MilestoneInput(
                    title_zh="成功率达到90%并交付",
                    due_on=today + timedelta(days=365),
                    amount_cny="360000.00",
                ),
            ],
        ),
        actor=manager,
    )

    def index_once_committed() -> None:
        suspend_indexing(False)
        for name in ("results-lex", "details", "demands-lex"):
            index.tier(name).sync()

    transaction.on_commit(index_once_committed)
