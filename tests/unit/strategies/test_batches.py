"""Ansible's serial batches and max_fail_percentage."""

from __future__ import annotations

import pytest

from deployctl.strategies.batches import batch_size, exceeds_max_fail, split_batches

HOSTS = [f"h{i}" for i in range(1, 11)]


@pytest.mark.parametrize(
    ("serial", "sizes"),
    [
        ((), [10]),
        ((1,), [1] * 10),
        ((3,), [3, 3, 3, 1]),
        (("30%",), [3, 3, 3, 1]),
        ((1, 2, "50%"), [1, 2, 5, 2]),
        (("5%",), [1] * 10),
    ],
)
def test_split_batches(serial: tuple[int | str, ...], sizes: list[int]) -> None:
    batches = split_batches(HOSTS, serial)
    assert [len(b) for b in batches] == sizes
    assert [h for b in batches for h in b] == HOSTS


def test_batch_size_rounds_down_but_never_to_zero() -> None:
    assert batch_size("25%", 3) == 1
    assert batch_size("99%", 10) == 9


@pytest.mark.parametrize(
    ("failed", "total", "limit", "stops"),
    [(0, 3, 0, False), (1, 3, 0, True), (1, 3, 34, False), (2, 3, 34, True), (1, 2, 50, False), (3, 3, None, False)],
)
def test_max_fail_percentage_is_strictly_greater(failed: int, total: int, limit: float | None, stops: bool) -> None:
    assert exceeds_max_fail(failed, total, limit) is stops
