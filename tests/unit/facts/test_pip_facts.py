"""The pip facts' scripts run by /bin/sh against this interpreter's real pip (offline: --no-index)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from deployctl.facts.base import RawFact
from deployctl.facts.pip import PipDryRunFact, PipPackagesFact, canonical_name, parse_dry_run

PIP = (sys.executable, "-m", "pip")


def run(fact: Any) -> Any:
    done = subprocess.run(["/bin/sh", "-c", fact.script()], capture_output=True, text=True, check=False, timeout=300)
    return fact.parse(RawFact(done.stdout, done.returncode))


def test_installed_packages_by_canonical_name() -> None:
    installed = run(PipPackagesFact(PIP))
    assert installed is not None
    assert installed["pyyaml"] and installed["jinja2"] and installed["pytest"]


def test_a_pip_that_cannot_run() -> None:
    assert run(PipPackagesFact(("/nonexistent/bin/pip3",))) is None


def test_a_dry_run_of_satisfied_requirements_installs_nothing() -> None:
    assert run(PipDryRunFact(PIP, ("--no-index", "pytest", "Jinja2>=3"))) == {}


def test_a_dry_run_that_cannot_resolve_fails() -> None:
    assert run(PipDryRunFact(PIP, ("--no-index", "surely-not-a-package-deployctl"))) is None


@pytest.mark.parametrize(("name", "canonical"), [("Flask_Login", "flask-login"), ("zope.interface", "zope-interface")])
def test_canonical_names(name: str, canonical: str) -> None:
    assert canonical_name(name) == canonical


def test_a_report_lists_what_would_be_installed() -> None:
    report = '{"version": "1", "install": [{"metadata": {"name": "Flask", "version": "3.0.0"}}]}'
    assert parse_dry_run("k", f"report\n{report}\n") == {"flask": "3.0.0"}
