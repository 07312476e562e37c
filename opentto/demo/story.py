"""Deterministic, bilingual demo data: the story of Xuhui's regional TTO platform (区域型TTO平台).

Pure Python (no Django import).  ``build_story(seed)`` returns frozen dataclasses that the demo
loader turns into database rows through the services.  The same seed always gives the same
story: all randomness comes from one ``random.Random(seed)`` and every generated date is at or
before ``TODAY`` (2026-11-01), never the real current date.

All organisations, people, e-mail addresses (``*.example``), patent numbers and grant numbers
are fictional; numbers are merely *well-formed* (valid check characters).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from opentto.demo.story_data.blocks import FIELDS, App, Field, Product, Tech, Text

__all__ = [
    "TODAY",
    "DEFAULT_SEED",
    "STAGE_COUNTS",
    "PIPELINE",
    "TERMINAL_STAGES",
    "Organisation",
    "Person",
    "IPAsset",
    "Funding",
    "Inventor",
    "Transition",
    "Evaluation",
    "Plan",
    "Deal",
    "Result",
    "DemoUser",
    "Story",
    "build_story",
    "cn_application_check_char",
    "uscc_check_char",
    "org_code_check_char",
    "is_valid_uscc",
    "is_valid_cn_application",
]

TODAY = date(2026, 11, 1)
DEFAULT_SEED = 20221111

PIPELINE = ("onboarding", "evaluation", "planning", "landing", "landed")
SIDE_STAGES = ("on_hold", "withdrawn", "declined")
TERMINAL_STAGES = frozenset({"landed", "withdrawn", "declined"})
STAGE_COUNTS: dict[str, int] = {
    "landed": 10,
    "landing": 8,
    "planning": 14,
    "evaluation": 18,
    "onboarding": 38,
    "on_hold": 4,
    "withdrawn": 2,
    "declined": 2,
}

ROBOT_ARM_KEY = "r-robot-arm-rl"
MITRAL_CLIP_KEY = "r-mitral-clip"
BIG_DRUG_AMOUNT = Decimal("280000000.00")
# Signed amounts of the 10 landed deals (the biggest is the drug's equity deal): 510,160,000.50 yuan.
LANDED_AMOUNTS: tuple[Decimal, ...] = (
    BIG_DRUG_AMOUNT,
    Decimal("58000000.00"),
    Decimal("46500000.00"),
    Decimal("35000000.00"),
    Decimal("28000000.00"),
    Decimal("22800000.00"),
    Decimal("16000000.00"),
    Decimal("12000000.00"),
    Decimal("8600000.00"),
    Decimal("3260000.50"),
)
CONFIDENTIAL_COUNT = 19
HOLD_EXCURSIONS = 5
TERMINATED_AMOUNT = Decimal("12000000.00")
DRAFT_AMOUNT = Decimal("36000000.00")


# --------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Organisation:
    key: str
    name_zh: str
    name_en: str
    kind: str  # university|institute|hospital|enterprise|investor|bank|government|service
    credit_code: str  # GB 32100-2015 unified social credit code, or ""
    city_zh: str
    city_en: str
    description_zh: str
    description_en: str
    short_name_zh: str = ""
    short_name_en: str = ""
    email_domain: str = ""


@dataclass(frozen=True)
class Person:
    key: str
    name_zh: str
    name_en: str  # "Given Family" in pinyin, e.g. "Yizhou Han"
    org_key: str
    position_zh: str
    position_en: str
    email: str
    family_name_zh: str = ""
    given_name_zh: str = ""
    family_name_en: str = ""
    given_name_en: str = ""
    is_researcher: bool = False


@dataclass(frozen=True)
class IPAsset:
    jurisdiction: str  # CN, US, EP, JP, WO
    ip_kind: str  # invention|utility|design|software_copyright|pct
    application_number: str
    filing_date: date
    publication_number: str
    grant_number: str
    grant_date: date | None
    status: str  # filed|published|under_examination|granted|lapsed
    title_zh: str = ""
    title_en: str = ""


@dataclass(frozen=True)
class Funding:
    programme_zh: str
    programme_en: str
    grant_number: str
    funder_zh: str
    funder_en: str
    government_funded: bool
    year: int = 0


@dataclass(frozen=True)
class Inventor:
    person_key: str
    share: Decimal  # percent; the shares of one result sum to exactly Decimal("100")


@dataclass(frozen=True)
class Transition:
    to_stage: str
    on: date
    actor_role: str  # "manager" | "inventor"
    reason_zh: str
    reason_en: str


@dataclass(frozen=True)
class Evaluation:
    decision: str  # proceed|improve|decline
    summary_zh: str
    summary_en: str
    decided_on: date
    trl_assessed: int
    reviewer_key: str | None = None  # a Person key (the demo "reviewer" for most)


@dataclass(frozen=True)
class Plan:
    transfer_mode: str  # licence|assignment|equity|spin_off|joint_development
    summary_zh: str
    summary_en: str
    approved_on: date


@dataclass(frozen=True)
class Deal:
    counterparty_key: str
    deal_type: str
    signed_on: date | None
    amount_cny: Decimal
    status: str  # draft|signed|terminated -- only "signed" deals count in any figure
    title_zh: str
    title_en: str
    terminated_on: date | None = None


@dataclass(frozen=True)
class Result:
    key: str
    title_zh: str
    title_en: str
    abstract_zh: str
    abstract_en: str
    details_zh: str
    details_en: str
    advantages_zh: str
    advantages_en: str
    applications_zh: str
    applications_en: str
    kind: str
    field: str
    owner_keys: list[str]
    inventors: list[Inventor]
    trl: int
    keywords_zh: list[str]
    keywords_en: list[str]
    confidential: bool
    onboarded_on: date
    ip_assets: list[IPAsset]
    funding: list[Funding]
    transitions: list[Transition]
    evaluation: Evaluation | None
    plan: Plan | None
    deals: list[Deal]

    @property
    def stage(self) -> str:
        """The final (current) pipeline stage."""
        return self.transitions[-1].to_stage if self.transitions else "onboarding"

    @property
    def signed_deals(self) -> list[Deal]:
        return [d for d in self.deals if d.status == "signed"]


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    person_key: str | None
    org_key: str | None
    first_name_zh: str
    first_name_en: str
    last_name_zh: str = ""
    last_name_en: str = ""
    email: str = ""


@dataclass(frozen=True)
class Story:
    organisations: list[Organisation]
    people: list[Person]
    results: list[Result]
    users: list[DemoUser]
    seed: int = DEFAULT_SEED
    today: date = TODAY

    def organisation(self, key: str) -> Organisation:
        return next(o for o in self.organisations if o.key == key)

    def person(self, key: str) -> Person:
        return next(p for p in self.people if p.key == key)

    def result(self, key: str) -> Result:
        return next(r for r in self.results if r.key == key)

    def stage_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STAGE_COUNTS, 0)
        for r in self.results:
            counts[r.stage] += 1
        return counts

    def landed_amount(self) -> Decimal:
        """Sum of the signed deals of landed results (the report's 转化交易金额)."""
        return sum(
            (d.amount_cny for r in self.results if r.stage == "landed" for d in r.signed_deals),
            Decimal("0.00"),
        )


# --------------------------------------------------------------------------------------------
# Check characters
# --------------------------------------------------------------------------------------------

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
CN_APP_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def uscc_check_char(first17: str) -> str:
    """Check character of an 18-character unified social credit code (GB 32100-2015)."""
    if len(first17) != 17:
        raise ValueError("a unified social credit code has 17 characters before its check")
    total = sum(
        USCC_CHARSET.index(c) * w for c, w in zip(first17.upper(), USCC_WEIGHTS, strict=True)
    )
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    if len(code) != 18 or any(c not in USCC_CHARSET for c in code):
        return False
    return uscc_check_char(code[:17]) == code[17]


def org_code_check_char(first8: str) -> str:
    """Check character of a 9-character organisation code (GB 11714), used in USCC positions 9-17."""
    total = sum(int(c, 36) * w for c, w in zip(first8, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def cn_application_check_char(digits12: str) -> str:
    """Check character of a Chinese patent application number (the character after the dot)."""
    if len(digits12) != 12 or not digits12.isdigit():
        raise ValueError("a Chinese application number has 12 digits before its check")
    total = sum(int(d) * w for d, w in zip(digits12, CN_APP_WEIGHTS, strict=True)) % 11
    return "X" if total == 10 else str(total)


def is_valid_cn_application(number: str) -> bool:
    """``CN`` + 12 digits + ``.`` + check, type digit (5th) in 1, 2, 3 or 8."""
    if len(number) != 16 or not number.startswith("CN") or number[14] != ".":
        return False
    digits = number[2:14]
    return (
        digits.isdigit() and digits[4] in "1238" and cn_application_check_char(digits) == number[15]
    )


# --------------------------------------------------------------------------------------------
# Organisations and people
# --------------------------------------------------------------------------------------------

# key, name_zh, name_en, kind, USCC prefix (registration authority, type, division code),
# short zh, short en, e-mail domain, description zh, description en
_ORGS: tuple[tuple[str, ...], ...] = (
    (
        "ciis",
        "漕溪大学交叉信息研究院",
        "Institute for Interdisciplinary Information Sciences, Caoxi University",
        "university",
        "12310104",
        "漕溪大学交叉信息院",
        "Caoxi IIIS",
        "iiis.caoxi.edu.example",
        "漕溪大学在徐汇区设立的交叉信息研究院，研究方向涵盖强化学习、机器人、量子信息与人工智能理论，团队在西岸智能研究院开展联合攻关。",
        "Caoxi University's Institute for Interdisciplinary Information Sciences in Xuhui district, working on reinforcement learning, robotics, quantum information and AI theory; its teams also work at the West Bund Institute for Intelligence.",
    ),
    (
        "ai_inst",
        "西岸智能研究院",
        "West Bund Institute for Intelligence",
        "institute",
        "12310104",
        "西岸智能研究院",
        "West Bund Institute",
        "wbii.example",
        "位于徐汇滨江的新型研发机构，不定行政级别、不定编制，面向通用人工智能、具身智能与智能计算开展研究，鼓励科研团队将成果产业化。",
        "A new-type R&D institution on the Xuhui riverside, with no administrative rank or fixed staffing quota, working on general AI, embodied intelligence and intelligent computing and encouraging its teams to industrialise their results.",
    ),
    (
        "hospital",
        "枫林大学附属中心医院",
        "Central Hospital of Fenglin University",
        "hospital",
        "12310000",
        "枫林中心医院",
        "Fenglin Central Hospital",
        "fch.example",
        "位于徐汇区枫林路的三级甲等综合性教学医院，心内科在结构性心脏病介入治疗领域处于国内前列，设有临床研究中心与成果转化办公室。",
        "A tertiary teaching hospital on Fenglin Road in Xuhui district. Its Department of Cardiology is among China's leaders in structural-heart intervention, and the hospital runs a clinical research centre and a technology-transfer office.",
    ),
    (
        "longhua",
        "龙华理工大学",
        "Longhua University of Technology",
        "university",
        "12310000",
        "龙华理工",
        "Longhua Tech",
        "lhut.edu.example",
        "以工科见长的研究型大学，在新材料、新能源、智能制造与生物医学工程方向拥有多个国家级与市级科研平台。",
        "A research university strong in engineering, with national and municipal research platforms in new materials, new energy, smart manufacturing and biomedical engineering.",
    ),
    (
        "micro",
        "上海漕河泾微电子研究所",
        "Shanghai Caohejing Institute of Microelectronics",
        "institute",
        "12310000",
        "漕河泾微电子所",
        "Caohejing Microelectronics",
        "cimicro.example",
        "专注集成电路设计、先进封装与功率半导体的研究所，拥有多项目晶圆流片与封装测试公共服务能力。",
        "An institute for IC design, advanced packaging and power semiconductors, offering shared multi-project-wafer tape-out and packaging-and-test services.",
    ),
    (
        "hengshan",
        "衡山医学院",
        "Hengshan Medical College",
        "university",
        "12310000",
        "衡山医学院",
        "Hengshan Medical",
        "hsmc.edu.example",
        "以基础医学与药学见长的医学院校，在创新药物发现、细胞治疗与分子诊断方向形成特色团队。",
        "A medical college strong in basic medicine and pharmacy, with distinctive teams in drug discovery, cell therapy and molecular diagnostics.",
    ),
    (
        "robotics",
        "上海灵动机器人科技有限公司",
        "Shanghai Lingdong Robotics Co., Ltd.",
        "enterprise",
        "91310104",
        "灵动机器人",
        "Lingdong Robotics",
        "lingdong-robotics.example",
        "工业机器人与智能物流装备企业，产品覆盖协作机械臂、移动机器人与多机调度系统，正在寻找可泛化的机器人控制算法。",
        "A maker of industrial robots and smart logistics equipment (collaborative arms, mobile robots and fleet scheduling) that is looking for generalisable robot-control algorithms.",
    ),
    (
        "meddev",
        "上海心拓医疗器械有限公司",
        "Shanghai Xintuo Medical Devices Co., Ltd.",
        "enterprise",
        "91310115",
        "心拓医疗",
        "Xintuo Medical",
        "xintuo-med.example",
        "专注结构性心脏病与心血管介入器械的研发、注册与生产，拥有洁净车间和医疗器械生产许可证。",
        "Develops, registers and manufactures devices for structural heart disease and cardiovascular intervention, with clean-room production and a medical-device manufacturing licence.",
    ),
    (
        "semi",
        "上海芯汇半导体有限公司",
        "Shanghai Xinhui Semiconductor Co., Ltd.",
        "enterprise",
        "91310104",
        "芯汇半导体",
        "Xinhui Semiconductor",
        "xinhui-semi.example",
        "集成电路设计企业，产品包括边缘AI芯片与功率器件，需求集中在低功耗架构与第三代半导体。",
        "An IC design company making edge-AI chips and power devices; its needs centre on low-power architectures and wide-bandgap semiconductors.",
    ),
    (
        "biopharma",
        "上海康衡生物医药有限公司",
        "Shanghai Kangheng Biopharma Co., Ltd.",
        "enterprise",
        "91310104",
        "康衡生物",
        "Kangheng Biopharma",
        "kangheng-bio.example",
        "创新药企业，聚焦肿瘤与自身免疫疾病，具备临床前研究、注册申报与GMP中试生产能力。",
        "An innovative-drug company focused on cancer and autoimmune disease, with preclinical research, regulatory filing and GMP pilot manufacturing.",
    ),
    (
        "newenergy",
        "上海绿源新能源科技有限公司",
        "Shanghai Lüyuan New Energy Technology Co., Ltd.",
        "enterprise",
        "91310104",
        "绿源新能源",
        "Lüyuan New Energy",
        "lvyuan-energy.example",
        "从事储能系统集成、氢能装备与综合能源服务的企业，承担多个园区级示范项目。",
        "Integrates energy-storage systems, builds hydrogen equipment and provides integrated energy services, with several park-scale demonstration projects.",
    ),
    (
        "materials",
        "上海晶格新材料有限公司",
        "Shanghai Jingge Advanced Materials Co., Ltd.",
        "enterprise",
        "91310104",
        "晶格新材料",
        "Jingge Materials",
        "jingge-materials.example",
        "新材料企业，产品包括导热界面材料、功能涂层与高温结构材料，拥有中试线与检测中心。",
        "A new-materials company making thermal-interface materials, functional coatings and high-temperature structural materials, with a pilot line and a test centre.",
    ),
    (
        "investor",
        "上海徐汇科创投资基金管理有限公司",
        "Shanghai Xuhui Sci-Tech Innovation Fund Management Co., Ltd.",
        "investor",
        "91310104",
        "徐汇科创基金",
        "Xuhui Sci-Tech Fund",
        "xh-fund.example",
        "聚焦早期硬科技项目的创业投资机构，与区域型TTO平台合作开展成果作价入股与衍生企业投资。",
        "A venture investor in early-stage deep-tech projects that works with the regional TTO platform on equity contributions and spin-off investments.",
    ),
    (
        "bank",
        "浦江银行徐汇科技支行",
        "Pujiang Bank, Xuhui Sci-Tech Sub-branch",
        "bank",
        "91310104",
        "浦江银行徐汇科技支行",
        "Pujiang Bank Xuhui",
        "pujiangbank.example",
        "面向科技型中小企业的专营支行，提供知识产权质押融资、投贷联动与知识产权证券化服务。",
        "A sub-branch dedicated to small technology firms, offering IP pledge loans, combined investment-and-lending and IP securitisation.",
    ),
    (
        "commission",
        "上海市徐汇区科学技术委员会",
        "Xuhui District Science and Technology Commission, Shanghai",
        "government",
        "11310104",
        "徐汇区科委",
        "Xuhui S&T Commission",
        "xhkw.gov.example",
        "徐汇区科技主管部门，负责落实《徐汇区关于促进科技成果转移转化的实施意见》，开展成果转化管理试点并审批项目补助（单个项目最高500万元）。",
        "The district's science and technology authority. It implements the Xuhui Implementing Opinions on Promoting the Transfer and Transformation of S&T Results, runs the transfer-management pilot and approves project subsidies (at most 5,000,000 yuan per project).",
    ),
    (
        "platform",
        "徐汇区域型技术转移平台",
        "Xuhui Regional TTO Platform",
        "service",
        "52310104",
        "徐汇TTO平台",
        "Xuhui TTO",
        "xhtto.example",
        "上海首个区域型TTO（技术转移办公室）平台，按照“成果入驻—转化评价—运营策划—产业落地”四步法运营，以需求为导向开展定向研发与定向转化，为发明人提供陪伴式服务。",
        "Shanghai's first regional TTO (technology-transfer office) platform. It runs the four-step pipeline of onboarding, transfer evaluation, operations planning and industrial landing, works from enterprise demand through targeted R&D and targeted transfer, and gives inventors companion services.",
    ),
)

RESEARCH_ORGS = ("ciis", "ai_inst", "hospital", "longhua", "micro", "hengshan")
FIELD_ENTERPRISE = {
    "ai": "robotics",
    "ic": "semi",
    "biomedicine": "biopharma",
    "medical_devices": "meddev",
    "new_materials": "materials",
    "green_energy": "newenergy",
}
ALT_ENTERPRISE = {
    "ai": "semi",
    "ic": "robotics",
    "biomedicine": "meddev",
    "medical_devices": "biopharma",
    "new_materials": "newenergy",
    "green_energy": "materials",
}
FIELD_OWNERS: dict[str, tuple[tuple[str, int], ...]] = {
    "ai": (("ciis", 4), ("ai_inst", 4), ("longhua", 1)),
    "ic": (("micro", 4), ("longhua", 2), ("ciis", 1)),
    "biomedicine": (("hengshan", 4), ("hospital", 3)),
    "medical_devices": (("hospital", 4), ("longhua", 2), ("hengshan", 1)),
    "new_materials": (("longhua", 4), ("micro", 2)),
    "green_energy": (("longhua", 4), ("micro", 1), ("ai_inst", 1)),
}
# generic results per field (the two report cases come on top: one ai, one medical_devices)
FIELD_COUNTS = {
    "ai": 17,
    "ic": 15,
    "biomedicine": 17,
    "medical_devices": 15,
    "new_materials": 15,
    "green_energy": 15,
}

_SURNAMES = (
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("赵", "Zhao"),
    ("周", "Zhou"),
    ("吴", "Wu"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("朱", "Zhu"),
    ("马", "Ma"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("林", "Lin"),
    ("何", "He"),
    ("高", "Gao"),
    ("罗", "Luo"),
    ("郑", "Zheng"),
    ("梁", "Liang"),
    ("谢", "Xie"),
    ("宋", "Song"),
    ("唐", "Tang"),
    ("邓", "Deng"),
    ("冯", "Feng"),
    ("曹", "Cao"),
    ("彭", "Peng"),
    ("曾", "Zeng"),
    ("蒋", "Jiang"),
    ("蔡", "Cai"),
    ("贾", "Jia"),
    ("丁", "Ding"),
    ("魏", "Wei"),
    ("钱", "Qian"),
    ("顾", "Gu"),
    ("陆", "Lu"),
    ("姚", "Yao"),
    ("方", "Fang"),
)
_GIVEN = (
    ("志远", "Zhiyuan"),
    ("晓明", "Xiaoming"),
    ("思涵", "Sihan"),
    ("嘉怡", "Jiayi"),
    ("子轩", "Zixuan"),
    ("雨桐", "Yutong"),
    ("浩然", "Haoran"),
    ("欣然", "Xinran"),
    ("俊杰", "Junjie"),
    ("婉清", "Wanqing"),
    ("明哲", "Mingzhe"),
    ("立群", "Liqun"),
    ("建华", "Jianhua"),
    ("海燕", "Haiyan"),
    ("文博", "Wenbo"),
    ("静怡", "Jingyi"),
    ("泽宇", "Zeyu"),
    ("若曦", "Ruoxi"),
    ("天翼", "Tianyi"),
    ("晨阳", "Chenyang"),
    ("佳琪", "Jiaqi"),
    ("宏伟", "Hongwei"),
    ("丽华", "Lihua"),
    ("国栋", "Guodong"),
    ("春燕", "Chunyan"),
    ("一鸣", "Yiming"),
    ("书瑶", "Shuyao"),
    ("启航", "Qihang"),
    ("秋实", "Qiushi"),
    ("梦琪", "Mengqi"),
    ("振宇", "Zhenyu"),
    ("雅婷", "Yating"),
    ("云飞", "Yunfei"),
    ("安琪", "Anqi"),
    ("博文", "Bowen"),
    ("慧敏", "Huimin"),
    ("卫东", "Weidong"),
    ("晓峰", "Xiaofeng"),
    ("敏", "Min"),
    ("磊", "Lei"),
    ("静", "Jing"),
    ("涛", "Tao"),
    ("颖", "Ying"),
    ("军", "Jun"),
    ("芳", "Fang"),
    ("鹏", "Peng"),
)

_POSITIONS = {
    "university": (
        ("教授", "Professor"),
        ("副教授", "Associate Professor"),
        ("助理教授", "Assistant Professor"),
        ("研究员", "Research Professor"),
        ("博士后", "Postdoctoral Researcher"),
        ("高级工程师", "Senior Engineer"),
    ),
    "institute": (
        ("研究员", "Principal Investigator"),
        ("副研究员", "Associate Research Fellow"),
        ("助理研究员", "Assistant Research Fellow"),
        ("高级工程师", "Senior Engineer"),
    ),
    "hospital": (
        ("心内科副主任医师", "Associate Chief Physician, Department of Cardiology"),
        ("心内科主治医师", "Attending Physician, Department of Cardiology"),
        ("肿瘤科主任医师", "Chief Physician, Department of Oncology"),
        ("检验科副主任技师", "Associate Chief Technologist, Department of Laboratory Medicine"),
        ("超声科主任医师", "Chief Physician, Department of Ultrasound"),
        ("临床研究中心研究员", "Research Professor, Clinical Research Centre"),
        ("心内科主任医师", "Chief Physician, Department of Cardiology"),
    ),
}
_RESEARCHER_COUNTS = {
    "ciis": 6,
    "ai_inst": 7,
    "hospital": 7,
    "longhua": 8,
    "micro": 6,
    "hengshan": 6,
}

# Named people of the story: key, family zh, given zh, family en, given en, org, position zh, position en, researcher?
_NAMED_PEOPLE: tuple[tuple[str, str, str, str, str, str, str, str, bool], ...] = (
    (
        "p-han-yizhou",
        "韩",
        "亦舟",
        "Han",
        "Yizhou",
        "ciis",
        "助理教授（西岸智能研究院项目团队负责人）",
        "Assistant Professor (team leader at the West Bund Institute for Intelligence)",
        True,
    ),
    (
        "p-shen-liheng",
        "沈",
        "立衡",
        "Shen",
        "Liheng",
        "hospital",
        "心内科主任医师",
        "Chief Physician, Department of Cardiology",
        True,
    ),
    (
        "p-zhou-xiaolan",
        "周",
        "晓岚",
        "Zhou",
        "Xiaolan",
        "platform",
        "技术经理人",
        "Technology Transfer Manager",
        False,
    ),
    ("p-gu-min", "顾", "敏", "Gu", "Min", "platform", "平台负责人", "Head of Platform", False),
    ("p-shao-jing", "邵", "婧", "Shao", "Jing", "platform", "知识产权专员", "IP Specialist", False),
    ("p-ma-jun", "马", "骏", "Ma", "Jun", "robotics", "研发总监", "R&D Director", True),
    (
        "p-cheng-boyan",
        "程",
        "伯岩",
        "Cheng",
        "Boyan",
        "longhua",
        "教授、成果转化评审专家",
        "Professor and technology-transfer evaluation expert",
        False,
    ),
    (
        "p-zhong-qing",
        "钟",
        "晴",
        "Zhong",
        "Qing",
        "commission",
        "成果转化科科长",
        "Section Chief, Technology Transfer",
        False,
    ),
    (
        "p-wang-jinyu",
        "汪",
        "瑾瑜",
        "Wang",
        "Jinyu",
        "commission",
        "科技金融专员",
        "Sci-Tech Finance Officer",
        False,
    ),
    (
        "p-luo-yifan",
        "罗",
        "一帆",
        "Luo",
        "Yifan",
        "investor",
        "投资总监",
        "Investment Director",
        False,
    ),
    ("p-tian-yue", "田", "悦", "Tian", "Yue", "investor", "投资经理", "Investment Manager", False),
    (
        "p-ye-zilan",
        "叶",
        "子岚",
        "Ye",
        "Zilan",
        "bank",
        "科技金融部经理",
        "Manager, Sci-Tech Finance",
        False,
    ),
    (
        "p-xiang-hao",
        "项",
        "昊",
        "Xiang",
        "Hao",
        "bank",
        "知识产权质押融资专员",
        "IP Pledge Loan Officer",
        False,
    ),
    (
        "p-yin-shu",
        "殷",
        "姝",
        "Yin",
        "Shu",
        "robotics",
        "商务拓展经理",
        "Business Development Manager",
        False,
    ),
)
_ENTERPRISE_STAFF = (
    ("研发总监", "R&D Director", True),
    ("商务拓展经理", "Business Development Manager", False),
)


def _uscc(rng: random.Random, prefix: str) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(8))
    org = body + org_code_check_char(body)
    first17 = prefix + org
    return first17 + uscc_check_char(first17)


def _build_organisations(rng: random.Random) -> list[Organisation]:
    orgs = []
    for key, zh, en, kind, prefix, short_zh, short_en, domain, desc_zh, desc_en in _ORGS:
        city_zh, city_en = ("上海市徐汇区", "Xuhui District, Shanghai")
        if key == "meddev":
            city_zh, city_en = ("上海市浦东新区", "Pudong New Area, Shanghai")
        orgs.append(
            Organisation(
                key=key,
                name_zh=zh,
                name_en=en,
                kind=kind,
                credit_code=_uscc(rng, prefix),
                city_zh=city_zh,
                city_en=city_en,
                description_zh=desc_zh,
                description_en=desc_en,
                short_name_zh=short_zh,
                short_name_en=short_en,
                email_domain=domain,
            )
        )
    return orgs


def _build_people(rng: random.Random, orgs: Sequence[Organisation]) -> list[Person]:
    domains = {o.key: o.email_domain for o in orgs}
    kinds = {o.key: o.kind for o in orgs}
    people: list[Person] = []
    used_names: set[str] = set()
    used_emails: set[str] = set()

    def add(
        key: str, fz: str, gz: str, fe: str, ge: str, org: str, pz: str, pe: str, researcher: bool
    ) -> None:
        local = f"{ge}.{fe}".lower()
        email = f"{local}@{domains[org]}"
        n = 2
        while email in used_emails:
            email = f"{local}{n}@{domains[org]}"
            n += 1
        used_emails.add(email)
        used_names.add(fz + gz)
        people.append(
            Person(
                key=key,
                name_zh=fz + gz,
                name_en=f"{ge} {fe}",
                org_key=org,
                position_zh=pz,
                position_en=pe,
                email=email,
                family_name_zh=fz,
                given_name_zh=gz,
                family_name_en=fe,
                given_name_en=ge,
                is_researcher=researcher,
            )
        )

    for row in _NAMED_PEOPLE:
        add(*row)

    def fresh_name() -> tuple[str, str, str, str]:
        while True:
            fz, fe = rng.choice(_SURNAMES)
            gz, ge = rng.choice(_GIVEN)
            if fz + gz not in used_names:
                return fz, gz, fe, ge

    for org in RESEARCH_ORGS:
        positions = _POSITIONS["hospital" if kinds[org] == "hospital" else kinds[org]]
        for i in range(_RESEARCHER_COUNTS[org]):
            fz, gz, fe, ge = fresh_name()
            pz, pe = positions[i % len(positions)]
            add(f"p-{org}-{i + 1:02d}", fz, gz, fe, ge, org, pz, pe, True)
    for org in ("meddev", "semi", "biopharma", "newenergy", "materials", "robotics"):
        # the robotics enterprise already has its R&D director and BD manager among the named people
        staff = (
            (("高级算法工程师", "Senior Algorithm Engineer", True),)
            if org == "robotics"
            else _ENTERPRISE_STAFF
        )
        for i, (pz, pe, researcher) in enumerate(staff):
            fz, gz, fe, ge = fresh_name()
            add(f"p-{org}-{i + 1:02d}", fz, gz, fe, ge, org, pz, pe, researcher)
    return people


# --------------------------------------------------------------------------------------------
# IP assets, funding
# --------------------------------------------------------------------------------------------

_INV_PUB_PREFIX = {
    2019: 110,
    2020: 111,
    2021: 113,
    2022: 115,
    2023: 116,
    2024: 118,
    2025: 120,
    2026: 121,
    2027: 122,
}
_UTIL_PREFIX = {
    2018: 208,
    2019: 210,
    2020: 212,
    2021: 214,
    2022: 217,
    2023: 219,
    2024: 221,
    2025: 223,
    2026: 224,
}
_DESIGN_PREFIX = {2022: 307, 2023: 308, 2024: 309, 2025: 310, 2026: 311}


def _clamp(d: date, lo: date, hi: date) -> date:
    return max(lo, min(hi, d))


def _days(a: date, b: date) -> int:
    return (b - a).days


class _Numbers:
    """Unique, well-formed IP and grant numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def _unique(self, make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in self.used:
                self.used.add(value)
                return value

    def cn_application(self, year: int, type_digit: str) -> str:
        def make() -> str:
            serial = f"{self.rng.randint(100000, 1999999):07d}"
            digits = f"{year}{type_digit}{serial}"
            return f"CN{digits}.{cn_application_check_char(digits)}"

        return self._unique(make)

    def serial(self, pattern: str, lo: int, hi: int) -> str:
        return self._unique(lambda: pattern.format(self.rng.randint(lo, hi)))


def _cn_invention(
    num: _Numbers, rng: random.Random, filed: date, title: tuple[str, str]
) -> IPAsset:
    app = num.cn_application(filed.year, "1")
    age = _days(filed, TODAY)
    pub_year = min(2027, (filed + timedelta(days=548)).year)
    pub = grant = ""
    grant_date = None
    if age < 420:
        status = "filed"
    else:
        pub_digits = num.serial(str(_INV_PUB_PREFIX.get(pub_year, 121)) + "{:06d}", 0, 999999)
        pub = f"CN{pub_digits}A"
        grant_lag = rng.randint(560, 1150)
        if age > grant_lag and rng.random() < 0.8:
            grant_date = filed + timedelta(days=grant_lag)
            grant = f"CN{pub_digits}B"
            status = "lapsed" if age > 2400 and rng.random() < 0.25 else "granted"
        else:
            status = "under_examination" if age > 600 else "published"
    return IPAsset("CN", "invention", app, filed, pub, grant, grant_date, status, *title)


def _cn_utility(num: _Numbers, rng: random.Random, filed: date, title: tuple[str, str]) -> IPAsset:
    app = num.cn_application(filed.year, "2")
    lag = rng.randint(110, 300)
    if _days(filed, TODAY) <= lag:
        return IPAsset("CN", "utility", app, filed, "", "", None, "filed", *title)
    gd = filed + timedelta(days=lag)
    number = "CN" + num.serial(str(_UTIL_PREFIX.get(gd.year, 224)) + "{:06d}", 0, 999999) + "U"
    return IPAsset("CN", "utility", app, filed, number, number, gd, "granted", *title)


def _cn_design(num: _Numbers, rng: random.Random, filed: date, title: tuple[str, str]) -> IPAsset:
    app = num.cn_application(filed.year, "3")
    lag = rng.randint(90, 240)
    if _days(filed, TODAY) <= lag:
        return IPAsset("CN", "design", app, filed, "", "", None, "filed", *title)
    gd = filed + timedelta(days=lag)
    number = "CN" + num.serial(str(_DESIGN_PREFIX.get(gd.year, 311)) + "{:06d}", 0, 999999) + "S"
    return IPAsset("CN", "design", app, filed, number, number, gd, "granted", *title)


def _software_copyright(
    num: _Numbers, rng: random.Random, filed: date, title: tuple[str, str]
) -> IPAsset:
    lag = rng.randint(30, 90)
    filed = min(filed, TODAY - timedelta(days=lag + 1))
    reg_date = filed + timedelta(days=lag)
    reg = num.serial(f"{reg_date.year}SR" + "{:07d}", 10000, 1999999)
    return IPAsset("CN", "software_copyright", reg, filed, "", reg, reg_date, "granted", *title)


def _pct(
    num: _Numbers, rng: random.Random, priority: date, title: tuple[str, str]
) -> IPAsset | None:
    filed = priority + timedelta(days=rng.randint(300, 364))
    if filed > TODAY:
        return None
    app = num.serial(f"PCT/CN{filed.year}/" + "{:06d}", 50000, 159999)
    pub = ""
    status = "filed"
    pub_date = priority + timedelta(days=548)
    if pub_date <= TODAY:
        pub = num.serial(f"WO{pub_date.year}" + "{:06d}A1", 10000, 259999)
        status = "published"
    return IPAsset("WO", "pct", app, filed, pub, "", None, status, *title)


def _foreign(
    num: _Numbers, rng: random.Random, office: str, priority: date, title: tuple[str, str]
) -> IPAsset | None:
    filed = priority + timedelta(days=rng.randint(900, 915))  # national phase at 30 months
    if filed > TODAY:
        return None
    age = _days(filed, TODAY)
    pub_date = priority + timedelta(days=rng.randint(950, 1100))
    pub = grant = ""
    grant_date = None
    status = "filed"
    if office == "US":
        series = 17 if filed.year <= 2022 else 18 if filed.year <= 2024 else 19
        app = num.serial(f"US{series}" + "{:06d}", 0, 999999)
        if pub_date <= TODAY:
            pub = num.serial(f"US{pub_date.year}0" + "{:06d}A1", 0, 999999)
            status = "published"
        if age > 700 and rng.random() < 0.7:
            grant_date = filed + timedelta(days=rng.randint(600, min(age, 1000)))
            grant = num.serial("US12{:06d}B2", 0, 999999)
            status = "granted"
        elif pub:
            status = "under_examination"
    elif office == "EP":
        body = num.serial(f"{filed.year % 100:02d}" + "{:06d}", 700000, 999999)
        check = sum(int(c) * (i % 2 + 1) for i, c in enumerate(body)) % 10
        app = f"EP{body}.{check}"
        if pub_date <= TODAY:
            pub_digits = num.serial("4{:06d}", 0, 999999)
            pub = f"EP{pub_digits}A1"
            status = "under_examination"
            if age > 900 and rng.random() < 0.5:
                grant_date = filed + timedelta(days=rng.randint(850, age))
                grant = f"EP{pub_digits}B1"
                status = "granted"
    else:  # JP
        app = num.serial(f"JP{filed.year}-" + "{:06d}", 500000, 599999)
        if pub_date <= TODAY:
            pub = num.serial(f"JP{pub_date.year}" + "{:06d}A", 500000, 599999)
            status = "under_examination"
    return IPAsset(office, "invention", app, filed, pub, grant, grant_date, status, *title)


_NSFC_DEPT = {
    "ai": "6",
    "ic": "6",
    "biomedicine": "8",
    "medical_devices": "8",
    "new_materials": "5",
    "green_energy": "5",
}
_NSFC_TYPES = (
    ("面上项目", "General Program", "7"),
    ("青年科学基金项目", "Young Scientists Fund", "0"),
    ("重点项目", "Key Program", "3"),
)
_MOST_LETTER = {
    "ai": "B",
    "ic": "B",
    "biomedicine": "C",
    "medical_devices": "C",
    "new_materials": "B",
    "green_energy": "B",
}
_SH_PROGRAMMES = {
    "ai": (
        "“科技创新行动计划”人工智能专项",
        "Science and Technology Innovation Action Plan: Artificial Intelligence",
    ),
    "ic": (
        "“科技创新行动计划”集成电路领域项目",
        "Science and Technology Innovation Action Plan: Integrated Circuits",
    ),
    "biomedicine": (
        "“科技创新行动计划”生物医药科技支撑专项",
        "Science and Technology Innovation Action Plan: Biomedicine",
    ),
    "medical_devices": (
        "“科技创新行动计划”医疗器械领域项目",
        "Science and Technology Innovation Action Plan: Medical Devices",
    ),
    "new_materials": (
        "“科技创新行动计划”新材料领域项目",
        "Science and Technology Innovation Action Plan: New Materials",
    ),
    "green_energy": (
        "“科技创新行动计划”“碳达峰碳中和”专项",
        "Science and Technology Innovation Action Plan: Carbon Peak and Neutrality",
    ),
}


def _funding(
    num: _Numbers,
    rng: random.Random,
    field_key: str,
    year: int,
    org_names: dict[str, tuple[str, str]],
) -> Funding:
    choice = rng.choices(("nsfc", "most", "sh", "xh", "ent"), weights=(5, 2, 3, 1, 2))[0]
    if choice == "nsfc":
        pz, pe, t = rng.choice(_NSFC_TYPES)
        grant = num.serial(f"{_NSFC_DEPT[field_key]}{year % 100:02d}{t}" + "{:04d}", 1000, 9999)
        return Funding(
            f"国家自然科学基金{pz}",
            f"NSFC {pe}",
            grant,
            "国家自然科学基金委员会",
            "National Natural Science Foundation of China",
            True,
            year,
        )
    if choice == "most":
        grant = num.serial(f"{year}YF{_MOST_LETTER[field_key]}" + "{:07d}", 100000, 4999999)
        return Funding(
            "国家重点研发计划",
            "National Key R&D Program of China",
            grant,
            "中华人民共和国科学技术部",
            "Ministry of Science and Technology of the People's Republic of China",
            True,
            year,
        )
    if choice == "sh":
        pz, pe = _SH_PROGRAMMES[field_key]
        pattern = (
            f"{year % 100:02d}S3" + "{:07d}"
            if rng.random() < 0.6
            else f"{year % 100:02d}DZ" + "{:07d}"
        )
        grant = num.serial(pattern, 1000000, 2999999)
        return Funding(
            f"上海市{pz}",
            f"Shanghai {pe}",
            grant,
            "上海市科学技术委员会",
            "Science and Technology Commission of Shanghai Municipality",
            True,
            year,
        )
    if choice == "xh":
        grant = num.serial(f"XH-KJ-{year}-" + "{:03d}", 1, 199)
        return Funding(
            "徐汇区科技创新专项资金",
            "Xuhui District Science and Technology Innovation Fund",
            grant,
            "上海市徐汇区科学技术委员会",
            "Xuhui District Science and Technology Commission, Shanghai",
            True,
            year,
        )
    ent = FIELD_ENTERPRISE[field_key]
    zh, en = org_names[ent]
    grant = num.serial(f"HX{year}" + "{:04d}", 1, 9999)
    return Funding(
        "企业委托研发项目（横向课题）",
        "Industry-sponsored research contract",
        grant,
        zh,
        en,
        False,
        year,
    )


# --------------------------------------------------------------------------------------------
# Pipeline texts
# --------------------------------------------------------------------------------------------

_REASONS: dict[str, tuple[tuple[str, str], ...]] = {
    "evaluation": (
        ("成果材料齐全，提交转化评价", "Documentation complete; submitted for transfer evaluation"),
        ("发明人申请开展转化评价", "The inventors asked for a transfer evaluation"),
        (
            "与企业需求匹配，启动转化评价",
            "Matches an enterprise demand; transfer evaluation started",
        ),
    ),
    "planning": (
        (
            "评价结论为推进，进入运营策划",
            "Evaluation concluded 'proceed'; moved to operations planning",
        ),
        ("专家建议推进转化，启动方案策划", "The experts recommended a transfer; planning started"),
    ),
    "landing": (
        ("转化方案获批，启动产业落地", "Transfer plan approved; industrial landing started"),
        (
            "意向企业确认，进入合同谈判",
            "Interested enterprise confirmed; contract negotiation started",
        ),
    ),
    "landed": (("合同签订，成果转化落地", "Contract signed; the result has landed in industry"),),
    "declined": (("评价结论为不推进", "Evaluation concluded 'decline'"),),
    "on_hold": (
        ("发明人出国访学，暂缓推进", "The lead inventor is on a research visit abroad; paused"),
        ("等待专利审查意见答复", "Waiting to answer a patent office action"),
        ("权利人内部审批中", "Waiting for the owners' internal approval"),
        ("等待第三方检测报告", "Waiting for a third-party test report"),
    ),
    "resume": (("暂缓事由已消除，恢复推进", "The reason for the pause has gone; work resumed"),),
    "withdrawn": (
        (
            "权利人决定自行转化，撤回成果",
            "The owners decided to handle the transfer themselves and withdrew the result",
        ),
        (
            "团队调整研究方向，撤回成果",
            "The team changed its research direction and withdrew the result",
        ),
    ),
}
_GAP_DAYS = {
    "evaluation": (14, 90),
    "planning": (30, 180),
    "landing": (45, 240),
    "landed": (30, 300),
    "declined": (20, 120),
    "on_hold": (20, 200),
    "resume": (30, 150),
    "withdrawn": (20, 300),
}
_ONBOARD_RANGE = {
    "landed": (date(2022, 1, 10), date(2024, 6, 30)),
    "landing": (date(2022, 3, 1), date(2025, 6, 30)),
    "planning": (date(2022, 6, 1), date(2026, 3, 31)),
    "evaluation": (date(2023, 6, 1), date(2026, 9, 15)),
    "on_hold": (date(2022, 5, 1), date(2025, 12, 31)),
    "withdrawn": (date(2022, 4, 1), date(2025, 6, 30)),
    "declined": (date(2022, 4, 1), date(2025, 9, 30)),
}
_ONBOARDING_YEAR_WEIGHTS = {2022: 3, 2023: 5, 2024: 8, 2025: 10, 2026: 12}
_TRL_RANGE = {
    "onboarding": (3, 5),
    "evaluation": (3, 6),
    "planning": (4, 7),
    "landing": (5, 8),
    "landed": (6, 9),
    "on_hold": (3, 6),
    "withdrawn": (3, 5),
    "declined": (3, 4),
}

_EVAL_GAPS = (
    ("中试数据尚不充分", "pilot-scale data are still insufficient"),
    ("知识产权布局较薄弱", "the IP layout is thin"),
    ("目标市场与商业模式尚需明确", "the target market and business model still need to be defined"),
    ("与现有产品的性能对比数据不足", "there are too few data comparing it with existing products"),
)
_DECLINE_REASONS = (
    ("核心专利权利要求保护范围过窄", "the claims of the core patent are too narrow"),
    ("各权利人对转化条件未能达成一致", "the owners could not agree on the terms of a transfer"),
)
_IP_LAYOUT = (
    (
        "补充申请外围专利，并评估PCT国际申请",
        "peripheral patents are added and a PCT application is assessed",
    ),
    (
        "通过PCT途径进入美国和欧洲",
        "protection is extended to the US and Europe through the PCT route",
    ),
    (
        "核心工艺以技术秘密方式保护，配套软件申请著作权登记",
        "the core process is kept as know-how and the supporting software is registered for copyright",
    ),
    (
        "完成专利稳定性分析与自由实施检索",
        "patent-validity analysis and a freedom-to-operate search are completed",
    ),
)
_PLAN_TEXT = {
    "licence": (
        "以许可方式转化：向{cp_zh}授予许可，许可费采用入门费加销售提成；知识产权布局方面，{ip_zh}；同步申请徐汇区成果转化项目补助。",
        "Transfer by licence: a licence to {cp_en}, paid as an upfront fee plus royalties on sales. On the IP layout, {ip_en}. A Xuhui district transfer subsidy is applied for in parallel.",
    ),
    "assignment": (
        "以转让方式转化：专利权整体转让给{cp_zh}，价款以评估值为基础分期支付；转让前，{ip_zh}。",
        "Transfer by assignment: the patents are assigned outright to {cp_en}, with the price paid in instalments based on a valuation. Before the assignment, {ip_en}.",
    ),
    "equity": (
        "以作价入股方式转化：成果经评估作价后入股{cp_zh}，发明人团队担任技术顾问；同步对接知识产权质押融资，{ip_zh}。",
        "Transfer by equity contribution: the result is valued and contributed as equity in {cp_en}, with the inventors as technical advisers. IP pledge financing is arranged in parallel, and {ip_en}.",
    ),
    "spin_off": (
        "以设立衍生企业方式转化：发明人团队在徐汇区注册新公司，{cp_zh}参与天使轮投资；{ip_zh}，并规划海外市场渠道。",
        "Transfer through a spin-off: the inventors found a new company in Xuhui district, with {cp_en} joining the angel round; {ip_en}, and overseas sales channels are planned.",
    ),
    "joint_development": (
        "以联合开发方式转化：与{cp_zh}围绕其技术需求开展定向研发，约定背景知识产权归属与新成果共享；{ip_zh}。",
        "Transfer by joint development: targeted R&D with {cp_en} against its technical needs, with agreed ownership of background IP and shared new results; {ip_en}.",
    ),
}
DEAL_TYPE_NAMES = {
    "licence_exclusive": ("独占许可", "Exclusive licence"),
    "licence_sole": ("排他许可", "Sole licence"),
    "licence_non_exclusive": ("普通许可", "Non-exclusive licence"),
    "assignment": ("转让", "Assignment"),
    "equity": ("作价入股", "Equity contribution"),
    "spin_off": ("衍生企业", "Spin-off"),
    "joint_development": ("联合开发", "Joint development"),
    "commissioned_rd": ("委托研发", "Commissioned R&D"),
}
DEAL_MODE = {
    "licence_exclusive": "licence",
    "licence_sole": "licence",
    "licence_non_exclusive": "licence",
    "assignment": "assignment",
    "equity": "equity",
    "spin_off": "spin_off",
    "joint_development": "joint_development",
    "commissioned_rd": "joint_development",
}
_MODE_DEAL = {
    "licence": "licence_exclusive",
    "assignment": "assignment",
    "equity": "equity",
    "spin_off": "spin_off",
    "joint_development": "joint_development",
}


def _deal_title(deal_type: str, title_zh: str, title_en: str) -> tuple[str, str]:
    zh, en = DEAL_TYPE_NAMES[deal_type]
    return f"“{title_zh}”{zh}合同", f"{en} agreement: {title_en}"


def _evaluation_text(decision: str, trl: int, fld: Field, rng: random.Random) -> tuple[str, str]:
    if decision == "proceed":
        return (
            f"专家组评估该成果技术成熟度为TRL {trl}，{fld.market_zh}，知识产权基础较好，同意进入运营策划。",
            f"The expert panel assessed the result at TRL {trl}: {fld.market_en}, and its IP position is sound. "
            "It agreed to move the result on to operations planning.",
        )
    if decision == "improve":
        gz, ge = rng.choice(_EVAL_GAPS)
        return (
            f"专家组评估该成果技术成熟度为TRL {trl}，创新性较强，但{gz}，建议补充材料后再次评价。",
            f"The expert panel assessed the result at TRL {trl}. It is innovative, but {ge}; "
            "a new evaluation is recommended once this is addressed.",
        )
    rz, re_ = rng.choice(_DECLINE_REASONS)
    return (
        f"专家组评估该成果技术成熟度为TRL {trl}，与现有技术相比优势不明显，且{rz}，不建议推进转化。",
        f"The expert panel assessed the result at TRL {trl}: it has no clear advantage over existing technology, "
        f"and {re_}. It does not recommend pursuing a transfer.",
    )


# --------------------------------------------------------------------------------------------
# Generic results from building blocks
# --------------------------------------------------------------------------------------------


@dataclass
class _Spec:
    field: Field
    tech: Tech
    app: App
    product: Product
    stage: str = "onboarding"
    key: str = ""


def _fits(block: App | Product | Text, tech: Tech) -> bool:
    return block.techs is None or tech.id in block.techs


def _specs_for_field(rng: random.Random, fld: Field, count: int) -> list[_Spec]:
    pairs = [(t, a) for t in fld.techs for a in fld.apps if _fits(a, t)]
    rng.shuffle(pairs)
    specs: list[_Spec] = []
    titles: set[str] = set()
    round_ = 0
    while len(specs) < count:
        for tech, app in pairs:
            if len(specs) == count:
                break
            products = [p for p in fld.products if _fits(p, tech)]
            rng.shuffle(products)
            for product in products[round_:] + products[:round_]:
                title = _title_zh(tech, app, product)
                if title not in titles:
                    titles.add(title)
                    specs.append(_Spec(fld, tech, app, product))
                    break
        round_ += 1
        if round_ > 10:
            raise RuntimeError(f"not enough building blocks for {count} {fld.key} results")
    return specs


def _title_zh(tech: Tech, app: App, product: Product) -> str:
    return f"基于{tech.zh}的{app.zh}{product.zh}"


def _title_en(tech: Tech, app: App, product: Product) -> str:
    text = f"{product.en} for {app.en} based on {tech.en}"
    return text[0].upper() + text[1:]


def _params(
    rng: random.Random, spec: dict[str, tuple[float, float, int]]
) -> tuple[dict[str, str], dict[str, str]]:
    zh: dict[str, str] = {}
    en: dict[str, str] = {}
    for name, (lo, hi, decimals) in spec.items():
        if decimals == 0:
            n = rng.randint(int(lo), int(hi))
            zh[name] = str(n)
            en[name] = f"{n:,}" if n >= 10000 else str(n)
        else:
            v = f"{rng.uniform(lo, hi):.{decimals}f}"
            zh[name] = en[name] = v
    return zh, en


def _article(noun: str) -> str:
    """English indefinite article (with its space) for a product noun; none for mass nouns."""
    if noun.endswith("software") or noun.startswith(("compounds", "material and")):
        return ""
    return "an " if noun[0] in "aeiou" else "a "


def _capital(text: str) -> str:
    return text[0].upper() + text[1:]


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _random_date(rng: random.Random, lo: date, hi: date) -> date:
    return lo + timedelta(days=rng.randint(0, max(0, _days(lo, hi))))


def _shares(rng: random.Random, n: int) -> list[Decimal]:
    options = {
        1: (("100",),),
        2: (("60", "40"), ("70", "30"), ("50", "50"), ("80", "20")),
        3: (
            ("50", "30", "20"),
            ("40", "30", "30"),
            ("60", "25", "15"),
            ("33.34", "33.33", "33.33"),
        ),
        4: (
            ("40", "30", "20", "10"),
            ("35", "25", "20", "20"),
            ("25", "25", "25", "25"),
            ("45", "25", "17.5", "12.5"),
        ),
    }
    return [Decimal(s) for s in rng.choice(options[n])]


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.num = _Numbers(self.rng)
        self.orgs = _build_organisations(self.rng)
        self.people = _build_people(self.rng, self.orgs)
        self.org_names = {o.key: (o.name_zh, o.name_en) for o in self.orgs}
        self.researchers: dict[str, list[str]] = {}
        for p in self.people:
            if p.is_researcher and p.key not in ("p-han-yizhou", "p-shen-liheng"):
                self.researchers.setdefault(p.org_key, []).append(p.key)

    # -- timeline --------------------------------------------------------------------------

    def _path(self, final: str) -> list[str]:
        rng = self.rng
        if final == "landed":
            return ["evaluation", "planning", "landing", "landed"]
        if final == "landing":
            return ["evaluation", "planning", "landing"]
        if final == "planning":
            return ["evaluation", "planning"]
        if final == "evaluation":
            return ["evaluation"]
        if final == "onboarding":
            return []
        if final == "on_hold":
            return rng.choice([[], ["evaluation"], ["evaluation", "planning"]]) + ["on_hold"]
        if final == "withdrawn":
            return rng.choice([[], ["evaluation"]]) + ["withdrawn"]
        if final == "declined":
            return ["evaluation", "declined"]
        raise ValueError(final)

    def _onboarded(self, final: str) -> date:
        rng = self.rng
        if final == "onboarding":
            year = rng.choices(
                list(_ONBOARDING_YEAR_WEIGHTS), weights=list(_ONBOARDING_YEAR_WEIGHTS.values())
            )[0]
            hi = date(year, 12, 31) if year < 2026 else TODAY - timedelta(days=5)
            return _random_date(rng, date(year, 1, 4), hi)
        lo, hi = _ONBOARD_RANGE[final]
        return _random_date(rng, lo, hi)

    def timeline(self, final: str, onboarded: date, excursion: bool) -> list[tuple[str, date, str]]:
        """(to_stage, date, actor) for each transition after onboarding."""
        rng = self.rng
        path = self._path(final)
        steps: list[tuple[str, str]] = []  # (to_stage, gap kind)
        current = "onboarding"
        insert_at = (
            rng.randrange(len(path)) if excursion and path and final not in ("on_hold",) else -1
        )
        for i, stage in enumerate(path):
            if i == insert_at and current in ("onboarding", "evaluation", "planning", "landing"):
                steps += [("on_hold", "on_hold"), (current, "resume")]
            steps.append((stage, stage))
            current = stage
        if excursion and not path:
            steps = [("on_hold", "on_hold"), ("onboarding", "resume")]
        gaps = [rng.randint(*_GAP_DAYS[kind]) for _, kind in steps]
        budget = _days(onboarded, TODAY) - 1
        if sum(gaps) > budget:
            factor = budget / sum(gaps)
            gaps = [max(1, int(g * factor)) for g in gaps]
        out = []
        day = onboarded
        for (stage, kind), gap in zip(steps, gaps, strict=True):
            day = day + timedelta(days=gap)
            if stage == "withdrawn" or (stage == "evaluation" and kind == "evaluation"):
                actor = "inventor" if rng.random() < 0.4 else "manager"
            else:
                actor = "manager"
            out.append((stage, day, actor))
        return out

    def transitions(self, steps: list[tuple[str, date, str]]) -> list[Transition]:
        out = []
        for stage, day, actor in steps:
            kind = stage
            if (
                out
                and stage in ("onboarding", "evaluation", "planning", "landing")
                and out[-1].to_stage == "on_hold"
            ):
                kind = "resume"
            rz, re_ = self.rng.choice(_REASONS[kind])
            out.append(Transition(stage, day, actor, rz, re_))
        return out

    # -- people ------------------------------------------------------------------------------

    def owners(self, field_key: str) -> list[str]:
        rng = self.rng
        orgs, weights = zip(*FIELD_OWNERS[field_key], strict=True)
        first = rng.choices(orgs, weights=weights)[0]
        owners = [first]
        if rng.random() < 0.22:
            others = [o for o in orgs if o != first]
            if others and rng.random() < 0.5:
                owners.append(rng.choice(others))
            else:
                owners.append(FIELD_ENTERPRISE[field_key])
        return owners

    def inventors(
        self, owners: list[str], lead: str | None = None, n: int | None = None
    ) -> list[Inventor]:
        rng = self.rng
        pool = [k for o in owners for k in self.researchers.get(o, [])]
        n = n or rng.choices((1, 2, 3, 4), weights=(2, 4, 4, 2))[0]
        chosen: list[str] = [lead] if lead else []
        # make sure every owner with researchers contributes someone, the first owner leading
        for o in owners:
            cands = [k for k in self.researchers.get(o, []) if k not in chosen]
            if cands and len(chosen) < n and not any(self._org_of(k) == o for k in chosen):
                chosen.append(rng.choice(cands))
        rest = [k for k in pool if k not in chosen]
        rng.shuffle(rest)
        chosen += rest[: max(0, n - len(chosen))]
        shares = _shares(rng, len(chosen))
        return [Inventor(k, s) for k, s in zip(chosen, shares, strict=True)]

    def _org_of(self, person_key: str) -> str:
        return self.person(person_key).org_key

    def person(self, key: str) -> Person:
        return next(p for p in self.people if p.key == key)

    # -- IP ------------------------------------------------------------------------------------

    def ip_assets(
        self, kind: str, onboarded: date, title: tuple[str, str], foreign: bool
    ) -> list[IPAsset]:
        rng = self.rng
        if kind == "know_how":
            return []
        first = _clamp(
            onboarded - timedelta(days=rng.randint(-60, 900)),
            date(2018, 3, 1),
            TODAY - timedelta(days=20),
        )
        assets: list[IPAsset] = []
        if kind == "software_copyright":
            assets.append(_software_copyright(self.num, rng, first, title))
            if rng.random() < 0.4:
                assets.append(_cn_invention(self.num, rng, first, title))
        elif kind == "utility_model":
            assets.append(_cn_utility(self.num, rng, first, title))
            if rng.random() < 0.5:
                assets.append(_cn_invention(self.num, rng, first, title))
        elif kind == "design":
            assets.append(_cn_design(self.num, rng, first, title))
        else:
            assets.append(_cn_invention(self.num, rng, first, title))
            if kind in ("medical_device", "prototype") and rng.random() < 0.6:
                assets.append(
                    _cn_utility(self.num, rng, first + timedelta(days=rng.randint(0, 20)), title)
                )
            elif rng.random() < 0.3:
                later = first + timedelta(days=rng.randint(60, 400))
                if later < TODAY:
                    assets.append(_cn_invention(self.num, rng, later, title))
            if foreign:
                pct = _pct(self.num, rng, first, title)
                if pct:
                    assets.append(pct)
                    office = rng.choice(("US", "EP", "JP", "US"))
                    nat = _foreign(self.num, rng, office, first, title)
                    if nat:
                        assets.append(nat)
        return assets[:3]

    # -- build one generic result --------------------------------------------------------------

    def generic(self, spec: _Spec, *, big_drug: bool = False) -> dict:
        rng = self.rng
        fld, tech, app, product = spec.field, spec.tech, spec.app, spec.product
        pz, pe = _params(rng, fld.params)
        title_zh = _title_zh(tech, app, product)
        title_en = _title_en(tech, app, product)
        advs = [a for a in fld.advantages if _fits(a, tech)]
        rng.shuffle(advs)
        advs = advs[:3]
        dets = [d for d in fld.details if _fits(d, tech)]
        rng.shuffle(dets)
        dets = dets[:2]
        a_zh = [a.zh.format(**pz) for a in advs]
        a_en = [a.en.format(**pe) for a in advs]
        abstract_zh = (
            f"本成果面向{app.zh}，针对{app.problem_zh}的问题，提出一种基于{tech.zh}的{product.zh}。"
            f"{tech.how_zh}。该成果{a_zh[0]}，{a_zh[1]}。"
        )
        abstract_en = (
            f"For {app.en}, this result tackles {app.problem_en}: it proposes {_article(product.en)}"
            f"{product.en} based on {tech.en}. {tech.how_en}. The result {a_en[0]} and {a_en[1]}."
        )
        numbered_zh = "；".join(f"{i + 1}. {t}" for i, t in enumerate(a_zh)) + "。"
        numbered_en = "; ".join(f"({i + 1}) {_capital(t)}" for i, t in enumerate(a_en)) + "."
        details_zh = "".join(d.zh.format(**pz) for d in dets)
        details_en = " ".join(d.en.format(**pe) for d in dets)
        kw_zh = _dedupe([*tech.kw_zh, app.kw_zh, fld.name_zh, product.zh])[:5]
        kw_en = _dedupe([*tech.kw_en, app.kw_en, fld.name_en, product.en])[:5]
        kind = "drug" if big_drug else product.kind
        return {
            "title_zh": title_zh,
            "title_en": title_en,
            "abstract_zh": abstract_zh,
            "abstract_en": abstract_en,
            "details_zh": details_zh,
            "details_en": details_en,
            "advantages_zh": numbered_zh,
            "advantages_en": numbered_en,
            "applications_zh": f"可应用于{app.uses_zh}等场景。",
            "applications_en": f"Applicable to {app.uses_en}, among other settings.",
            "kind": kind,
            "field": fld.key,
            "keywords_zh": kw_zh,
            "keywords_en": kw_en,
        }


# --------------------------------------------------------------------------------------------
# The two cases of the report
# --------------------------------------------------------------------------------------------

ROBOT_ARM_TEXT = {
    "title_zh": "面向可泛化机械臂控制的多步决策强化学习方法",
    "title_en": "Reinforcement-learning method for generalisable robot-arm control with multi-step decision-making",
    "abstract_zh": (
        "本成果由漕溪大学交叉信息研究院助理教授韩亦舟带领的团队在西岸智能研究院完成，研究强化学习算法，"
        "让机器在多步骤操作中能像人一样做出复杂决策。团队提出分层策略与世界模型相结合的训练框架，"
        "同一套策略即可控制不同型号的机械臂完成未见过的任务。成果可用于工业机器人的统筹调度和娱乐产业的交互体验，"
        "团队希望依托平台实现研发成果产业化。"
    ),
    "abstract_en": (
        "This result comes from a team led by Han Yizhou, assistant professor at Caoxi University's Institute "
        "for Interdisciplinary Information Sciences, working at the West Bund Institute for Intelligence. It "
        "studies reinforcement-learning algorithms that let machines make complex decisions like people over "
        "many steps. The team proposes a training framework that combines a hierarchical policy with a world "
        "model, so that one policy can control different models of robot arm on tasks it has not seen. The "
        "result can be used to schedule industrial robots and for interactive experiences in entertainment, "
        "and the team hopes to industrialise it through the platform."
    ),
    "details_zh": (
        "高层策略以自然语言或目标图像描述任务，低层技能库包含抓取、放置、插接等12种原子技能；世界模型在仿真中生成约2亿步交互数据用于训练。"
        "在3种型号机械臂上的真机实验中，零样本迁移成功率达到87%，奖励设计与课程安排为团队的核心技术秘密。"
    ),
    "details_en": (
        "The high-level policy takes tasks described in natural language or as goal images, and the low-level "
        "skill library holds 12 primitive skills such as grasping, placing and insertion; the world model "
        "generates about 200 million interaction steps in simulation for training. In real-robot tests on "
        "three arm models, zero-shot transfer succeeded 87% of the time; the reward design and the curriculum "
        "are the team's core know-how."
    ),
    "advantages_zh": (
        "1. 一套策略适配多种机械臂和任务，无需逐一重新编程；2. 多步骤任务成功率比模仿学习基线高约30个百分点；"
        "3. 从仿真到真机零样本迁移，部署周期由数周缩短到数天。"
    ),
    "advantages_en": (
        "(1) One policy fits many robot arms and tasks without reprogramming each; (2) its success rate on "
        "multi-step tasks is about 30 percentage points higher than an imitation-learning baseline; "
        "(3) zero-shot transfer from simulation to real robots cuts deployment from weeks to days."
    ),
    "applications_zh": "工业机器人的统筹调度（多机协同上下料、柔性装配）、娱乐产业的交互体验（互动机器人、游戏角色），以及仓储分拣与服务机器人。",
    "applications_en": (
        "Scheduling of industrial robots (coordinated loading by several robots, flexible assembly), "
        "interactive experiences in entertainment (interactive robots, game characters), and warehouse "
        "picking and service robots."
    ),
    "keywords_zh": ["强化学习", "机械臂控制", "多步决策", "泛化", "工业机器人", "交互娱乐"],
    "keywords_en": [
        "reinforcement learning",
        "robot-arm control",
        "multi-step decision-making",
        "generalisation",
        "industrial robot",
        "interactive entertainment",
    ],
}

MITRAL_TEXT = {
    "title_zh": "经心尖二尖瓣夹合器及其输送系统",
    "title_en": "Transapical mitral-valve clip and its delivery system",
    "abstract_zh": (
        "本成果由枫林大学附属中心医院心内科主任医师沈立衡团队历时六年研发，是一款用于心脏微创手术的经心尖二尖瓣夹合器。"
        "器械经心尖入路，在不停跳状态下夹合二尖瓣前后叶，减少二尖瓣反流，适用于无法耐受开胸手术的高龄患者。"
        "产品已完成临床试验，注册申请正在国家药品监督管理局审评中。"
    ),
    "abstract_en": (
        "Developed over six years by the team of Shen Liheng, chief physician in the Department of Cardiology "
        "of the Central Hospital of Fenglin University, this is a transapical mitral-valve clip for minimally "
        "invasive heart surgery. Introduced through the apex of the heart, the device clips the anterior and "
        "posterior mitral leaflets together on the beating heart, reducing mitral regurgitation; it suits "
        "elderly patients who cannot tolerate open-chest surgery. The clinical trial is complete and the "
        "registration application is under review by the National Medical Products Administration (NMPA)."
    ),
    "details_zh": (
        "夹合臂采用镍钛合金激光切割一体成型，夹持力可在术中分级调节，输送系统外径为20F并配有三维超声下的定位标记。"
        "临床试验共入组120例，术后一年严重反流消除率为91.7%，关键工艺与夹持力参数为技术秘密。"
    ),
    "details_en": (
        "The clip arms are laser-cut in one piece from nickel-titanium alloy, the clamping force can be adjusted "
        "in steps during the procedure, and the 20 F delivery system carries markers for positioning under 3D "
        "ultrasound. The clinical trial enrolled 120 patients, with severe regurgitation eliminated in 91.7% at "
        "one year; the key processes and clamping-force parameters are know-how."
    ),
    "advantages_zh": (
        "1. 经心尖入路路径短、同轴性好，操作难度低于经股静脉途径；2. 夹持力可调，减少瓣叶损伤；"
        "3. 拥有中国、美国、欧洲专利布局，核心部件可国产化。"
    ),
    "advantages_en": (
        "(1) The transapical route is short and coaxial, so the procedure is easier than by the femoral vein; "
        "(2) adjustable clamping force reduces leaflet injury; (3) patents in China, the US and Europe protect "
        "it, and its core parts can be made domestically."
    ),
    "applications_zh": "退行性与功能性二尖瓣反流的微创治疗，尤其是外科手术高危的高龄患者；可拓展至海外市场。",
    "applications_en": (
        "Minimally invasive treatment of degenerative and functional mitral regurgitation, especially in "
        "elderly patients at high surgical risk; the product can be taken to overseas markets."
    ),
    "keywords_zh": ["二尖瓣反流", "经心尖", "瓣膜夹合", "结构性心脏病", "微创手术"],
    "keywords_en": [
        "mitral regurgitation",
        "transapical",
        "valve clip",
        "structural heart disease",
        "minimally invasive surgery",
    ],
}


def _robot_arm(b: _Builder) -> Result:
    onboarded = date(2025, 10, 16)
    t = [
        Transition(
            "evaluation",
            date(2025, 12, 4),
            "inventor",
            "发明人申请开展转化评价，希望依托平台实现产业化",
            "The lead inventor asked for a transfer evaluation, hoping to industrialise the result through the platform",
        ),
        Transition(
            "planning",
            date(2026, 3, 20),
            "manager",
            "评价结论为推进，进入运营策划：知识产权布局、转化模式与融资",
            "Evaluation concluded 'proceed'; moved to operations planning: IP layout, transfer mode and financing",
        ),
    ]
    evaluation = Evaluation(
        "proceed",
        "专家组评估该成果技术成熟度为TRL 4：算法在多种机械臂上验证了泛化能力，工业机器人统筹调度需求明确，灵动机器人已提出定向转化意向；建议尽快完成PCT布局并明确转化模式。",
        "The expert panel assessed the result at TRL 4: the algorithm has shown that it generalises across several robot "
        "arms, demand for scheduling industrial robots is clear, and Lingdong Robotics has expressed interest in a "
        "targeted transfer. It recommends completing the PCT filing quickly and settling the transfer mode.",
        date(2026, 3, 6),
        4,
        "p-cheng-boyan",
    )
    title = (ROBOT_ARM_TEXT["title_zh"], ROBOT_ARM_TEXT["title_en"])
    reg = b.num.serial("2025SR{:07d}", 1000000, 1999999)
    ip = [
        IPAsset(
            "CN",
            "invention",
            b.num.cn_application(2025, "1"),
            date(2025, 4, 22),
            "",
            "",
            None,
            "filed",
            *title,
        ),
        IPAsset(
            "CN",
            "software_copyright",
            reg,
            date(2025, 7, 9),
            "",
            reg,
            date(2025, 8, 28),
            "granted",
            "多机械臂任务调度与控制软件V1.0",
            "Multi-arm task scheduling and control software V1.0",
        ),
        IPAsset(
            "WO",
            "pct",
            b.num.serial("PCT/CN2026/{:06d}", 50000, 159999),
            date(2026, 4, 10),
            "",
            "",
            None,
            "filed",
            *title,
        ),
    ]
    funding = [
        Funding(
            "国家自然科学基金青年科学基金项目",
            "NSFC Young Scientists Fund",
            b.num.serial("62306{:03d}", 100, 999),
            "国家自然科学基金委员会",
            "National Natural Science Foundation of China",
            True,
            2023,
        ),
        Funding(
            "上海市“科技创新行动计划”人工智能专项",
            "Shanghai Science and Technology Innovation Action Plan: Artificial Intelligence",
            b.num.serial("24S3{:07d}", 1000000, 2999999),
            "上海市科学技术委员会",
            "Science and Technology Commission of Shanghai Municipality",
            True,
            2024,
        ),
    ]
    inventors = [Inventor("p-han-yizhou", Decimal("40"))]
    team = [*b.researchers["ciis"][:2], b.researchers["ai_inst"][0]]
    inventors += [
        Inventor(k, s)
        for k, s in zip(team, (Decimal("25"), Decimal("20"), Decimal("15")), strict=True)
    ]
    return Result(
        key=ROBOT_ARM_KEY,
        kind="invention_patent",
        field="ai",
        owner_keys=["ciis", "ai_inst"],
        inventors=inventors,
        trl=4,
        confidential=False,
        onboarded_on=onboarded,
        ip_assets=ip,
        funding=funding,
        transitions=t,
        evaluation=evaluation,
        plan=None,
        deals=[],
        **ROBOT_ARM_TEXT,
    )


def _mitral_clip(b: _Builder) -> Result:
    onboarded = date(2022, 4, 12)
    t = [
        Transition(
            "evaluation",
            date(2022, 5, 6),
            "inventor",
            "临床试验入组完成，发明人申请转化评价",
            "Clinical-trial enrolment complete; the inventor asked for a transfer evaluation",
        ),
        Transition(
            "planning",
            date(2022, 6, 28),
            "manager",
            "评价结论为推进，启动陪伴式运营策划",
            "Evaluation concluded 'proceed'; companion-style operations planning started",
        ),
        Transition(
            "landing",
            date(2023, 3, 1),
            "manager",
            "转化方案获批，与心拓医疗开展许可谈判",
            "Transfer plan approved; licence negotiations with Xintuo Medical started",
        ),
    ]
    evaluation = Evaluation(
        "proceed",
        "专家组评估该成果技术成熟度为TRL 7：六年研发形成完整产品，临床试验结果良好，国内同类产品稀缺、进口产品价格高昂；建议重点完善海外知识产权布局，并设计许可加里程碑付款的转化模式。",
        "The expert panel assessed the result at TRL 7: six years of development have produced a complete product, the "
        "clinical trial results are good, few comparable products exist in China and imports are expensive. It "
        "recommends strengthening the overseas IP layout and designing a licence with milestone payments.",
        date(2022, 6, 20),
        7,
        "p-cheng-boyan",
    )
    plan = Plan(
        "licence",
        "陪伴式运营策划：（1）知识产权布局：在中国发明专利基础上通过PCT进入美国和欧洲，补充输送系统实用新型；"
        "（2）转化模式：向上海心拓医疗器械有限公司独占许可，入门费加销售提成，并以取得注册证为里程碑；"
        "（3）融资：对接浦江银行徐汇科技支行知识产权质押融资，并申请徐汇区成果转化项目补助（最高500万元）；"
        "（4）海外渠道：规划欧盟CE认证路径，对接海外经销商。",
        "Companion-style operations plan: (1) IP layout: from the Chinese invention patent, extend to the US and Europe "
        "through the PCT and add a utility model for the delivery system; (2) transfer mode: an exclusive licence to "
        "Shanghai Xintuo Medical Devices Co., Ltd., with an upfront fee plus royalties and the registration certificate "
        "as a milestone; (3) financing: an IP pledge loan with Pujiang Bank's Xuhui Sci-Tech Sub-branch and an "
        "application for a Xuhui district transfer subsidy (at most 5,000,000 yuan); (4) overseas channels: a route to "
        "EU CE marking and contacts with overseas distributors.",
        date(2023, 2, 15),
    )
    title = (MITRAL_TEXT["title_zh"], MITRAL_TEXT["title_en"])
    n = b.num
    inv_app = n.cn_application(2019, "1")
    pub_digits = n.serial("110{:06d}", 0, 999999)
    util_app = n.cn_application(2019, "2")
    util_no = "CN" + n.serial("210{:06d}", 0, 999999) + "U"
    us_grant = n.serial("US11{:06d}B2", 0, 999999)
    ep_body = n.serial("20{:06d}", 700000, 999999)
    ep_check = sum(int(c) * (i % 2 + 1) for i, c in enumerate(ep_body)) % 10
    ep_pub = n.serial("3{:06d}", 900000, 999999)
    ip = [
        IPAsset(
            "CN",
            "invention",
            inv_app,
            date(2019, 3, 18),
            f"CN{pub_digits}A",
            f"CN{pub_digits}B",
            date(2021, 7, 9),
            "granted",
            *title,
        ),
        IPAsset(
            "CN",
            "utility",
            util_app,
            date(2019, 3, 18),
            util_no,
            util_no,
            date(2019, 11, 26),
            "granted",
            "经心尖二尖瓣夹合器的输送装置",
            "Delivery device for a transapical mitral-valve clip",
        ),
        IPAsset(
            "WO",
            "pct",
            n.serial("PCT/CN2020/{:06d}", 50000, 159999),
            date(2020, 3, 12),
            n.serial("WO2020{:06d}A1", 180000, 199999),
            "",
            None,
            "published",
            *title,
        ),
        IPAsset(
            "US",
            "invention",
            n.serial("US17{:06d}", 0, 999999),
            date(2021, 9, 8),
            n.serial("US20220{:06d}A1", 0, 999999),
            us_grant,
            date(2024, 5, 21),
            "granted",
            *title,
        ),
        IPAsset(
            "EP",
            "invention",
            f"EP{ep_body}.{ep_check}",
            date(2021, 9, 10),
            f"EP{ep_pub}A1",
            "",
            None,
            "under_examination",
            *title,
        ),
    ]
    funding = [
        Funding(
            "国家重点研发计划“诊疗装备与生物医用材料”重点专项",
            "National Key R&D Program of China: Diagnostic and Therapeutic Equipment and Biomedical Materials",
            n.serial("2019YFC{:07d}", 100000, 199999),
            "中华人民共和国科学技术部",
            "Ministry of Science and Technology of the People's Republic of China",
            True,
            2019,
        ),
        Funding(
            "上海市“科技创新行动计划”医疗器械领域项目",
            "Shanghai Science and Technology Innovation Action Plan: Medical Devices",
            n.serial("20S3{:07d}", 1000000, 2999999),
            "上海市科学技术委员会",
            "Science and Technology Commission of Shanghai Municipality",
            True,
            2020,
        ),
    ]
    team = [k for k in b.researchers["hospital"] if "心内科" in b.person(k).position_zh][:3]
    inventors = [Inventor("p-shen-liheng", Decimal("50"))]
    inventors += [
        Inventor(k, s)
        for k, s in zip(team, (Decimal("20"), Decimal("15"), Decimal("15")), strict=True)
    ]
    tz, te = _deal_title("licence_exclusive", MITRAL_TEXT["title_zh"], MITRAL_TEXT["title_en"])
    deals = [
        Deal(
            "meddev",
            "licence_exclusive",
            None,
            DRAFT_AMOUNT,
            "draft",
            tz + "（草案，待注册证获批后签署）",
            te + " (draft, to be signed once NMPA registration is granted)",
        )
    ]
    return Result(
        key=MITRAL_CLIP_KEY,
        kind="medical_device",
        field="medical_devices",
        owner_keys=["hospital"],
        inventors=inventors,
        trl=7,
        confidential=False,
        onboarded_on=onboarded,
        ip_assets=ip,
        funding=funding,
        transitions=t,
        evaluation=evaluation,
        plan=plan,
        deals=deals,
        **MITRAL_TEXT,
    )


# --------------------------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------------------------

_LANDED_DEAL_TYPES = (
    "licence_exclusive",
    "licence_sole",
    "licence_non_exclusive",
    "assignment",
    "equity",
    "joint_development",
    "commissioned_rd",
    "assignment",
    "licence_exclusive",
)


def _build_results(b: _Builder) -> list[Result]:
    rng = b.rng
    specs: list[_Spec] = []
    for key, count in FIELD_COUNTS.items():
        specs += _specs_for_field(rng, FIELDS[key], count)
    rng.shuffle(specs)

    stages: list[str] = []
    for stage, count in STAGE_COUNTS.items():
        stages += [stage] * (count - (stage == "planning") - (stage == "landing"))
    rng.shuffle(stages)
    for spec, stage in zip(specs, stages, strict=True):
        spec.stage = stage
    # the big drug: a biomedicine drug candidate must be among the landed results
    drug = next(s for s in specs if s.field.key == "biomedicine" and s.product.kind == "drug")
    if drug.stage != "landed":
        other = next(s for s in specs if s.stage == "landed")
        other.stage, drug.stage = drug.stage, "landed"
    for i, spec in enumerate(specs):
        spec.key = f"r-{spec.field.key.replace('_', '-')}-{i + 1:03d}"

    landed_amounts = list(LANDED_AMOUNTS[1:])
    rng.shuffle(landed_amounts)
    landed_types = list(_LANDED_DEAL_TYPES)
    rng.shuffle(landed_types)
    landing_specs = [s for s in specs if s.stage == "landing"]
    terminated_key = landing_specs[0].key

    # exactly 19 of 96 (about 20%) confidential; exactly 5 results paused once and resumed
    confidential_keys = set(rng.sample([s.key for s in specs if s is not drug], CONFIDENTIAL_COUNT))
    excursion_keys = set(
        rng.sample([s.key for s in specs if s.stage != "on_hold"], HOLD_EXCURSIONS)
    )

    results: list[Result] = [_robot_arm(b), _mitral_clip(b)]
    for spec in specs:
        final = spec.stage
        is_big = spec is drug
        text = b.generic(spec, big_drug=is_big)
        owners = b.owners(spec.field.key)
        if is_big:
            owners = ["hengshan"]
        inventors = b.inventors(owners)
        lo, hi = _TRL_RANGE[final]
        trl = rng.randint(lo, hi)
        if is_big:
            trl = 7
        onboarded = b._onboarded(final)
        excursion = spec.key in excursion_keys
        steps = b.timeline(final, onboarded, excursion)
        transitions = b.transitions(steps)
        dates = {stage: day for stage, day, _ in steps}  # last visit of each stage
        entered: dict[str, date] = {}
        left: dict[str, date] = {}
        prev = "onboarding"
        for stage, day, _ in steps:
            left.setdefault(prev, day)  # first time the result left that stage
            entered.setdefault(stage, day)
            prev = stage

        evaluation = None
        stage_set = {s for s, _, _ in steps}
        if "planning" in stage_set or "declined" in stage_set:
            decision = "decline" if "declined" in stage_set else "proceed"
            e_in = entered["evaluation"]
            e_out = entered["declined"] if decision == "decline" else entered["planning"]
            span = _days(e_in, e_out)
            decided = e_in + timedelta(days=rng.randint(span // 2, span))
            t_eval = max(1, min(9, trl + rng.choice((-1, 0, 0, 0))))
            sz, se = _evaluation_text(decision, t_eval, spec.field, rng)
            evaluation = Evaluation(decision, sz, se, decided, t_eval, "p-cheng-boyan")
        elif "evaluation" in stage_set and rng.random() < 0.5:
            e_in = entered["evaluation"]
            hi_day = left.get("evaluation", TODAY) if final != "evaluation" else TODAY
            if hi_day > e_in:
                decided = e_in + timedelta(days=rng.randint(1, _days(e_in, hi_day)))
                t_eval = max(1, min(9, trl + rng.choice((-1, 0))))
                sz, se = _evaluation_text("improve", t_eval, spec.field, rng)
                evaluation = Evaluation("improve", sz, se, decided, t_eval, "p-cheng-boyan")

        plan = None
        deals: list[Deal] = []
        counterparty = FIELD_ENTERPRISE[spec.field.key]
        if counterparty in owners:  # a co-owner does not license from itself
            counterparty = ALT_ENTERPRISE[spec.field.key]
        cp_zh, cp_en = b.org_names[counterparty]
        deal_type = None
        if final == "landed":
            if is_big:
                deal_type, amount = "equity", BIG_DRUG_AMOUNT
            else:
                deal_type, amount = landed_types.pop(), landed_amounts.pop()
            if deal_type == "equity" and not is_big:
                counterparty = "investor"
                cp_zh, cp_en = b.org_names[counterparty]
            tz, te = _deal_title(deal_type, text["title_zh"], text["title_en"])
            deals.append(Deal(counterparty, deal_type, dates["landed"], amount, "signed", tz, te))
        if "landing" in stage_set or (final == "planning" and rng.random() < 0.4):
            mode = DEAL_MODE[deal_type] if deal_type else rng.choice(tuple(_PLAN_TEXT))
            if mode == "spin_off":
                cp_zh, cp_en = b.org_names["investor"]
            p_in = entered["planning"]
            p_out = entered.get("landing", TODAY)
            approved = p_in + timedelta(
                days=rng.randint(_days(p_in, p_out) // 2, max(0, _days(p_in, p_out) - 1))
            )
            ipz, ipe = rng.choice(_IP_LAYOUT)
            pz_t, pe_t = _PLAN_TEXT[mode]
            plan = Plan(
                mode,
                pz_t.format(cp_zh=cp_zh, ip_zh=ipz),
                pe_t.format(cp_en=cp_en, ip_en=ipe),
                approved,
            )
            if spec.key == terminated_key:
                d_type = _MODE_DEAL[mode]
                cp = "investor" if mode == "spin_off" else counterparty
                landing_on = dates["landing"]
                signed = landing_on + timedelta(days=rng.randint(20, 90))
                ended = signed + timedelta(days=rng.randint(60, 200))
                if ended >= TODAY:
                    span = _days(landing_on, TODAY)
                    signed = landing_on + timedelta(days=span // 3)
                    ended = landing_on + timedelta(days=2 * span // 3)
                tz, te = _deal_title(d_type, text["title_zh"], text["title_en"])
                deals.append(
                    Deal(
                        cp,
                        d_type,
                        signed,
                        TERMINATED_AMOUNT,
                        "terminated",
                        tz + "（已解除：受让方未按期支付首付款）",
                        te + " (terminated: the counterparty missed the first payment)",
                        ended,
                    )
                )

        foreign = final in ("landed", "landing", "planning") and rng.random() < 0.45
        title = (text["title_zh"], text["title_en"])
        ip_assets = b.ip_assets(text["kind"], onboarded, title, foreign or is_big)
        funding: list[Funding] = []
        if rng.random() < 0.5:
            for _ in range(rng.choice((1, 1, 2))):
                year = rng.randint(max(2018, onboarded.year - 4), onboarded.year)
                funding.append(_funding(b.num, rng, spec.field.key, year, b.org_names))
        confidential = spec.key in confidential_keys
        results.append(
            Result(
                key=spec.key,
                owner_keys=owners,
                inventors=inventors,
                trl=trl,
                confidential=confidential,
                onboarded_on=onboarded,
                ip_assets=ip_assets,
                funding=funding,
                transitions=transitions,
                evaluation=evaluation,
                plan=plan,
                deals=deals,
                **text,
            )
        )
    return results


def _users(people: Sequence[Person]) -> list[DemoUser]:
    by_key = {p.key: p for p in people}

    def user(username: str, role: str, person_key: str) -> DemoUser:
        p = by_key[person_key]
        return DemoUser(
            username,
            role,
            p.key,
            p.org_key,
            p.given_name_zh,
            p.given_name_en,
            p.family_name_zh,
            p.family_name_en,
            p.email,
        )

    return [
        DemoUser("admin", "admin", None, None, "管理员", "Admin", "", "", "admin@xhtto.example"),
        user("manager", "manager", "p-zhou-xiaolan"),
        user("inventor", "inventor", "p-han-yizhou"),
        user("enterprise", "enterprise", "p-ma-jun"),
        user("reviewer", "reviewer", "p-cheng-boyan"),
        user("official", "official", "p-zhong-qing"),
        user("investor", "investor", "p-luo-yifan"),
    ]


def build_story(seed: int = DEFAULT_SEED) -> Story:
    """Build the whole demo story; the same seed always returns an equal ``Story``."""
    b = _Builder(seed)
    results = _build_results(b)
    return Story(
        organisations=list(b.orgs),
        people=list(b.people),
        results=results,
        users=_users(b.people),
        seed=seed,
        today=TODAY,
    )
