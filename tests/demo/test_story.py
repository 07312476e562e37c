"""The demo story generator (pure Python; no database, no Django settings needed)."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from opentto.demo.story import (
    MITRAL_CLIP_KEY,
    ROBOT_ARM_KEY,
    TODAY,
    Result,
    Story,
    build_story,
    cn_application_check_char,
    uscc_check_char,
)

SEEDS = (20221111, 1, 42)
CJK = re.compile(r"[\u4e00-\u9fff]")

EXPECTED_STAGES = {
    "landed": 10,
    "landing": 8,
    "planning": 14,
    "evaluation": 18,
    "onboarding": 38,
    "on_hold": 4,
    "withdrawn": 2,
    "declined": 2,
}
ORG_KINDS = {
    "university",
    "institute",
    "hospital",
    "enterprise",
    "investor",
    "bank",
    "government",
    "service",
}
RESULT_KINDS = {
    "invention_patent",
    "utility_model",
    "design",
    "software_copyright",
    "know_how",
    "prototype",
    "drug",
    "medical_device",
    "new_material",
    "other",
}
FIELDS = {"ai", "ic", "biomedicine", "medical_devices", "new_materials", "green_energy"}
IP_KINDS = {"invention", "utility", "design", "software_copyright", "pct"}
IP_STATUSES = {"filed", "published", "under_examination", "granted", "lapsed"}
DEAL_TYPES = {
    "licence_exclusive",
    "licence_sole",
    "licence_non_exclusive",
    "assignment",
    "equity",
    "spin_off",
    "joint_development",
    "commissioned_rd",
}
TRANSFER_MODES = {"licence", "assignment", "equity", "spin_off", "joint_development"}
ACTIVE = ("onboarding", "evaluation", "planning", "landing")


# independent re-implementations of the check characters -------------------------------------


def _uscc_ok(code: str) -> bool:
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    if len(code) != 18 or any(c not in charset for c in code):
        return False
    total = sum(charset.index(c) * w for c, w in zip(code[:17], weights, strict=True))
    return charset[(31 - total % 31) % 31] == code[17]


def _cn_app_ok(number: str) -> bool:
    m = re.fullmatch(r"CN(\d{4})([1238])(\d{7})\.([0-9X])", number)
    if not m:
        return False
    digits = number[2:14]
    total = (
        sum(int(d) * w for d, w in zip(digits, [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5], strict=True))
        % 11
    )
    return ("X" if total == 10 else str(total)) == m.group(4)


@pytest.fixture(scope="module", params=SEEDS)
def story(request: pytest.FixtureRequest) -> Story:
    return build_story(request.param)


@pytest.fixture(scope="module")
def default_story() -> Story:
    return build_story()


def _walk(obj: object, path: str = ""):
    """Yield (path, value) for every leaf of a dataclass tree."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _walk(getattr(obj, f.name), f"{path}.{f.name}")
    elif isinstance(obj, list | tuple):
        for i, item in enumerate(obj):
            yield from _walk(item, f"{path}[{i}]")
    else:
        yield path, obj


# helpers ----------------------------------------------------------------------------------------


def test_helpers_match_the_standards():
    assert cn_application_check_char("202210123456") == "1"
    for digits in ("201910123456", "202380012345", "202420000001"):
        assert _cn_app_ok(f"CN{digits}.{cn_application_check_char(digits)}")
    assert cn_application_check_char("000000000002") == "X"  # 2 * 5 = 10
    for first17 in ("91310104MA1FL0000", "12310000425012345", "11310104000000000"):
        assert _uscc_ok(first17 + uscc_check_char(first17))


def test_determinism():
    assert build_story() == build_story()
    assert build_story(7) == build_story(7)
    assert build_story(7) != build_story(8)


# counts and money -------------------------------------------------------------------------------


def test_exact_stage_counts(story: Story):
    assert len(story.results) == 96
    assert Counter(r.stage for r in story.results) == EXPECTED_STAGES
    incubated = [r for r in story.results if r.stage not in ("withdrawn", "declined")]
    assert len(incubated) == 92


def test_landed_deals(story: Story):
    landed = [r for r in story.results if r.stage == "landed"]
    assert len(landed) == 10
    total = Decimal("0")
    for r in landed:
        signed = [d for d in r.deals if d.status == "signed"]
        assert len(signed) == 1, r.key
        deal = signed[0]
        assert deal.signed_on is not None
        assert deal.signed_on == r.transitions[-1].on
        assert deal.amount_cny == deal.amount_cny.quantize(Decimal("0.01"))
        total += deal.amount_cny
    assert Decimal("500000000") <= total <= Decimal("560000000")
    assert story.landed_amount() == total
    # no signed deals outside landed results
    assert all(d.status != "signed" for r in story.results if r.stage != "landed" for d in r.deals)


def test_extra_deals(story: Story):
    extra = [(r, d) for r in story.results for d in r.deals if d.status != "signed"]
    assert sorted(d.status for _, d in extra) == ["draft", "terminated"]
    for r, d in extra:
        assert r.stage == "landing"
        assert all(t.to_stage != "landed" for t in r.transitions)
        if d.status == "draft":
            assert d.signed_on is None
        else:
            assert d.signed_on is not None and d.terminated_on is not None
            landing_on = max(t.on for t in r.transitions if t.to_stage == "landing")
            assert landing_on <= d.signed_on <= d.terminated_on <= TODAY
    assert len({r.key for r, _ in extra}) == 2


def test_deal_fields(story: Story):
    org_keys = {o.key for o in story.organisations}
    for r in story.results:
        for d in r.deals:
            assert d.deal_type in DEAL_TYPES
            assert d.status in {"draft", "signed", "terminated"}
            assert d.counterparty_key in org_keys
            assert d.amount_cny > 0
            assert d.counterparty_key not in r.owner_keys


# results ----------------------------------------------------------------------------------------


def test_result_fields(story: Story):
    org_keys = {o.key for o in story.organisations}
    people = {p.key: p for p in story.people}
    for r in story.results:
        assert r.kind in RESULT_KINDS and r.field in FIELDS
        assert 1 <= len(r.owner_keys) <= 2 and set(r.owner_keys) <= org_keys
        assert len(set(r.owner_keys)) == len(r.owner_keys)
        assert 1 <= r.trl <= 9
        assert 3 <= len(r.keywords_zh) <= 6 and 3 <= len(r.keywords_en) <= 6
        assert len(set(r.keywords_zh)) == len(r.keywords_zh)
        assert 1 <= len(r.inventors) <= 4
        assert sum((i.share for i in r.inventors), Decimal("0")) == Decimal("100")
        assert len({i.person_key for i in r.inventors}) == len(r.inventors)
        for i in r.inventors:
            assert i.share > 0 and i.share == i.share.quantize(Decimal("0.01"))
            assert people[i.person_key].org_key in r.owner_keys
        assert date(2022, 1, 1) <= r.onboarded_on <= TODAY
        if r.kind == "know_how":
            assert r.ip_assets == []
        if r.kind == "software_copyright":
            assert any(a.ip_kind == "software_copyright" for a in r.ip_assets)
        if r.plan is not None:
            assert r.plan.transfer_mode in TRANSFER_MODES
        if r.evaluation is not None:
            assert r.evaluation.decision in {"proceed", "improve", "decline"}
            assert 1 <= r.evaluation.trl_assessed <= 9


def test_mix(story: Story):
    assert Counter(r.field for r in story.results).keys() == FIELDS
    confidential = sum(r.confidential for r in story.results)
    assert confidential == 19
    funded = sum(bool(r.funding) for r in story.results)
    assert 30 <= funded <= 65
    years = Counter(r.onboarded_on.year for r in story.results)
    assert set(years) == {2022, 2023, 2024, 2025, 2026}
    with_ip = sum(1 <= len(r.ip_assets) <= 3 for r in story.results)
    assert with_ip >= 60
    assert any(f.government_funded for r in story.results for f in r.funding)
    assert any(not f.government_funded for r in story.results for f in r.funding)


def test_unique_keys_titles_and_numbers(story: Story):
    for attr in ("key", "title_zh", "title_en", "abstract_zh", "abstract_en"):
        values = [getattr(r, attr) for r in story.results]
        assert len(set(values)) == len(values), attr
    assert len({o.key for o in story.organisations}) == len(story.organisations)
    assert len({p.key for p in story.people}) == len(story.people)
    assert len({p.email for p in story.people}) == len(story.people)
    assert len({p.name_zh for p in story.people}) == len(story.people)
    apps = [a.application_number for r in story.results for a in r.ip_assets]
    assert len(set(apps)) == len(apps)
    numbers: list[str] = []
    for r in story.results:
        for a in r.ip_assets:
            numbers += sorted(
                {
                    n
                    for n in (a.publication_number, a.grant_number)
                    if n and n != a.application_number
                }
            )
    assert len(set(numbers)) == len(numbers)
    grants = [f.grant_number for r in story.results for f in r.funding]
    assert len(set(grants)) == len(grants)
    assert not any(
        re.search(r"(?i)result \d+|成果\s*\d+$|lorem", r.title_en + r.title_zh)
        for r in story.results
    )


def test_ip_assets(story: Story):
    for r in story.results:
        for a in r.ip_assets:
            assert a.ip_kind in IP_KINDS and a.status in IP_STATUSES
            assert a.filing_date <= TODAY
            if a.grant_date is not None:
                assert a.filing_date <= a.grant_date <= TODAY
                assert a.grant_number
            if a.status in ("granted", "lapsed"):
                assert a.grant_number and a.grant_date is not None
            if a.jurisdiction == "CN" and a.ip_kind in ("invention", "utility", "design"):
                assert _cn_app_ok(a.application_number), a.application_number
                digit = a.application_number[6]
                assert (
                    digit == {"invention": "1", "utility": "2", "design": "3"}[a.ip_kind]
                    or digit == "8"
                )
                assert int(a.application_number[2:6]) == a.filing_date.year
                if a.ip_kind == "invention" and a.publication_number:
                    assert re.fullmatch(r"CN\d{9}A", a.publication_number)
                if a.ip_kind == "invention" and a.grant_number:
                    assert a.grant_number == a.publication_number[:-1] + "B"
                if a.ip_kind == "utility" and a.grant_number:
                    assert re.fullmatch(r"CN2\d{8}U", a.grant_number)
            elif a.ip_kind == "software_copyright":
                assert re.fullmatch(r"\d{4}SR\d{7}", a.application_number)
                assert a.status == "granted"
            elif a.ip_kind == "pct":
                assert a.jurisdiction == "WO"
                assert re.fullmatch(r"PCT/CN\d{4}/\d{6}", a.application_number)
                assert a.status in ("filed", "published")
            elif a.jurisdiction == "US":
                assert re.fullmatch(r"US1[789]\d{6}", a.application_number)
            elif a.jurisdiction == "EP":
                assert re.fullmatch(r"EP\d{8}\.\d", a.application_number)
            elif a.jurisdiction == "JP":
                assert re.fullmatch(r"JP\d{4}-\d{6}", a.application_number)
            else:
                pytest.fail(f"unexpected asset {a}")


# pipeline ---------------------------------------------------------------------------------------


def _replay(r: Result) -> str:
    stage = "onboarding"
    hold_from: str | None = None
    last = r.onboarded_on
    for t in r.transitions:
        assert t.on >= last, (r.key, t)
        assert t.on <= TODAY
        assert t.actor_role in {"manager", "inventor"}
        target = t.to_stage
        if stage == "onboarding" and target == "evaluation":
            pass
        elif stage == "evaluation" and target == "planning":
            assert t.actor_role == "manager"
            assert r.evaluation is not None and r.evaluation.decision == "proceed", r.key
            assert r.evaluation.decided_on <= t.on
        elif stage == "evaluation" and target == "declined":
            assert t.actor_role == "manager"
            assert r.evaluation is not None and r.evaluation.decision == "decline", r.key
            assert r.evaluation.decided_on <= t.on
        elif stage == "planning" and target == "landing":
            assert t.actor_role == "manager"
            assert r.plan is not None and r.plan.approved_on <= t.on, r.key
        elif stage == "landing" and target == "landed":
            assert t.actor_role == "manager"
            assert any(d.status == "signed" and d.signed_on == t.on for d in r.deals), r.key
        elif stage in ACTIVE and target == "on_hold":
            assert t.actor_role == "manager"
            hold_from = stage
        elif stage == "on_hold" and target == hold_from:
            assert t.actor_role == "manager"
            hold_from = None
        elif target == "withdrawn" and stage not in ("landed", "withdrawn", "declined"):
            pass
        else:
            pytest.fail(f"{r.key}: illegal {stage} -> {target}")
        stage = target
        last = t.on
    return stage


def test_transitions_are_legal(story: Story):
    for r in story.results:
        assert _replay(r) == r.stage
        if r.evaluation is not None:
            entered = min(t.on for t in r.transitions if t.to_stage == "evaluation")
            assert entered <= r.evaluation.decided_on <= TODAY
        if r.plan is not None:
            entered = min(t.on for t in r.transitions if t.to_stage == "planning")
            assert entered <= r.plan.approved_on <= TODAY
        if r.stage in ("planning", "landing", "landed"):
            assert r.evaluation is not None and r.evaluation.decision == "proceed"
        if r.stage in ("landing", "landed"):
            assert r.plan is not None
    assert any(
        t.to_stage == "on_hold"
        for r in story.results
        if r.stage != "on_hold"
        for t in r.transitions
    )


def test_all_dates_not_after_today(story: Story):
    seen = 0
    for path, value in _walk(story):
        if isinstance(value, date):
            seen += 1
            assert value <= TODAY, path
            assert value >= date(2017, 1, 1), path
    assert seen > 400


# texts ------------------------------------------------------------------------------------------


def test_bilingual_texts_non_empty(story: Story):
    optional = (".last_name_zh", ".last_name_en")  # the admin user has no family name
    checked = 0
    for path, value in _walk(story):
        leaf = path.rsplit(".", 1)[-1]
        if re.search(r"_(zh|en)(\[\d+\])?$", leaf):
            if path.startswith(".users") and path.endswith(optional):
                continue
            assert isinstance(value, str) and value.strip(), path
            checked += 1
            is_keyword = "keywords" in leaf
            if leaf.endswith("_en") or re.search(r"_en\[\d+\]$", leaf):
                assert not CJK.search(value), (path, value)
            elif not is_keyword:
                assert CJK.search(value), (path, value)
    assert checked > 2000


def test_texts_are_substantial(story: Story):
    for r in story.results:
        assert r.abstract_zh.count("。") >= 2 and len(r.abstract_en.split(". ")) >= 2
        assert len(r.details_en) > 80 and len(r.advantages_en) > 40 and len(r.applications_en) > 30
        assert (
            "{" not in r.abstract_en + r.abstract_zh + r.details_en + r.details_zh + r.advantages_zh
        )


# organisations, people, users -------------------------------------------------------------------


def test_organisations(story: Story):
    assert 12 <= len(story.organisations) <= 16
    kinds = Counter(o.kind for o in story.organisations)
    assert set(kinds) <= ORG_KINDS
    assert kinds["enterprise"] in (5, 6) and kinds["hospital"] >= 1 and kinds["investor"] >= 1
    assert kinds["bank"] >= 1 and kinds["government"] == 1 and kinds["service"] == 1
    for o in story.organisations:
        assert o.credit_code == "" or _uscc_ok(o.credit_code), o
    gov = next(o for o in story.organisations if o.kind == "government")
    assert "徐汇区科学技术委员会" in gov.name_zh
    platform = next(o for o in story.organisations if o.kind == "service")
    assert "徐汇" in platform.name_zh and "技术转移" in platform.name_zh
    assert any("交叉信息研究院" in o.name_zh for o in story.organisations)


def test_people(story: Story):
    orgs = {o.key: o for o in story.organisations}
    researchers = [
        p
        for p in story.people
        if orgs[p.org_key].kind in ("university", "institute", "hospital") and p.is_researcher
    ]
    assert len(researchers) >= 38
    for p in story.people:
        assert p.org_key in orgs
        assert re.fullmatch(r"[a-z0-9.]+@[a-z0-9.-]+\.example", p.email), p.email
        assert re.fullmatch(r"[A-Z][a-zü]+ [A-Z][a-z]+", p.name_en), p.name_en


def test_users(story: Story):
    users = {u.username: u for u in story.users}
    assert {u: users[u].role for u in users} == {
        "admin": "admin",
        "manager": "manager",
        "inventor": "inventor",
        "enterprise": "enterprise",
        "reviewer": "reviewer",
        "official": "official",
        "investor": "investor",
    }
    orgs = {o.key: o for o in story.organisations}
    people = {p.key: p for p in story.people}
    for u in story.users:
        if u.person_key:
            assert people[u.person_key].org_key == u.org_key
    assert orgs[users["manager"].org_key].kind == "service"
    assert orgs[users["official"].org_key].kind == "government"
    assert orgs[users["investor"].org_key].kind == "investor"
    assert orgs[users["enterprise"].org_key].kind == "enterprise"
    assert "机器人" in orgs[users["enterprise"].org_key].name_zh
    inventor = users["inventor"]
    assert "交叉信息研究院" in orgs[inventor.org_key].name_zh
    robot = story.result(ROBOT_ARM_KEY)
    assert robot.inventors[0].person_key == inventor.person_key
    reviewer = users["reviewer"]
    assert orgs[reviewer.org_key].kind == "university" and reviewer.org_key != inventor.org_key


# the two cases of the report --------------------------------------------------------------------


def test_robot_arm_case(default_story: Story):
    r = default_story.result(ROBOT_ARM_KEY)
    assert r.field == "ai" and r.kind in ("know_how", "invention_patent")
    assert r.stage == "planning" and r.evaluation is not None and r.evaluation.decision == "proceed"
    assert not r.confidential
    for word in ("强化学习", "机械臂", "多步骤", "工业机器人", "娱乐", "助理教授"):
        assert word in r.abstract_zh + r.applications_zh, word
    for word in (
        "reinforcement",
        "robot arm",
        "industrial robots",
        "entertainment",
        "assistant professor",
    ):
        assert word in r.abstract_en.lower() + r.applications_en.lower(), word


def test_mitral_clip_case(default_story: Story):
    r = default_story.result(MITRAL_CLIP_KEY)
    assert r.field == "medical_devices" and r.kind == "medical_device" and r.stage == "landing"
    assert r.evaluation is not None and r.evaluation.decision == "proceed" and r.plan is not None
    assert not r.confidential
    assert "经心尖二尖瓣夹合器" in r.title_zh and "mitral" in r.title_en.lower()
    for word in ("六年", "临床试验", "国家药品监督管理局"):
        assert word in r.abstract_zh, word
    for word in ("six years", "clinical trial", "NMPA"):
        assert word in r.abstract_en, word
    kinds = {(a.jurisdiction, a.ip_kind) for a in r.ip_assets}
    assert ("CN", "invention") in kinds and ("WO", "pct") in kinds
    assert {"US", "EP"} <= {a.jurisdiction for a in r.ip_assets}
    lead = default_story.person(r.inventors[0].person_key)
    assert (
        default_story.organisation(lead.org_key).kind == "hospital" and "心内科" in lead.position_zh
    )
    for word in ("知识产权布局", "融资", "海外"):
        assert word in r.plan.summary_zh, word


def test_big_drug_deal(default_story: Story):
    amounts = sorted(d.amount_cny for r in default_story.results for d in r.signed_deals)
    assert amounts[-1] == Decimal("280000000.00")
    big = next(
        r for r in default_story.results for d in r.signed_deals if d.amount_cny == amounts[-1]
    )
    assert (
        big.field == "biomedicine"
        and big.kind == "drug"
        and big.signed_deals[0].deal_type == "equity"
    )
    assert all(Decimal("3000000") <= a <= Decimal("60000000") for a in amounts[:-1])
