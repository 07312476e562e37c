"""The demo's subsidy story: an application at every status; those past review have a finalised
subsidy-review round of the evaluation app, the one under review a round still open."""

from io import StringIO

import pytest
from django.core.management import call_command

from opentto.subsidies.models import Application, ApplicationStatusChoices


@pytest.mark.slow
@pytest.mark.django_db
def test_demo_applications_at_every_status_with_review_rounds(monkeypatch):
    monkeypatch.setenv("OPENTTO_DEMO_PASSWORD", "demo-pass-2022")
    call_command("load_demo", stdout=StringIO())
    apps = {a.status: a for a in Application.objects.select_related("review_round")}
    assert set(apps) == set(ApplicationStatusChoices.values)
    for status in ("recognised", "approved", "disbursed"):
        a = apps[status]
        assert a.review_round is not None and a.review_round.status == "finalised", status
        assert (
            a.review_round.purpose == "subsidy_review" and a.review_round.overall_score is not None
        )
        first = Application.results.through.objects.filter(application=a).order_by("pk").first()
        assert a.review_round.result_id == first.result_id
        assert a.review_complete and not a.review_override_reason
    live = apps["under_review"].review_round
    assert (
        live is not None
        and live.status == "open"
        and live.assignments.filter(status="invited", reviewer__username="reviewer").exists()
    )
    for status in ("draft", "submitted", "ineligible", "rejected", "withdrawn"):
        assert apps[status].review_round is None, status
    # an application's title is read by those who may not see its result: no confidential title in it
    for a in Application.objects.prefetch_related("results"):
        for r in a.results.all():
            if not r.is_public:
                assert (
                    r.title_zh not in a.project_title_zh and r.title_en not in a.project_title_en
                ), a.pk
    assert Application.objects.filter(
        results__is_public=False
    ).exists()  # the demo has such applications
