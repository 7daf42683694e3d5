"""The scorecard's pure judgements: parity verdicts, a rollback's residue, figures from measured values."""

from __future__ import annotations

import pytest

from deployctl.scorecard.judging import (
    Declared,
    declared,
    parity_rows,
    parity_verdict,
    per_target_figure,
    removal_words,
    residue,
    stage_words,
)

WORDS = {"dev": {"dev", "Hello from dev", "18081"}, "qa": {"qa", "Hello from qa", "18082"}}


@pytest.mark.parametrize(
    ("values", "verdict"),
    [
        ({"dev": ["1.0"], "qa": ["1.0"]}, "identical"),
        ({"qa": ["1.0", "1.0"]}, "identical"),
        ({"dev": ["Hello from dev"], "qa": ["Hello from qa"]}, "differs by design"),
        ({"dev": ["greeting: dev"], "qa": ["greeting: qa"]}, "differs by design"),
        ({"dev": ["7.88.1-10"], "qa": ["7.88.1-10+deb12u15"]}, "differs by accident"),
        ({"dev": ["Hello from dev"], "qa": ["Hello from uat"]}, "differs by accident"),
        ({"dev": ["dev", "dev"], "qa": ["qa", "prod"]}, "differs by accident"),
    ],
)
def test_parity_verdict(values: dict[str, list[str]], verdict: str) -> None:
    assert parity_verdict(values, WORDS) == verdict


def test_parity_rows_carry_strategy_values_and_reason() -> None:
    rows = parity_rows("mutable", {"package curl": {"dev": ["1"], "qa": ["2"]}, "image": {"qa": ["abc"]}}, WORDS)
    assert [(r.fact, r.strategy, r.verdict) for r in rows] == [
        ("image", "mutable", "identical"),
        ("package curl", "mutable", "differs by accident"),
    ]
    assert rows[1].values == {"dev": "1", "qa": "2"} and "no stage variable" in rows[1].reason


def test_stage_words_are_the_values_that_differ_between_stages() -> None:
    words = stage_words(
        {
            "dev": {"stage_name": "dev", "app_port": 8080, "proxy": 18081, "debug": True, "same": "x"},
            "qa": {"stage_name": "qa", "app_port": 8080, "proxy": 18082, "debug": False, "same": "x"},
        }
    )
    assert words == {"dev": {"dev", "18081"}, "qa": {"qa", "18082"}}


def test_declared_names_the_resource_by_its_first_naming_argument() -> None:
    assert declared("apt", {"name": ["curl", "python3"], "state": "present"}) == Declared("apt", "curl, python3")
    assert declared("copy", {"src": "a", "dest": "/etc/a"}) == Declared("copy", "/etc/a")
    assert declared("command", {"cmd": "true"}) == Declared("command", "")


def test_residue_is_what_only_the_newer_release_declares_and_is_still_in_place() -> None:
    older = {Declared("apt", "curl"), Declared("user", "webapp")}
    newer = [
        ("Install curl", Declared("apt", "curl")),
        ("Install tree", Declared("apt", "tree")),
        ("Report user", Declared("user", "report")),
        ("Flags", Declared("copy", "/etc/flags")),
        ("Run it", Declared("command", "")),
    ]
    statuses = {"Install curl": "ok", "Install tree": "ok", "Report user": "ok", "Flags": "changed", "Run it": "ok"}
    assert [str(item) for item in residue(newer, older, statuses)] == ["apt tree", "user report"]


def test_residue_is_empty_when_the_older_release_removed_everything() -> None:
    newer = [("Install tree", Declared("apt", "tree"))]
    assert residue(newer, set(), {"Install tree": "changed"}) == ()


def test_per_target_figure_is_the_mean_with_each_target_in_the_detail() -> None:
    figure = per_target_figure([("vm1", 1.0), ("vm2", 2.0)], "s", "apply")
    assert (figure.value, figure.unit, figure.unmeasured) == (1.5, "s", "")
    assert figure.detail == ("vm1: 1 s", "vm2: 2 s") and "mean over targets" in figure.method


def test_per_target_figure_without_targets_says_why() -> None:
    figure = per_target_figure([], "s", "apply", "the stage has no VM")
    assert figure.value is None and figure.unmeasured == "the stage has no VM"


def test_removal_words_undo_a_user_and_a_file_and_leave_packages() -> None:
    assert removal_words(Declared("apt", "tree, jq")) is None
    assert removal_words(Declared("user", "report")) == ("userdel", "--", "report")
    assert removal_words(Declared("copy", "/etc/flags")) == ("rm", "-f", "--", "/etc/flags")
    assert removal_words(Declared("copy", "relative")) is None
    assert removal_words(Declared("user", "{{ app_user }}")) is None
    assert removal_words(Declared("command", "x")) is None
