"""The three built-in rubrics, as plain data (installed by migration ``0003_builtin_rubrics``).

The structure follows ``STANDARDS.md``. Where the standard's clause number is not known here, a
criterion's ``clause`` names the standard and the indicator's place in it (first-level indicator,
TRL annex) — never an invented number. Second-level criteria of GB/T 44731-2024 are not listed in
what we know; the ones below are OpenTTO's and say so. All texts are written in our own words.

Weights are relative (they are normalised over the criteria a round uses). ``purpose_weights``
holds the weight per purpose of the evaluation (``transfer``, ``pre_filing``, ``pledge``,
``portfolio``); ``kinds`` limits a criterion to some kinds of result.
"""

from __future__ import annotations

from typing import Any

TRL_STANDARD = "GB/T 22900-2022"
VALUE_STANDARD = "GB/T 44731-2024"
PATENT_STANDARD = "GB/T 42748-2023"

#: TRL 1–9: our wording after the TRL annex of GB/T 22900-2022, beside the NASA/EU wording.
TRL_LEVELS: list[dict[str, Any]] = [
    {
        "level": 1,
        "title_zh": "发现基本原理",
        "title_en": "Basic principles observed",
        "gb_zh": "观察到并报告了与应用相关的基本原理，研究停留在科学认识层面。",
        "gb_en": "The underlying principles relevant to an application have been observed and reported; the work is still scientific understanding.",
        "nasa_en": "Basic principles observed and reported.",
    },
    {
        "level": 2,
        "title_zh": "形成技术概念",
        "title_en": "Technology concept formulated",
        "gb_zh": "提出了应用这些原理的技术概念或方案，可行性尚停留在分析层面。",
        "gb_en": "A technical concept or approach that applies the principles has been formulated; feasibility rests on analysis only.",
        "nasa_en": "Technology concept and/or application formulated.",
    },
    {
        "level": 3,
        "title_zh": "关键功能得到验证",
        "title_en": "Proof of concept",
        "gb_zh": "通过分析和实验验证了关键功能或特性，完成原理性验证。",
        "gb_en": "The key functions or characteristics have been shown by analysis and experiment: the concept is proven in principle.",
        "nasa_en": "Analytical and experimental critical function and/or characteristic proof of concept.",
    },
    {
        "level": 4,
        "title_zh": "实验室环境验证",
        "title_en": "Validated in the laboratory",
        "gb_zh": "主要部件或原型在实验室环境中集成并通过验证。",
        "gb_en": "The main components or a breadboard have been integrated and validated in a laboratory environment.",
        "nasa_en": "Component and/or breadboard validation in a laboratory environment.",
    },
    {
        "level": 5,
        "title_zh": "相关环境验证",
        "title_en": "Validated in a relevant environment",
        "gb_zh": "部件或原型在接近实际使用条件的相关环境中通过验证。",
        "gb_en": "Components or a breadboard have been validated in an environment close to the conditions of real use.",
        "nasa_en": "Component and/or breadboard validation in a relevant environment.",
    },
    {
        "level": 6,
        "title_zh": "相关环境中演示样机",
        "title_en": "Prototype demonstrated in a relevant environment",
        "gb_zh": "系统或分系统的模型、样机在相关环境中完成演示。",
        "gb_en": "A model or prototype of the system or subsystem has been demonstrated in a relevant environment.",
        "nasa_en": "System/subsystem model or prototype demonstration in a relevant environment.",
    },
    {
        "level": 7,
        "title_zh": "实际运行环境中演示样机",
        "title_en": "Prototype demonstrated in an operational environment",
        "gb_zh": "接近最终形态的系统样机在实际运行环境中完成演示（例如完成临床试验或现场试运行）。",
        "gb_en": "A near-final system prototype has been demonstrated in the operational environment (for example a completed clinical trial or a field trial).",
        "nasa_en": "System prototype demonstration in an operational environment.",
    },
    {
        "level": 8,
        "title_zh": "系统完成并通过鉴定",
        "title_en": "System complete and qualified",
        "gb_zh": "实际系统已完成，并通过试验、检验、认证或注册等鉴定。",
        "gb_en": "The actual system is complete and has passed qualification: tests, inspection, certification or registration.",
        "nasa_en": "Actual system completed and qualified through test and demonstration.",
    },
    {
        "level": 9,
        "title_zh": "实际应用中得到验证",
        "title_en": "Proven in operation",
        "gb_zh": "实际系统在真实应用中成功运行，可批量生产或推广使用。",
        "gb_en": "The actual system has operated successfully in real use and can be produced or deployed at scale.",
        "nasa_en": "Actual system proven through successful mission operations.",
    },
]


def _value_clause(indicator_en: str) -> str:
    return f"{VALUE_STANDARD}, first-level indicator: {indicator_en} (second-level criterion defined by OpenTTO)"


def _patent_clause(indicator_en: str, second_en: str) -> str:
    return f"{PATENT_STANDARD}, first-level indicator: {indicator_en}; second-level indicator: {second_en}"


def _patent_own_clause(indicator_en: str) -> str:
    return f"{PATENT_STANDARD}, first-level indicator: {indicator_en} (second-level criterion defined by OpenTTO)"


_NOT_DESIGN_OR_SOFTWARE = [
    "invention_patent",
    "utility_model",
    "know_how",
    "prototype",
    "drug",
    "medical_device",
    "new_material",
    "other",
]
_PROTECTABLE = [
    "invention_patent",
    "utility_model",
    "design",
    "software_copyright",
    "prototype",
    "drug",
    "medical_device",
    "new_material",
    "other",
]


def _c(
    key: str,
    group: tuple[str, str, str],
    title: tuple[str, str],
    guidance: tuple[str, str],
    clause: str,
    weight: str,
    purposes: dict[str, str],
    kinds: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "key": key,
        "group_key": group[0],
        "group_zh": group[1],
        "group_en": group[2],
        "title_zh": title[0],
        "title_en": title[1],
        "description_zh": guidance[0],
        "description_en": guidance[1],
        "clause": clause,
        "weight": weight,
        "purpose_weights": purposes,
        "kinds": kinds or [],
        "levels": [],
    }


SCIENTIFIC = ("scientific", "科学价值", "Scientific value")
TECHNICAL = ("technical", "技术价值", "Technical value")
ECONOMIC = ("economic", "经济价值", "Economic value")
SOCIAL = ("social_cultural", "社会与文化价值", "Social and cultural value")
TRANSFER = ("transfer_potential", "转化潜力", "Transfer potential")

VALUE_CRITERIA = [
    _c(
        "originality",
        SCIENTIFIC,
        ("原创性", "Originality"),
        (
            "成果在科学认识或方法上的新颖程度，是否提出新原理、新方法。",
            "How new the result is in scientific understanding or method: does it bring a new principle or approach?",
        ),
        _value_clause("scientific value"),
        "0.060",
        {"transfer": "0.060", "pre_filing": "0.100", "pledge": "0.020", "portfolio": "0.030"},
        _NOT_DESIGN_OR_SOFTWARE,
    ),
    _c(
        "scientific_impact",
        SCIENTIFIC,
        ("学术影响", "Scientific impact"),
        (
            "论文、引用、奖励等反映的学术认可程度。",
            "Recognition by peers, as shown by publications, citations and awards.",
        ),
        _value_clause("scientific value"),
        "0.040",
        {"transfer": "0.040", "pre_filing": "0.050", "pledge": "0.010", "portfolio": "0.020"},
        _NOT_DESIGN_OR_SOFTWARE,
    ),
    _c(
        "advancement",
        TECHNICAL,
        ("技术先进性", "Technical advancement"),
        (
            "与国内外同类技术相比的性能、指标与水平。",
            "Performance and level compared with similar technologies in China and abroad.",
        ),
        _value_clause("technical value"),
        "0.120",
        {"transfer": "0.120", "pre_filing": "0.150", "pledge": "0.100", "portfolio": "0.100"},
    ),
    _c(
        "maturity",
        TECHNICAL,
        ("技术成熟度", "Technical maturity"),
        (
            "距离实际应用还有多远：验证程度、样机、试验和工艺稳定性。",
            "How far it is from real use: validation, prototypes, trials and process stability.",
        ),
        _value_clause("technical value"),
        "0.120",
        {"transfer": "0.120", "pre_filing": "0.080", "pledge": "0.120", "portfolio": "0.100"},
    ),
    _c(
        "ip_protection",
        TECHNICAL,
        ("知识产权保护", "IP protection"),
        (
            "专利、软件著作权等对成果核心技术的覆盖和保护强度。",
            "How well patents, software copyright and the like cover and protect the core of the result.",
        ),
        _value_clause("technical value"),
        "0.100",
        {"transfer": "0.100", "pre_filing": "0.120", "pledge": "0.150", "portfolio": "0.150"},
        _PROTECTABLE,
    ),
    _c(
        "market_size",
        ECONOMIC,
        ("市场规模与需求", "Market size and demand"),
        (
            "目标市场的规模、增长和明确的需求方。",
            "Size and growth of the target market, and identified buyers.",
        ),
        _value_clause("economic value"),
        "0.120",
        {"transfer": "0.120", "pre_filing": "0.100", "pledge": "0.150", "portfolio": "0.150"},
    ),
    _c(
        "expected_return",
        ECONOMIC,
        ("预期经济效益", "Expected economic return"),
        (
            "产业化后的收入、利润或成本节约的预期。",
            "Expected revenue, profit or savings once industrialised.",
        ),
        _value_clause("economic value"),
        "0.100",
        {"transfer": "0.100", "pre_filing": "0.080", "pledge": "0.150", "portfolio": "0.150"},
    ),
    _c(
        "industrialisation_cost",
        ECONOMIC,
        ("产业化投入与周期", "Cost and time to industrialise"),
        (
            "达到量产或上市还需的投入、审批与时间；投入越低、周期越短，得分越高。",
            "Investment, approvals and time still needed to reach production or market; the lower and shorter, the higher the score.",
        ),
        _value_clause("economic value"),
        "0.060",
        {"transfer": "0.060", "pre_filing": "0.040", "pledge": "0.080", "portfolio": "0.080"},
    ),
    _c(
        "social_benefit",
        SOCIAL,
        ("社会效益", "Social benefit"),
        (
            "对健康、安全、环境、就业等公共利益的贡献。",
            "Contribution to public goods such as health, safety, the environment and jobs.",
        ),
        _value_clause("social and cultural value"),
        "0.060",
        {"transfer": "0.060", "pre_filing": "0.050", "pledge": "0.030", "portfolio": "0.040"},
    ),
    _c(
        "cultural_value",
        SOCIAL,
        ("文化价值", "Cultural value"),
        (
            "对文化传承、科学普及或行业规范的贡献。",
            "Contribution to cultural heritage, public understanding of science or industry norms.",
        ),
        _value_clause("social and cultural value"),
        "0.020",
        {"transfer": "0.020", "pre_filing": "0.020", "pledge": "0", "portfolio": "0.010"},
    ),
    _c(
        "demand_match",
        TRANSFER,
        ("需求匹配", "Match with demand"),
        (
            "是否已有企业需求、意向受让方或应用场景。",
            "Whether enterprise demand, an interested licensee or a concrete application already exists.",
        ),
        _value_clause("transfer potential"),
        "0.080",
        {"transfer": "0.080", "pre_filing": "0.080", "pledge": "0.050", "portfolio": "0.080"},
    ),
    _c(
        "team_readiness",
        TRANSFER,
        ("团队转化意愿与能力", "Team's will and capacity to transfer"),
        (
            "发明团队参与后续开发和转化的意愿、时间和能力。",
            "The inventors' willingness, time and ability to support further development and transfer.",
        ),
        _value_clause("transfer potential"),
        "0.060",
        {"transfer": "0.060", "pre_filing": "0.060", "pledge": "0.040", "portfolio": "0.040"},
    ),
    _c(
        "transfer_conditions",
        TRANSFER,
        ("转化条件", "Conditions for transfer"),
        (
            "权属清晰、无纠纷，配套条件与政策支持。",
            "Clear title without disputes, supporting conditions and policy support.",
        ),
        _value_clause("transfer potential"),
        "0.060",
        {"transfer": "0.060", "pre_filing": "0.070", "pledge": "0.100", "portfolio": "0.050"},
    ),
]

LEGAL = ("legal", "法律价值", "Legal value")
PTECH = ("technical", "技术价值", "Technical value")
PECON = ("economic", "经济价值", "Economic value")

PATENT_CRITERIA = [
    _c(
        "legal_status",
        LEGAL,
        ("法律状态稳定性", "Stability of legal status"),
        (
            "授权、审查、无效或诉讼情况，以及被宣告无效的风险。",
            "Granted, under examination, challenged or litigated, and the risk of being invalidated.",
        ),
        _patent_clause("legal value", "legal status"),
        "0.080",
        {"transfer": "0.080", "pre_filing": "0.020", "pledge": "0.120", "portfolio": "0.080"},
    ),
    _c(
        "remaining_term",
        LEGAL,
        ("剩余保护期", "Remaining term"),
        ("距离保护期届满的剩余年限。", "Years left until the protection expires."),
        _patent_clause("legal value", "remaining term"),
        "0.060",
        {"transfer": "0.060", "pre_filing": "0", "pledge": "0.100", "portfolio": "0.080"},
    ),
    _c(
        "claim_scope",
        LEGAL,
        ("权利要求保护范围", "Scope of the claims"),
        (
            "独立权利要求的宽度和可规避难度。",
            "How broad the independent claims are and how hard they are to design around.",
        ),
        _patent_clause("legal value", "scope of protection"),
        "0.100",
        {"transfer": "0.100", "pre_filing": "0.120", "pledge": "0.080", "portfolio": "0.100"},
    ),
    _c(
        "family_coverage",
        LEGAL,
        ("同族布局", "Family coverage"),
        (
            "同族专利覆盖的国家和地区及其与目标市场的吻合度。",
            "Countries and regions covered by the family, and how well they match the target markets.",
        ),
        _patent_clause("legal value", "patent family / territorial coverage"),
        "0.060",
        {"transfer": "0.060", "pre_filing": "0.040", "pledge": "0.060", "portfolio": "0.080"},
    ),
    _c(
        "infringement_detectability",
        LEGAL,
        ("侵权可判定性", "Detectability of infringement"),
        (
            "能否从市售产品或公开信息中发现并证明侵权。",
            "Whether infringement can be detected and proven from products on the market or public information.",
        ),
        _patent_clause("legal value", "detectability of infringement"),
        "0.060",
        {"transfer": "0.060", "pre_filing": "0.080", "pledge": "0.060", "portfolio": "0.060"},
    ),
    _c(
        "advancement",
        PTECH,
        ("技术先进性", "Advancement"),
        ("相对现有技术的进步和效果。", "Progress and effect compared with the prior art."),
        _patent_clause("technical value", "advancement"),
        "0.110",
        {"transfer": "0.110", "pre_filing": "0.160", "pledge": "0.080", "portfolio": "0.080"},
    ),
    _c(
        "substitutability",
        PTECH,
        ("不可替代性", "Non-substitutability"),
        (
            "是否存在可替代的技术方案；越难替代，得分越高。",
            "Whether other technical solutions can replace it; the harder to replace, the higher the score.",
        ),
        _patent_clause("technical value", "substitutability"),
        "0.100",
        {"transfer": "0.100", "pre_filing": "0.140", "pledge": "0.080", "portfolio": "0.080"},
    ),
    _c(
        "maturity",
        PTECH,
        ("技术成熟度", "Maturity"),
        (
            "专利技术付诸实施的成熟程度。",
            "How ready the patented technology is to be put into practice.",
        ),
        _patent_clause("technical value", "maturity"),
        "0.080",
        {"transfer": "0.080", "pre_filing": "0.080", "pledge": "0.080", "portfolio": "0.060"},
    ),
    _c(
        "applicability",
        PTECH,
        ("应用范围", "Range of application"),
        (
            "可应用的产品、行业和场景的广度。",
            "How many products, industries and situations it can be used in.",
        ),
        _patent_own_clause("technical value"),
        "0.060",
        {"transfer": "0.060", "pre_filing": "0.080", "pledge": "0.040", "portfolio": "0.060"},
    ),
    _c(
        "market_size",
        PECON,
        ("市场规模", "Market size"),
        (
            "相关产品的市场规模和增长前景。",
            "Size and growth prospects of the market for the products concerned.",
        ),
        _patent_clause("economic value", "market size"),
        "0.100",
        {"transfer": "0.100", "pre_filing": "0.120", "pledge": "0.100", "portfolio": "0.100"},
    ),
    _c(
        "licensing_status",
        PECON,
        ("许可与实施状况", "Licensing and use"),
        (
            "已实施、许可、转让或质押的情况和收益。",
            "Whether it is already used, licensed, assigned or pledged, and the income from it.",
        ),
        _patent_clause("economic value", "licensing and exploitation status"),
        "0.080",
        {"transfer": "0.080", "pre_filing": "0", "pledge": "0.120", "portfolio": "0.100"},
    ),
    _c(
        "competition",
        PECON,
        ("市场竞争格局", "Competitive position"),
        (
            "权利人及受让方在市场中的竞争地位与竞争对手情况。",
            "The market position of the owner or licensee, and the competitors.",
        ),
        _patent_own_clause("economic value"),
        "0.060",
        {"transfer": "0.060", "pre_filing": "0.080", "pledge": "0.060", "portfolio": "0.060"},
    ),
    _c(
        "policy_fit",
        PECON,
        ("政策适应性", "Fit with policy"),
        ("与产业政策和监管要求的契合程度。", "How well it fits industrial policy and regulation."),
        _patent_own_clause("economic value"),
        "0.040",
        {"transfer": "0.040", "pre_filing": "0.040", "pledge": "0.040", "portfolio": "0.040"},
    ),
]

TRL_CRITERION = {
    "key": "trl",
    "group_key": "readiness",
    "group_zh": "技术成熟度",
    "group_en": "Technology readiness",
    "title_zh": "技术就绪水平（TRL）",
    "title_en": "Technology readiness level (TRL)",
    "description_zh": "选择证据所支持的最高等级，并写明证据（试验报告、样机、临床或现场试验、认证等）。",
    "description_en": "Pick the highest level the evidence supports and state the evidence (test reports, prototypes, clinical or field trials, certification).",
    "clause": f"{TRL_STANDARD}, annex on technology readiness levels (levels 1–9), with the NASA/EU TRL scale",
    "weight": "1.000",
    "purpose_weights": {},
    "kinds": [],
    "levels": TRL_LEVELS,
}

BUILTIN_RUBRICS: list[dict[str, Any]] = [
    {
        "key": "trl",
        "title_zh": "技术就绪水平评价",
        "title_en": "Technology readiness",
        "standard": TRL_STANDARD,
        "kind": "readiness",
        "scale_min": 1,
        "scale_max": 9,
        "description_zh": "依据 GB/T 22900-2022《科学技术研究项目评价通则》关于技术就绪水平的附录，并对照 NASA/欧盟的 TRL 表述，评定成果所处的 1–9 级。定稿后成果的 TRL 随之更新。",
        "description_en": "Rates the result on the nine technology readiness levels of the TRL annex of GB/T 22900-2022 (General rules for the evaluation of S&T research projects), beside the NASA/EU wording. The result's TRL is updated from the finalised round.",
        "criteria": [TRL_CRITERION],
    },
    {
        "key": "result-value",
        "title_zh": "科技成果价值评价",
        "title_en": "Result value",
        "standard": VALUE_STANDARD,
        "kind": "scored",
        "scale_min": 1,
        "scale_max": 5,
        "description_zh": "依据 GB/T 44731-2024《科技成果评估规范》的一级指标：科学价值、技术价值、经济价值、社会与文化价值和转化潜力。二级指标由 OpenTTO 设定；所用维度取决于成果类型，权重取决于评价目的。",
        "description_en": "After the first-level indicators of GB/T 44731-2024 (Specification for the evaluation of S&T results): scientific, technical, economic, social and cultural value, and transfer potential. The second-level criteria are OpenTTO's; the dimensions used depend on the kind of result and the weights on the purpose of the evaluation.",
        "criteria": VALUE_CRITERIA,
    },
    {
        "key": "patent-value",
        "title_zh": "专利价值评价",
        "title_en": "Patent value",
        "standard": PATENT_STANDARD,
        "kind": "scored",
        "scale_min": 1,
        "scale_max": 5,
        "description_zh": "依据 GB/T 42748-2023《专利评估指引》的法律价值、技术价值和经济价值三个一级指标及常用二级指标；权重按场景（许可/转让、质押融资、存量专利管理）设定。",
        "description_en": "After GB/T 42748-2023 (Guidelines for patent evaluation): legal, technical and economic value with their usual second-level indicators; weights per scenario (licence or transfer, pledge financing, portfolio management).",
        "criteria": PATENT_CRITERIA,
    },
]
