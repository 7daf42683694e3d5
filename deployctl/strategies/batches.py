"""Rolling batches from Ansible's `serial` and the `max_fail_percentage` rule (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def batch_size(spec: int | str, total: int) -> int:
    """One `serial` entry as a host count: 2 -> 2, "30%" -> 30% of the hosts rounded down, at least 1."""
    if isinstance(spec, str) and spec.strip().endswith("%"):
        return max(1, math.floor(total * float(spec.strip()[:-1]) / 100))
    return max(1, int(spec))


def split_batches(hosts: Sequence[T], serial: Sequence[int | str]) -> list[list[T]]:
    """Hosts in batches: each `serial` entry in turn, the last repeating; no serial means one batch."""
    if not hosts:
        return []
    if not serial:
        return [list(hosts)]
    batches: list[list[T]] = []
    index = 0
    step = 0
    while index < len(hosts):
        size = batch_size(serial[min(step, len(serial) - 1)], len(hosts))
        batches.append(list(hosts[index : index + size]))
        index += size
        step += 1
    return batches


def exceeds_max_fail(failed: int, total: int, max_fail_percentage: float | None) -> bool:
    """Ansible's rule: stop when the failed share of a batch is greater than max_fail_percentage."""
    if max_fail_percentage is None or total == 0:
        return False
    return failed * 100 / total > max_fail_percentage
