"""What a line of "My work" is, the kinds of line and the due windows of the filter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class WorkItem:
    """One thing waiting for the user: ``title`` in the page's language, ``due`` (``None``: no
    date), ``url`` where it is done, the object it is about (``object_type`` as registered with
    the permission system, ``object_id``) and an optional ``detail``."""

    kind: str
    title: str
    due: date | None
    is_overdue: bool
    url: str
    object_type: str
    object_id: int
    detail: str = ""

    @property
    def key(self) -> str:
        """The item's name in a bulk action's form: ``kind:object id``."""
        return f"{self.kind}:{self.object_id}"

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])


#: Every kind of line, in the order of the filter (the labels are the page's headings).
KINDS: dict[str, str | Promise] = {
    "review_declare": _("Conflicts of interest to declare"),
    "review_score": _("Reviews to score"),
    "round_reviewers": _("Review rounds needing reviewers"),
    "round_close": _("Review rounds to close"),
    "plan_approve": _("Transfer plans to approve"),
    "notice_ending": _("Public notices ending"),
    "deal_sign": _("Deals to sign"),
    "payment_overdue": _("Payments overdue"),
    "royalty_overdue": _("Royalty reports overdue"),
    "distribution_run": _("Distributions to run"),
    "patent_deadline": _("Patent deadlines"),
    "access_request": _("Access requests to decide"),
    "subsidy_decide": _("Subsidy applications to decide"),
    "import_failed": _("Import jobs that failed"),
}

#: Kinds whose line names a review round (the bulk "assign a reviewer" acts on them).
ROUND_KINDS = frozenset({"round_reviewers", "round_close"})
#: Kinds whose line has someone else to remind (the reviewers, the counterparty, the family's manager).
REMINDABLE_KINDS = ROUND_KINDS | {"payment_overdue", "royalty_overdue", "patent_deadline"}
#: The due windows of the filter, in days (with "overdue" and "all").
WINDOW_DAYS = (7, 30, 60, 90)
#: How far ahead patent deadlines and public notices are listed.
HORIZON_DAYS = 90
NOTICE_HORIZON_DAYS = 15


def sort_key(item: WorkItem) -> tuple[int, date, str]:
    """Overdue first, then by due date, then the undated; ties by title."""
    rank = 0 if item.is_overdue else (1 if item.due is not None else 2)
    return (rank, item.due or date.max, item.title)
