"""Issue 17's targets, judged from a run's ratios only."""

from __future__ import annotations

import pytest
from targets import ANSIBLE, FLOOR, PYINFRA, Target, targets, verdicts


def test_the_scale_point_asks_more_of_the_no_op_against_pyinfra() -> None:
    normal = {(t.scenario, t.ratio): t.bound for t in targets(scale_point=False)}
    scale = {(t.scenario, t.ratio): t.bound for t in targets(scale_point=True)}
    assert normal[("noop", PYINFRA)] == 6.0
    assert scale[("noop", PYINFRA)] == 8.0
    for table in (normal, scale):
        assert table[("noop", FLOOR)] == 1.5
        assert table[("noop", ANSIBLE)] == 25.0
        assert table[("first", PYINFRA)] == 5.0


@pytest.mark.parametrize(
    ("target", "value", "met"),
    [
        (Target("noop", FLOOR, "<=", 1.5), 1.5, True),
        (Target("noop", FLOOR, "<=", 1.5), 1.51, False),
        (Target("noop", PYINFRA, ">=", 6.0), 6.0, True),
        (Target("noop", PYINFRA, ">=", 6.0), 5.99, False),
    ],
)
def test_a_bound_is_met_inclusively(target: Target, value: float, met: bool) -> None:
    assert target.met(value) is met


def test_verdicts_read_the_measured_ratio_and_say_when_there_is_none() -> None:
    ratios = {FLOOR: {"noop": 1.2, "first": 3.0}, PYINFRA: {"noop": 7.0, "first": 4.0}, ANSIBLE: {"noop": None}}
    found = {(v.target.scenario, v.target.ratio): v for v in verdicts(ratios, targets(scale_point=True))}
    assert found[("noop", FLOOR)].met is True
    assert found[("noop", PYINFRA)].met is False  # 7x < 8x at the scale point
    assert found[("noop", ANSIBLE)].met is None
    assert found[("first", PYINFRA)].met is False
    assert "not measurable" in found[("noop", ANSIBLE)].line()
    assert found[("noop", PYINFRA)].line() == "no-op apply pyinfra / deployctl >= 8x: 7.00x -> NOT met"


def test_a_ratio_missing_from_the_table_is_not_measurable() -> None:
    (verdict,) = verdicts({}, [Target("first", PYINFRA, ">=", 5.0)])
    assert verdict.value is None
    assert verdict.met is None
