"""Demo data for evaluation: finished review rounds (two or three reviewers each, on the result-value
rubric after GB/T 44731-2024) for the story's results past the evaluation step (planning, landing,
landed), a TRL round for the robot-arm and mitral-clip results, and one round under way in which
the demo ``reviewer`` still has to declare and score. Everything goes through the services, at the
story's dates; the story's figures and each result's TRL are unchanged."""

from __future__ import annotations

import random
import zlib
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from opentto.accounts.models import User, UserRoleChoices

from .models import EvaluationSummary, ReviewRound, Rubric
from .selectors import reviewer_conflicts
from .services import (
    ScoreInput,
    review_assign,
    review_declare,
    review_save,
    round_finalise,
    round_open,
)

PAST_EVALUATION = ("planning", "landing", "landed")
#: External experts of the demo (user name, family name, given name).
EXPERTS = (
    ("expert-lin", "Lin", "Siyuan"),
    ("expert-qiao", "Qiao", "Wenbo"),
)
JUSTIFICATIONS = (
    "有试验数据和用户反馈支撑。 / Supported by test data and user feedback.",
    "与同类技术对比优势明确。 / A clear advantage over comparable technologies.",
    "市场调研与意向企业信息可信。 / Credible market research and interest from companies.",
)
MODES = {
    "licence_exclusive": "licence",
    "licence_non_exclusive": "licence",
    "licence": "licence",
    "assignment": "assignment",
    "equity": "equity",
    "spin_off": "spin_off",
    "joint_development": "joint_development",
}


def _experts(password: str) -> list[User]:
    users = []
    for username, fam_en, giv_en in EXPERTS:
        user = User(
            username=username,
            role=UserRoleChoices.REVIEWER,
            first_name=giv_en,
            last_name=fam_en,
            email=f"{username}@demo.opentto.local",
        )
        user.set_password(password)
        user.save()
        users.append(user)
    return users


def _scores(
    review_round: ReviewRound, rng: random.Random, centre: dict[str, int]
) -> dict[str, ScoreInput]:
    out = {}
    for key in review_round.weights:
        value = min(review_round.rubric.scale_max, centre[key] + rng.choice((0, 0, 1)))
        out[key] = ScoreInput(value, rng.choice(JUSTIFICATIONS))
    return out


def _finished_round(
    result,
    rubric: Rubric,
    reviewers: list[User],
    manager: User,
    opened: datetime,
    decided: datetime,
    rng: random.Random,
    story_result,
    trl: int,
) -> ReviewRound:
    review_round = round_open(
        result=result,
        rubric=rubric,
        purpose="transfer",
        deadline=timezone.localdate(opened) + timedelta(days=21),
        actor=manager,
        min_reviews=len(reviewers),
        at=opened,
    )
    if rubric.is_readiness:
        centre = {"trl": trl}
    else:
        base = 4 if story_result.stage in ("landing", "landed") else 3
        centre = {
            key: max(1, min(4, base + rng.choice((-1, 0, 0, 1)))) for key in review_round.weights
        }
    for n, reviewer in enumerate(reviewers):
        when = opened + timedelta(days=1 + n, hours=n)
        assignment = review_assign(
            review_round=review_round, reviewer=reviewer, actor=manager, at=when, notify=False
        )
        review_declare(
            assignment=assignment, has_conflict=False, actor=reviewer, at=when + timedelta(hours=2)
        )
        scores = (
            {
                "trl": ScoreInput(
                    trl - (1 if n == 2 else 0) if trl > 1 else trl,
                    "现场试验与第三方检测报告。 / Field trial and third-party test report.",
                )
            }
            if rubric.is_readiness
            else _scores(review_round, rng, centre)
        )
        review_save(
            assignment=assignment,
            scores=scores,
            actor=reviewer,
            submit=True,
            at=min(decided - timedelta(hours=6 - n), when + timedelta(days=5)),
            notify=False,
        )
    ev = story_result.evaluation
    modes = sorted({MODES.get(d.deal_type, "licence") for d in story_result.deals}) or ["licence"]
    summary_zh, summary_en = (ev.summary_zh, ev.summary_en) if ev else ("", "")
    return round_finalise(
        review_round=review_round,
        recommendation="proceed",
        transfer_modes=modes,
        actor=manager,
        trl_assessed=trl,
        strengths_zh=summary_zh or "技术与市场基础较好。",
        strengths_en=summary_en or "A sound technical and market basis.",
        risks_zh="产业化投入与周期仍需核实。",
        risks_en="The investment and time needed to industrialise still need checking.",
        conditions_zh="完善知识产权布局后进入运营策划。",
        conditions_en="Proceed to planning once the IP layout is completed.",
        at=decided,
        store_report=False,
        notify=False,
    )


def load(context: Any) -> None:
    """``context``: the demo loader's ``DemoContext``."""
    ROBOT_ARM_KEY, MITRAL_CLIP_KEY, _at = context.ROBOT_ARM_KEY, context.MITRAL_CLIP_KEY, context.at
    manager = context.users[UserRoleChoices.MANAGER]
    reviewer = context.users.get(UserRoleChoices.REVIEWER)
    experts = _experts(context.password)
    value = Rubric.objects.get(key="result-value", is_active=True)
    trl_rubric = Rubric.objects.get(key="trl", is_active=True)
    for r in context.story.results:
        if (
            r.stage not in PAST_EVALUATION
            or r.evaluation is None
            or r.evaluation.decision != "proceed"
        ):
            continue
        result = context.results[r.key]
        result.refresh_from_db()
        rng = random.Random(zlib.crc32(r.key.encode()))
        entered = min(t.on for t in r.transitions if t.to_stage == "evaluation")
        decided = _at(r.evaluation.decided_on, 16)
        opened = min(_at(entered, 11) + timedelta(days=1), decided - timedelta(days=2))
        panel = [
            u
            for u in ([reviewer] if reviewer else []) + experts
            if not reviewer_conflicts(u, result)
        ]
        if r.key not in (ROBOT_ARM_KEY, MITRAL_CLIP_KEY):
            panel = panel[: 2 + rng.randint(0, 1)]
        review_round = _finished_round(
            result, value, panel, manager, opened, decided, rng, r, result.trl
        )
        # The story recorded the outcome before rounds existed: that outcome is this round's.
        EvaluationSummary.objects.filter(
            result=result, review_round__isnull=True, decision="proceed"
        ).update(review_round=review_round)
        if r.key in (ROBOT_ARM_KEY, MITRAL_CLIP_KEY):
            _finished_round(
                result,
                trl_rubric,
                panel,
                manager,
                opened + timedelta(hours=1),
                decided - timedelta(hours=1),
                rng,
                r,
                result.trl,
            )
    # A round under way: the demo reviewer is invited and still has to declare and score.
    now = timezone.now()
    waiting = [
        r for r in context.story.results if r.stage == "evaluation" and r.key != ROBOT_ARM_KEY
    ]
    patent = Rubric.objects.get(key="patent-value", is_active=True)
    for r in waiting:
        result = context.results[r.key]
        result.refresh_from_db()
        if (
            reviewer is None
            or reviewer_conflicts(reviewer, result)
            or result.kind != "invention_patent"
        ):
            continue
        review_round = round_open(
            result=result,
            rubric=patent,
            purpose="transfer",
            deadline=timezone.localdate() + timedelta(days=10),
            actor=manager,
            at=now - timedelta(days=4),
        )
        first = review_assign(
            review_round=review_round,
            reviewer=experts[0],
            actor=manager,
            at=now - timedelta(days=4),
            notify=False,
        )
        review_declare(
            assignment=first, has_conflict=False, actor=experts[0], at=now - timedelta(days=3)
        )
        review_save(
            assignment=first,
            scores=_scores(review_round, random.Random(7), dict.fromkeys(review_round.weights, 3)),
            actor=experts[0],
            submit=True,
            at=now - timedelta(days=2),
            notify=False,
        )
        review_assign(
            review_round=review_round, reviewer=reviewer, actor=manager, at=now - timedelta(days=4)
        )
        break
