"""The columns each kind of import understands, their aliases (the headers that patent databases
and our own exports use) and the template a user downloads."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import ImportKindChoices


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    required: bool = False
    aliases: tuple[str, ...] = ()
    help: str | Promise = ""
    example: str = ""


RESULT_CONTENT = [
    Column(
        "title_zh",
        _("Title (Chinese)"),
        aliases=("标题", "成果名称", "名称", "发明名称", "专利名称", "title (chinese)"),
        help=_("Chinese or English title, or both."),
        example="高精度柔性机械臂",
    ),
    Column(
        "title_en",
        _("Title (English)"),
        aliases=("title", "english title", "title (english)"),
        example="High-precision flexible robot arm",
    ),
    Column(
        "abstract_zh", _("Abstract (Chinese)"), aliases=("摘要", "中文摘要", "abstract (chinese)")
    ),
    Column(
        "abstract_en",
        _("Abstract (English)"),
        aliases=("abstract", "english abstract", "abstract (english)"),
    ),
    Column("advantages_zh", _("Advantages (Chinese)"), aliases=("技术优势", "优势")),
    Column("advantages_en", _("Advantages (English)"), aliases=("advantages",)),
    Column("applications_zh", _("Applications (Chinese)"), aliases=("应用领域", "应用场景")),
    Column("applications_en", _("Applications (English)"), aliases=("applications",)),
    Column(
        "keywords_zh",
        _("Keywords (Chinese)"),
        aliases=("关键词",),
        help=_("Separated by semicolons or commas"),
    ),
    Column(
        "keywords_en", _("Keywords (English)"), aliases=("keywords",), help=_("Separated by ; or ,")
    ),
    Column(
        "owners",
        _("Owner organisations"),
        required=True,
        aliases=(
            "所有人",
            "权利人",
            "完成单位",
            "申请人",
            "申请(专利权)人",
            "申请（专利权）人",
            "专利权人",
            "applicant",
            "applicants",
            "assignee",
            "owner",
            "owners",
        ),
        help=_(
            "Names or unified social credit codes of organisations already on the platform, separated by ;"
        ),
        example="交叉信息研究院",
    ),
    Column(
        "inventors",
        _("Inventors"),
        required=True,
        aliases=("发明人", "完成人", "inventor"),
        help=_(
            "Names separated by ; with an optional share after a colon (Li Ming:60;Wang Fang:40); without shares they are split equally. Unknown names are added as people of the first owner."
        ),
        example="李明:60;王芳:40",
    ),
    Column(
        "application_number",
        _("Application number"),
        aliases=("申请号", "专利申请号", "application no", "application no.", "application number"),
        help=_(
            "The natural key: a row whose application number is already on the platform updates that patent and creates nothing."
        ),
        example="CN202210123456.1",
    ),
    Column("ip_kind", _("IP kind"), aliases=("专利类型", "ip type", "patent type")),
    Column(
        "filing_date",
        _("Filing date"),
        aliases=("申请日", "filing date", "application date"),
        help=_("YYYY-MM-DD"),
        example="2022-01-05",
    ),
    Column(
        "publication_number",
        _("Publication number"),
        aliases=(
            "公开号",
            "公开(公告)号",
            "公开（公告）号",
            "publication no",
            "publication number",
        ),
    ),
    Column(
        "grant_number",
        _("Grant number"),
        aliases=("授权公告号", "授权号", "grant no", "grant number"),
    ),
    Column(
        "grant_date",
        _("Grant date"),
        aliases=("授权公告日", "授权日", "grant date"),
        help=_("YYYY-MM-DD"),
    ),
    Column(
        "ip_status", _("IP status"), aliases=("法律状态", "当前法律状态", "legal status", "status")
    ),
]

RESULT_COLUMNS = [
    *RESULT_CONTENT[:8],
    Column(
        "kind",
        _("Kind of result"),
        required=True,
        aliases=("成果类型", "类型", "kind"),
        help=_(
            "A code (invention_patent, software_copyright, …) or its name in Chinese or English."
        ),
        example="invention_patent",
    ),
    Column(
        "field",
        _("Field"),
        required=True,
        aliases=("技术领域", "领域", "field"),
        help=_("A code (ai, ic, biomedicine, …) or its name."),
        example="ai",
    ),
    Column(
        "trl",
        _("TRL"),
        required=True,
        aliases=("技术成熟度", "成熟度", "trl"),
        help=_("A whole number from 1 to 9."),
        example="5",
    ),
    Column(
        "public",
        _("Public"),
        aliases=("公开", "是否公开", "public"),
        help=_("yes/no; empty = confidential."),
        example="yes",
    ),
    *RESULT_CONTENT[8:],
]

PATENT_COLUMNS = [
    Column(
        "application_number",
        _("Application number"),
        required=True,
        aliases=RESULT_CONTENT[12].aliases,
        example="CN202210123456.1",
    ),
    *[
        c
        for c in RESULT_CONTENT
        if c.key
        not in {
            "application_number",
            "advantages_zh",
            "advantages_en",
            "applications_zh",
            "applications_en",
        }
    ],
    Column(
        "field",
        _("Field"),
        aliases=("技术领域", "领域", "field"),
        help=_("Empty: the default chosen for the import."),
    ),
    Column(
        "trl",
        _("TRL"),
        aliases=("技术成熟度", "trl"),
        help=_("Empty: the default chosen for the import."),
    ),
]

ORGANISATION_COLUMNS = [
    Column(
        "name_zh",
        _("Name (Chinese)"),
        aliases=("名称", "单位名称", "机构名称", "企业名称", "name (chinese)"),
        example="智造机器人有限公司",
    ),
    Column(
        "name_en",
        _("Name (English)"),
        aliases=("name", "english name", "name (english)"),
        example="SmartMake Robotics Ltd",
    ),
    Column(
        "kind",
        _("Kind"),
        required=True,
        aliases=("类型", "机构类型", "kind"),
        help=_(
            "university, institute, hospital, enterprise, investor, bank, government, service — or the name."
        ),
        example="enterprise",
    ),
    Column(
        "credit_code",
        _("Unified social credit code"),
        aliases=("统一社会信用代码", "信用代码", "credit code"),
        help=_(
            "The natural key: an organisation with this code already on the platform is left as it is."
        ),
        example="91110108MA01ABCDE0",
    ),
    Column("city_zh", _("City (Chinese)"), aliases=("城市", "所在地")),
    Column("city_en", _("City (English)"), aliases=("city",)),
    Column("description_zh", _("Description (Chinese)"), aliases=("简介", "介绍")),
    Column("description_en", _("Description (English)"), aliases=("description",)),
]

PERSON_COLUMNS = [
    Column("name_zh", _("Name (Chinese)"), aliases=("姓名", "name (chinese)"), example="李明"),
    Column(
        "name_en",
        _("Name (English)"),
        aliases=("name", "english name", "name (english)"),
        example="Li Ming",
    ),
    Column(
        "email",
        _("E-mail"),
        aliases=("邮箱", "电子邮件", "e-mail", "email"),
        help=_("The natural key when given: a person with this e-mail is left as they are."),
    ),
    Column(
        "organisation",
        _("Organisation"),
        aliases=("单位", "所在单位", "organisation", "organization"),
        help=_("Name or credit code of an organisation on the platform."),
    ),
    Column(
        "role",
        _("Role"),
        aliases=("角色", "role"),
        help=_("researcher, team_lead, staff, manager, contact — or the name."),
        example="researcher",
    ),
    Column("position_zh", _("Position (Chinese)"), aliases=("职务", "职称")),
    Column("position_en", _("Position (English)"), aliases=("position", "title")),
]

COLUMNS: dict[str, list[Column]] = {
    ImportKindChoices.RESULTS: RESULT_COLUMNS,
    ImportKindChoices.PATENTS: PATENT_COLUMNS,
    ImportKindChoices.ORGANISATIONS: ORGANISATION_COLUMNS,
    ImportKindChoices.PEOPLE: PERSON_COLUMNS,
}


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-:：*]+", "", str(header or "").strip().lower())


def suggest_mapping(kind: str, headers: list[str]) -> dict[str, str]:
    """Guess the column for each header (``{"0": "title_zh", …}``, by the header's position) from
    its key, its label in either language or an alias; each column is used once."""
    from django.utils import translation

    lookup: dict[str, str] = {}
    for column in COLUMNS[kind]:
        names = [column.key, *column.aliases]
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                names.append(str(column.label))
        for name in names:
            lookup.setdefault(_norm(name), column.key)
    used: set[str] = set()
    mapping: dict[str, str] = {}
    for index, header in enumerate(headers):
        key = lookup.get(_norm(header), "")
        if key and key not in used:
            mapping[str(index)] = key
            used.add(key)
    return mapping
