"""The compat corpus's statuses: what each promises, and the message when a run does not keep it."""

from __future__ import annotations

import pytest

from tests.compat.corpus import CORPUS, CompatRole, Outcome, mismatch, parse_status


def test_every_status_of_the_corpus_reads() -> None:
    assert {role.expected.stage for role in CORPUS} <= {None, "first run", "lint", "second run", "end state", "drift"}


@pytest.mark.parametrize("status", ["passes", "fails: somewhere: x", "fails: first run", "fails: first run: "])
def test_a_status_that_says_nothing_precise_is_refused(status: str) -> None:
    with pytest.raises(ValueError, match="status must be"):
        CompatRole("role", status)


def test_a_failing_role_must_fail_at_its_stage_with_its_reason() -> None:
    role = CompatRole("role", "fails: first run: swapon failed")
    assert mismatch(role, Outcome("first run", "ansible-core: swap : Run swapon.: swapon failed: EINVAL")) is None
    assert "passed every stage" in str(mismatch(role, Outcome(None)))
    assert "failed at end state" in str(mismatch(role, Outcome("end state", "swapon failed")))
    assert "update the corpus status" in str(mismatch(role, Outcome("first run", "mkswap failed")))


def test_a_passing_role_must_pass_every_stage() -> None:
    role = CompatRole("role", "pass")
    assert mismatch(role, Outcome(None)) is None
    problem = mismatch(role, Outcome("drift", "--fix left drift"))
    assert problem is not None and "'fails: drift: --fix left drift'" in problem


def test_the_status_an_outcome_suggests_is_kept_by_that_outcome() -> None:
    outcome = Outcome("first run", "deployctl: roles/x/tasks/main.yml:3: mount: unknown module 'mount'\nmore")
    assert parse_status("x", outcome.status) == Outcome(
        "first run", "deployctl: roles/x/tasks/main.yml:3: mount: unknown module 'mount'"
    )
    assert mismatch(CompatRole("x", outcome.status), outcome) is None
