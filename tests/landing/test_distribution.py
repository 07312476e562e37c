"""Tests for the income distribution: exact to the fen, nothing lost or created."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.utils import translation

from opentto.landing.distribution import (
    NATIONAL_FLOORS,
    SHANGHAI_FLOORS,
    SHANGHAI_TEAM_FLOOR,
    TAX_NOTES,
    DistributionError,
    check_rule,
    distribute,
    parse_inventors,
    split_largest_remainder,
)

M = Decimal
THIRDS = [("A", M("33.33")), ("B", M("33.33")), ("C", M("33.34"))]


# --- largest remainder -----------------------------------------------------------------------


def test_split_odd_amount_three_inventors() -> None:
    # 1,000,000.01 = 100,000,001 fen. Exact shares in fen:
    #   A, B: 100,000,001 x 33.33 / 100 = 33,330,000.3333 -> 33,330,000 (remainder .3333)
    #   C:    100,000,001 x 33.34 / 100 = 33,340,000.3334 -> 33,340,000 (remainder .3334)
    # 1 fen left over -> largest remainder: C.
    parts = split_largest_remainder(M("1000000.01"), THIRDS)
    assert parts == {"A": M("333300.00"), "B": M("333300.00"), "C": M("333400.01")}
    assert sum(parts.values()) == M("1000000.01")


def test_split_ties_go_to_the_first_listed() -> None:
    equal = [("A", M(1)), ("B", M(1)), ("C", M(1))]
    assert split_largest_remainder(M("0.02"), equal) == {
        "A": M("0.01"),
        "B": M("0.01"),
        "C": M("0.00"),
    }
    assert split_largest_remainder(M("1.01"), [("X", M(50)), ("Y", M(50))]) == {
        "X": M("0.51"),
        "Y": M("0.50"),
    }
    # listing order decides the tie
    assert split_largest_remainder(M("1.01"), [("Y", M(50)), ("X", M(50))]) == {
        "Y": M("0.51"),
        "X": M("0.50"),
    }


def test_split_two_fen_over_thirds() -> None:
    # 2 fen: A, B 0.6666 fen, C 0.6668 fen -> C first (largest), then A (tie with B, listed first)
    assert split_largest_remainder(M("0.02"), THIRDS) == {
        "A": M("0.01"),
        "B": M("0.00"),
        "C": M("0.01"),
    }


def test_split_zero_weight_and_zero_total() -> None:
    parts = split_largest_remainder(M("0.05"), [("A", M(2)), ("B", M(0)), ("C", M(1))])
    assert parts == {"A": M("0.03"), "B": M("0.00"), "C": M("0.02")}
    assert split_largest_remainder(M(0), [("A", M(1))]) == {"A": M("0.00")}


def test_split_other_quantum() -> None:
    parts = split_largest_remainder(M(10), [("A", M(1)), ("B", M(1)), ("C", M(1))], quantum=M(1))
    assert parts == {"A": M(4), "B": M(3), "C": M(3)}


@pytest.mark.parametrize(
    ("total", "weights", "message"),
    [
        (M("1.001"), [("A", M(1))], "whole number"),
        (M(-1), [("A", M(1))], "negative"),
        (M(1), [], "at least one"),
        (M(1), [("A", M(0))], "more than zero"),
        (M(1), [("A", M(-1)), ("B", M(2))], "negative"),
        (M(1), [("A", M(1)), ("A", M(1))], "twice"),
        (M(1), [(" ", M(1))], "name"),
        (M("NaN"), [("A", M(1))], "finite"),
    ],
)
def test_split_refusals(total: Decimal, weights: list[tuple[str, Decimal]], message: str) -> None:
    with pytest.raises(DistributionError, match=message):
        split_largest_remainder(total, weights)


def test_split_nothing_lost_or_created_randomised() -> None:
    rng = random.Random(20261129)
    for _ in range(300):
        total = M(rng.randint(0, 10**9)).scaleb(-2)
        weights = [
            (f"p{i}", M(rng.randint(0, 10_000)).scaleb(-2)) for i in range(rng.randint(1, 7))
        ]
        if sum(w for _, w in weights) == 0:
            continue
        parts = split_largest_remainder(total, weights)
        assert sum(parts.values()) == total
        assert list(parts) == [name for name, _ in weights]
        assert all(p >= 0 and p == p.quantize(M("0.01")) for p in parts.values())
        weight_sum = sum(w for _, w in weights)
        for name, weight in weights:
            exact = total * weight / weight_sum
            assert abs(parts[name] - exact) < M("0.01")  # never more than a fen off


# --- distribute --------------------------------------------------------------------------------


def test_distribute_odd_amount() -> None:
    # net = 1,000,000.01; team 70 % = 700,000.007 -> 700,000.01; TTO 10 % = 100,000.001
    # -> 100,000.00; organisation = 1,000,000.01 - 700,000.01 - 100,000.00 = 200,000.00.
    # team split 33.33/33.33/33.34 of 70,000,001 fen: 23,331,000.3333 (x2), 23,338,000.3334
    #   -> 233,310.00, 233,310.00, 233,380.01
    result = distribute(M("1000000.01"), M(0), M("0.7"), THIRDS, tto_share=M("0.1"))
    assert result.net == M("1000000.01")
    assert result.team == M("700000.01")
    assert result.tto == M("100000.00")
    assert result.organisation == M("200000.00")
    assert result.inventors == {"A": M("233310.00"), "B": M("233310.00"), "C": M("233380.01")}
    assert result.team + result.tto + result.organisation == result.net
    assert sum(result.inventors.values()) == result.team


def test_distribute_with_costs_and_default_tto() -> None:
    # net = 1000.00 - 1.01 = 998.99; team 40 % = 399.596 -> 399.60; split 50/50 -> 199.80 each
    result = distribute(M("1000.00"), M("1.01"), M("0.4"), [("A", M(50)), ("B", M(50))])
    assert result.as_dict() == {
        "net": "998.99",
        "team": "399.60",
        "tto": "0.00",
        "organisation": "599.39",
        "inventors": {"A": "199.80", "B": "199.80"},
    }


def test_distribute_half_up_and_tie() -> None:
    # net 0.05 x 0.5 = 0.025 -> 0.03 (half up); 0.03 split 50/50 -> 0.02 to the first, 0.01
    result = distribute(M("0.05"), M(0), M("0.5"), [("甲", M(50)), ("乙", M(50))])
    assert result.team == M("0.03")
    assert result.organisation == M("0.02")
    assert result.inventors == {"甲": M("0.02"), "乙": M("0.01")}


def test_distribute_shares_summing_to_one_never_make_organisation_negative() -> None:
    # 0.01 x 0.5 = 0.005 -> 0.01 for both; the TTO gives way so nothing is created
    result = distribute(M("0.01"), M(0), M("0.5"), [("A", M(100))], tto_share=M("0.5"))
    assert (result.team, result.tto, result.organisation) == (M("0.01"), M("0.00"), M("0.00"))


def test_distribute_zero_net() -> None:
    result = distribute(M(100), M(100), M("0.5"), THIRDS)
    assert result.net == result.team == result.organisation == M("0.00")
    assert set(result.inventors.values()) == {M("0.00")}


def test_distribute_nothing_lost_or_created_randomised() -> None:
    rng = random.Random(45)
    for _ in range(300):
        amount = M(rng.randint(0, 10**10)).scaleb(-2)
        costs = M(rng.randint(0, int(amount * 100))).scaleb(-2)
        team_share = M(rng.randint(0, 100)).scaleb(-2)
        tto_share = M(rng.randint(0, 100 - int(team_share * 100))).scaleb(-2)
        n = rng.randint(1, 5)
        cuts = sorted(rng.randint(0, 10_000) for _ in range(n - 1))
        bounds = [0, *cuts, 10_000]
        people = [(f"p{i}", M(bounds[i + 1] - bounds[i]).scaleb(-2)) for i in range(n)]
        result = distribute(amount, costs, team_share, people, tto_share=tto_share)
        assert result.net == amount - costs
        assert result.team + result.tto + result.organisation == result.net
        assert sum(result.inventors.values()) == result.team
        assert result.organisation >= 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"costs": M("1000.01")}, "negative net"),
        ({"team_share": M("1.1")}, "between 0 and 1"),
        ({"team_share": M("-0.1")}, "between 0 and 1"),
        ({"tto_share": M("0.6")}, "more than 1"),
        ({"inventors": [("A", M(50)), ("B", M("49.99"))]}, "not 100"),
        ({"inventors": [("A", M(150)), ("B", M(-50))]}, "negative"),
        ({"inventors": [("A", M(50)), ("A", M(50))]}, "twice"),
        ({"inventors": []}, "at least one inventor"),
        ({"amount": M("1000.001")}, "at most 2 decimals"),
        ({"amount": M(-1)}, "negative"),
        ({"amount": M("Infinity")}, "finite"),
        ({"team_share": 0.5}, "Decimal"),
    ],
)
def test_distribute_refusals(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "amount": M("1000.00"),
        "costs": M(0),
        "team_share": M("0.5"),
        "inventors": [("A", M(100))],
        "tto_share": M(0),
    }
    args.update(kwargs)
    with pytest.raises(DistributionError, match=message):
        distribute(**args)  # type: ignore[arg-type]


def test_parse_inventors() -> None:
    assert parse_inventors("Wang Li:33.33, 张伟：66.67") == [
        ("Wang Li", M("33.33")),
        ("张伟", M("66.67")),
    ]
    with pytest.raises(DistributionError, match="NAME:SHARE"):
        parse_inventors("Wang")
    with pytest.raises(DistributionError, match="not a number"):
        parse_inventors("Wang:abc")
    with pytest.raises(DistributionError, match="at least one"):
        parse_inventors(" , ")


# --- floors and notes ------------------------------------------------------------------------


def test_national_floors_data() -> None:
    assert NATIONAL_FLOORS["transfer_or_licence"].minimum == M("0.50")
    assert NATIONAL_FLOORS["equity"].minimum == M("0.50")
    assert NATIONAL_FLOORS["self_exploitation"].minimum == M("0.05")
    assert NATIONAL_FLOORS["self_exploitation"].years == (3, 5)
    for floor in NATIONAL_FLOORS.values():
        assert "art. 45" in floor.source
        assert floor.confidence == "sure"


def test_shanghai_standards_cite_article_34_and_are_not_binding() -> None:
    """Checked against the text of 上海市促进科技成果转化条例 (2017): art. 34 para. 1 allows (可以)
    rewards of at least 70% of net transfer/licence income (item 1), 70% of the shares (item 2) and
    5% of operating profit for five years (item 3); art. 33 para. 2 applies the national law where
    no rule or agreement exists."""
    assert SHANGHAI_TEAM_FLOOR is SHANGHAI_FLOORS["transfer_or_licence"]
    assert {k: (f.minimum, f.years) for k, f in SHANGHAI_FLOORS.items()} == {
        "transfer_or_licence": (M("0.70"), None),
        "equity": (M("0.70"), None),
        "self_exploitation": (M("0.05"), (5, 5)),
    }
    assert (
        str(SHANGHAI_TEAM_FLOOR.source)
        == "Shanghai Regulations on Promoting the Transformation of Scientific and Technological Achievements (2017), art. 34 para. 1 item (1)"
    )
    with translation.override("zh-hans"):
        assert (
            str(SHANGHAI_TEAM_FLOOR.source)
            == "《上海市促进科技成果转化条例》（2017）第三十四条第一款第（一）项"
        )
    assert str(SHANGHAI_FLOORS["equity"].source).endswith("art. 34 para. 1 item (2)")
    for floor in SHANGHAI_FLOORS.values():
        assert "not a binding floor" in floor.confidence and "art. 33 para. 2" in floor.confidence
        assert "not confirmed" not in floor.confidence


def test_check_rule() -> None:
    assert check_rule("transfer_or_licence", M("0.5")) == []
    low = check_rule("transfer_or_licence", M("0.4"))
    assert len(low) == 1 and "art. 45" in low[0] and "50%" in low[0]
    assert check_rule("equity", M("0.49")) != []
    assert check_rule("self_exploitation", M("0.05"), years=3) == []
    assert len(check_rule("self_exploitation", M("0.04"), years=5)) == 1
    assert "years" in check_rule("self_exploitation", M("0.05"), years=2)[0]
    assert "years" in check_rule("self_exploitation", M("0.05"))[0]
    shanghai = check_rule("transfer_or_licence", M("0.6"), shanghai=True)
    assert (
        len(shanghai) == 1
        and "art. 34 para. 1 item (1)" in shanghai[0]
        and "not a binding floor" in shanghai[0]
    )
    assert check_rule("transfer_or_licence", M("0.7"), shanghai=True) == []
    assert (
        check_rule("transfer_or_licence", M("0.6")) == []
    )  # outside Shanghai: only the national floor
    equity = check_rule("equity", M("0.6"), shanghai=True)
    assert len(equity) == 1 and "item (2)" in equity[0]
    assert check_rule("self_exploitation", M("0.05"), years=5, shanghai=True) == []
    short = check_rule("self_exploitation", M("0.05"), years=4, shanghai=True)
    assert len(short) == 1 and "5 years" in short[0] and "item (3)" in short[0]
    assert "no rule or agreement" in check_rule("equity", M("0.1"), state_established=False)[0]
    with pytest.raises(DistributionError):
        check_rule("gift", M("0.5"))
    with pytest.raises(DistributionError):
        check_rule("equity", M("1.5"))


def test_tax_notes() -> None:
    sources = {note.key: note for note in TAX_NOTES}
    assert str(sources["cash_reward_half"].source) == "Caishui [2018] No. 58"
    assert str(sources["equity_deferral"].source) == "Caishui [2016] No. 101"
    assert all(note.confidence == "fairly sure" for note in TAX_NOTES)


# --- the management command ----------------------------------------------------------------------

needs_django = pytest.mark.skipif(
    not apps.ready, reason="Django settings (opentto.settings.test) are not loaded"
)


def run(*args: str) -> tuple[str, str]:
    from django.core.management import call_command

    out, err = StringIO(), StringIO()
    call_command("distribute", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@needs_django
def test_command_json() -> None:
    out, err = run(
        "--json",
        "--amount",
        "1000000.01",
        "--costs",
        "0",
        "--team-share",
        "0.7",
        "--tto-share",
        "0.1",
        "--inventors",
        "张伟:33.33,B:33.33,C:33.34",
    )
    assert "张伟" in out  # ensure_ascii=False
    data = json.loads(out)
    assert data == {
        "net": "1000000.01",
        "team": "700000.01",
        "tto": "100000.00",
        "organisation": "200000.00",
        "inventors": {"张伟": "233310.00", "B": "233310.00", "C": "233380.01"},
    }
    assert err == ""


@needs_django
def test_command_warns_below_floor_and_refuses() -> None:
    from django.core.management.base import CommandError

    out, err = run(
        "--amount", "1000", "--costs", "0", "--team-share", "0.4", "--inventors", "A:100"
    )
    assert "art. 45" in err
    assert "400.00" in out
    with pytest.raises(CommandError, match="negative net"):
        run(
            "--json", "--amount", "1", "--costs", "2", "--team-share", "0.5", "--inventors", "A:100"
        )
    with pytest.raises(CommandError, match="not 100"):
        run("--json", "--amount", "1", "--costs", "0", "--team-share", "0.5", "--inventors", "A:60")
    with pytest.raises(CommandError, match="more than 1"):
        run(
            "--json",
            "--amount",
            "1",
            "--costs",
            "0",
            "--team-share",
            "0.7",
            "--tto-share",
            "0.4",
            "--inventors",
            "A:100",
        )


def test_rule_warnings_and_floors_in_the_users_language() -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        warning = check_rule("transfer_or_licence", M("0.4"), state_established=False)
        assert warning == [
            "团队分成 40%（成果转让或许可所得的净收入）低于 50% 的下限"
            f"（{NATIONAL_FLOORS['transfer_or_licence'].source}；在没有规定或约定奖励时适用）"
        ]
        assert str(NATIONAL_FLOORS["equity"].confidence) == "确定"
    with translation.override("en"):
        assert check_rule("self_exploitation", M("0.05")) == [
            f"set the number of years of profit sharing: 3 to 5 ({NATIONAL_FLOORS['self_exploitation'].source})"
        ]
