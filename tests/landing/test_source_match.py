"""``Deal.source_match`` is a foreign key to the match a deal was made from; the migration that made
it one keeps every old text reference: one naming an existing match becomes the key, any other stays
in ``source_match_note`` as written."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from opentto.accounts.models import User
from opentto.demands.models import Match
from opentto.landing.models import Deal
from opentto.organisations.models import Organisation
from opentto.results.models import Result


@pytest.mark.django_db(transaction=True)
def test_the_migration_links_the_references_that_name_a_match_and_keeps_the_others(
    onboarded: Result, enterprise_org: Organisation
) -> None:
    match = Match.objects.create(organisation=enterprise_org, result=onboarded)
    executor = MigrationExecutor(connection)
    executor.migrate([("landing", "0008_english_only_choice_labels")])
    old = executor.loader.project_state(("landing", "0008_english_only_choice_labels")).apps
    OldDeal = old.get_model("landing", "Deal")
    references = {
        "plain": str(match.pk),
        "prefixed": f"match:{match.pk}",
        "gone": f"match:{match.pk + 999}",
        "words": "met at the fair",
        "none": "",
    }
    ids = {
        key: OldDeal.objects.create(
            counterparty_id=enterprise_org.pk,
            deal_type="licence_sole",
            amount_cny="1.00",
            source_match=ref,
        ).pk
        for key, ref in references.items()
    }
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    found = {
        key: Deal.objects.values_list("source_match_id", "source_match_note").get(pk=pk)
        for key, pk in ids.items()
    }
    assert found == {
        "plain": (match.pk, ""),
        "prefixed": (match.pk, ""),
        "gone": (None, f"match:{match.pk + 999}"),
        "words": (None, "met at the fair"),
        "none": (None, ""),
    }


@pytest.mark.django_db
def test_a_deal_made_from_a_match_links_it_and_outlives_it(
    onboarded: Result, enterprise_org: Organisation, manager: User
) -> None:
    from opentto.landing.services import deal_create

    from ..results.test_pipeline import to_landing

    to_landing(onboarded, manager)
    match = Match.objects.create(organisation=enterprise_org, result=onboarded)
    deal = deal_create(
        results=[onboarded],
        counterparty=enterprise_org,
        deal_type="licence_sole",
        amount_cny="10",
        actor=manager,
        match=match,
        match_reference="fair 2025",
    )
    deal.refresh_from_db()
    assert (deal.source_match, deal.source_match_note) == (match, "fair 2025")
    assert list(match.sourced_deals.all()) == [deal]
    match.delete()  # SET_NULL: the deal, the legal record, stays
    deal.refresh_from_db()
    assert deal.source_match is None and deal.source_match_note == "fair 2025"
