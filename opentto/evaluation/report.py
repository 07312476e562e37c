"""The bilingual evaluation report as a PDF (``opentto.core.pdf.ReportPDF``), built only from the
stored round, rubric and scores, so it can be reproduced at any time. Reviewers are numbered,
never named: the report goes to inventors, banks and investors."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from opentto.core.pdf import ReportPDF

from .models import (
    EvaluationDecisionChoices,
    ReviewPurposeChoices,
    ReviewRound,
    TransferModeChoices,
)
from .scoring import CriterionStats, opportunity_risk, round_statistics

DECISION_LABELS = {
    "proceed": ("推进至运营策划", "Proceed to planning"),
    "improve": ("完善后重新提交", "Improve and resubmit"),
    "decline": ("不予推进", "Decline"),
}
PURPOSE_LABELS = {
    "transfer": ("转化评价", "Transfer evaluation"),
    "pre_filing": ("专利申请前评估", "Pre-filing assessment"),
    "pledge": ("知识产权质押融资", "IP pledge financing"),
    "portfolio": ("存量专利评估", "Portfolio review"),
    "subsidy_review": ("补贴项目评审", "Subsidy project review"),
    "poc_gate": ("概念验证通过/不通过评审", "Proof-of-concept go/no-go review"),
}
MODE_LABELS = {
    "licence": ("许可", "Licence"),
    "assignment": ("转让", "Assignment"),
    "equity": ("作价入股", "Equity"),
    "spin_off": ("创办企业", "Spin-off"),
    "joint_development": ("合作开发", "Joint development"),
}
assert set(DECISION_LABELS) == set(EvaluationDecisionChoices.values)
assert set(PURPOSE_LABELS) == set(ReviewPurposeChoices.values)
assert set(MODE_LABELS) == set(TransferModeChoices.values)


def _both(pair: tuple[str, str]) -> str:
    return f"{pair[0]} / {pair[1]}"


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d") if moment else "—"


def _text(zh: str, en: str) -> str:
    return "\n".join(t for t in (zh, en) if t) or "—"


def report_pdf(review_round: ReviewRound) -> bytes:
    r = review_round
    result = r.result
    rubric = r.rubric
    stats = round_statistics(r)
    pdf = ReportPDF(
        title="转化评价报告 / Evaluation report",
        subtitle=f"{result.title_zh}\n{result.title_en}".strip(),
        footer=f"OpenTTO · {rubric.standard} · #{r.pk}",
    )
    if r.finalised_at:
        pdf.set_creation_date(r.finalised_at)
    pdf.facts(
        [
            (
                "评价标准 / Rubric",
                f"{rubric.title_zh} / {rubric.title_en} (v{rubric.version}, {rubric.standard})",
            ),
            ("评价目的 / Purpose", _both(PURPOSE_LABELS[r.purpose])),
            ("开始 / Opened", _local(r.opened_at)),
            ("定稿 / Finalised", _local(r.finalised_at)),
            (
                "评审专家 / Reviewers",
                f"{stats.submitted_count}" + (" (盲评 / blind)" if r.is_blind else ""),
            ),
            (
                "结论 / Recommendation",
                _both(DECISION_LABELS[r.recommendation]) if r.recommendation else "—",
            ),
            (
                "转化模式 / Transfer modes",
                "; ".join(_both(MODE_LABELS[m]) for m in r.transfer_modes) or "—",
            ),
            ("技术就绪水平 / TRL", f"TRL {r.trl_assessed}" if r.trl_assessed else "—"),
            (
                "综合得分 / Overall score",
                f"{r.overall_score} / 100" if r.overall_score is not None else "—",
            ),
        ]
    )
    if not rubric.is_readiness:
        pdf.heading("维度画像 / Profile by dimension")
        pdf.bars(
            [
                (
                    f"{g.label_zh} / {g.label_en}",
                    float(g.mean or 0),
                    f"{g.mean} / {rubric.scale_max}" if g.mean is not None else "—",
                )
                for g in stats.groups
            ],
            maximum=float(rubric.scale_max),
        )
        view = opportunity_risk(stats)
        pdf.heading("机会与风险 / Opportunities and risks")
        pdf.paragraph(
            f"均分 ≥ {view.high_from} 的指标列为优势与机会，≤ {view.low_to} 的列为风险（仿 EPO IPscore）。\n"
            f"Criteria with a mean of {view.high_from} or more are strengths and opportunities; {view.low_to} or less are risks (after the EPO's IPscore).",
            size=9,
        )

        def cell(c: CriterionStats) -> str:
            return f"{c.mean}  {c.criterion.title_zh} / {c.criterion.title_en}"

        left = [cell(c) for c in view.opportunities] or ["—"]
        right = [cell(c) for c in view.risks] or ["—"]
        depth = max(len(left), len(right))
        pdf.data_table(
            ["优势与机会 / Strengths and opportunities", "风险 / Risks"],
            [
                [left[i] if i < len(left) else "", right[i] if i < len(right) else ""]
                for i in range(depth)
            ],
            widths=(83, 83),
        )
    pdf.heading("指标得分 / Scores by criterion")
    header = [
        "指标 / Criterion",
        "权重 / Weight",
        "平均 / Mean",
        "最低–最高 / Range",
        "标准差 / SD",
    ]
    rows = [
        [
            f"{c.criterion.title_zh}\n{c.criterion.title_en}",
            f"{c.weight * 100:.1f}%",
            str(c.mean or "—"),
            f"{c.minimum}–{c.maximum}" if c.minimum is not None else "—",
            str(c.sd if c.sd is not None else "—"),
        ]
        for c in stats.criteria
    ]
    pdf.data_table(header, rows, widths=(70, 22, 22, 30, 22))
    if rubric.is_readiness and stats.criteria:
        levels = {lv["level"]: lv for lv in stats.criteria[0].criterion.levels}
        if r.trl_assessed and r.trl_assessed in levels:
            lv = levels[r.trl_assessed]
            pdf.paragraph(
                f"TRL {r.trl_assessed}：{lv['title_zh']} — {lv['gb_zh']}\nTRL {r.trl_assessed}: {lv['title_en']} — {lv['nasa_en']}"
            )
    pdf.heading("评审专家统计 / Reviewer statistics")
    pdf.data_table(
        ["评审专家 / Reviewer", "加权得分 / Weighted score", "百分制 / Out of 100"],
        [
            [f"专家 {rv.label} / Reviewer {rv.label}", str(rv.total or "—"), str(rv.percent or "—")]
            for rv in stats.reviewers
        ],
        widths=(70, 50, 46),
    )
    if r.consensus_note:
        pdf.paragraph(f"协商说明 / Consensus note: {r.consensus_note}", size=9.5)
    pdf.heading("优势 / Strengths")
    pdf.paragraph(_text(r.strengths_zh, r.strengths_en))
    pdf.heading("风险 / Risks")
    pdf.paragraph(_text(r.risks_zh, r.risks_en))
    pdf.heading("条件 / Conditions")
    pdf.paragraph(_text(r.conditions_zh, r.conditions_en))
    pdf.paragraph(
        f"依据 {rubric.standard}；指标出处见各指标说明。本报告由平台根据存储的评分生成。\n"
        f"Based on {rubric.standard}; each criterion records its place in the standard. Generated by the platform from the stored scores.",
        size=8.5,
    )
    return pdf.to_bytes()
