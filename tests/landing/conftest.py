import datetime as dt

import pytest

from opentto.landing.services import deal_create, deal_sign
from opentto.results.services import result_onboard

from ..conftest import result_input
from ..results.test_pipeline import to_landing

SIGNED = dt.date(2025, 3, 1)


@pytest.fixture
def landing_result(manager, university, researcher, second_researcher):
    r = result_onboard(
        data=result_input([university], [(researcher, "60"), (second_researcher, "40")]),
        actor=manager,
    )
    return to_landing(r, manager)


@pytest.fixture
def signed_deal(manager, landing_result, enterprise_org):
    deal = deal_create(
        results=[landing_result],
        counterparty=enterprise_org,
        deal_type="licence_exclusive",
        amount_cny="1000000.00",
        title="Licence",
        actor=manager,
    )
    return deal_sign(deal=deal, signed_on=SIGNED, actor=manager)
