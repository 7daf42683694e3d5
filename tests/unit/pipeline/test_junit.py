"""Per-host testinfra results from JUnit XML, and the verification verdict."""

from __future__ import annotations

import pytest

from deployctl.pipeline.junit import host_checks, host_of, verdict

XML = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="6">
<testcase classname="tests.infra.test_webapp" name="test_service[ssh://qa-vm1]" time="0.1"/>
<testcase classname="tests.infra.test_webapp" name="test_service[ssh://qa-vm2]" time="0.1">
  <failure message="assert False">AssertionError</failure></testcase>
<testcase classname="tests.infra.test_webapp" name="test_health[ssh://qa-vm1]" time="0.1"/>
<testcase classname="tests.infra.test_webapp" name="test_health[ssh://qa-vm2]" time="0.1"/>
<testcase classname="tests.infra.test_webapp" name="test_package[ssh://qa-vm2]" time="0.1">
  <skipped message="no apt"/></testcase>
<testcase classname="tests.infra.test_webapp_containers" name="test_config[docker://deployctl-qa-app-1a2b3c]"/>
</testsuite></testsuites>
"""


@pytest.mark.parametrize(
    ("name", "host"),
    [
        ("test_x[ssh://qa-vm1]", "qa-vm1"),
        ("test_x[docker://root@deployctl-qa-app-1a2b3c]", "deployctl-qa-app-1a2b3c"),
        ("test_x[docker://deployctl-qa-app-1a2b3c]", "deployctl-qa-app-1a2b3c"),
        ("test_x[dev]", None),
        ("test_x", None),
    ],
)
def test_the_host_is_the_test_case_s_pytest_id(name: str, host: str | None) -> None:
    assert host_of(name) == host


def test_checks_are_counted_per_host() -> None:
    checks = host_checks(XML)
    counts = {h: (c.passed, c.failed, c.skipped) for h, c in checks.items()}
    assert counts == {"qa-vm1": (2, 0, 0), "qa-vm2": (1, 1, 1), "deployctl-qa-app-1a2b3c": (1, 0, 0)}
    assert checks["qa-vm2"].failures == ["test_service"]


def test_the_verdict_names_the_failed_host_and_the_silent_one() -> None:
    checks = host_checks(XML)
    passed, reason = verdict(["qa-vm1", "qa-vm2", "qa-vm3"], checks, 1)
    assert not passed
    assert reason == "1 checks failed on qa-vm2 (test_service); no check ran on qa-vm3"
    assert verdict(["qa-vm1"], checks, 0) == (True, "")
    assert verdict(["qa-vm1"], checks, 3) == (False, "pytest exited 3")
