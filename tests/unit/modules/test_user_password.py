"""The user module's password hash never reaches a command line, a summary, a diff or a result."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from deployctl.facts.base import RawFact
from deployctl.facts.users import ShadowFact, ShadowInfo, password_digest
from deployctl.modules.base import RunCommand
from deployctl.modules.params import validate_params
from deployctl.modules.user import USER
from tests.unit.modules.test_module_cases import CASES, facts_for

PASSWORD_CASES = sorted(
    path for path in (CASES / "user").glob("*.json") if "password" in json.loads(path.read_text())["params"]
)


@pytest.mark.parametrize("path", PASSWORD_CASES, ids=[path.stem for path in PASSWORD_CASES])
def test_the_hash_is_only_in_stdin(path: Path) -> None:
    case = json.loads(path.read_text())
    if "refused" in case["expect"]:
        return
    params = validate_params(USER, case["params"])
    plan = USER.plan(params, facts_for(USER, params, case["facts"]))
    secret = params["password"]
    shown = [plan.summary, str(plan.failed), repr(dict(plan.result)), *(f"{d.before}{d.after}" for d in plan.diffs)]
    shown += [" ".join(action.argv) for action in plan.actions if isinstance(action, RunCommand)]
    assert not [text for text in shown if secret in text]


def test_the_shadow_fact_reads_digest_lock_expiry_and_aging(tmp_path: Path) -> None:
    getent = tmp_path / "getent"
    getent.write_text("#!/bin/sh\necho 'deploy:!$6$salt$abc:19000:0:99999:7::20000:'\n")
    getent.chmod(0o755)
    script = ShadowFact("deploy").script().replace("[ -r /etc/shadow ]", "true")
    done = subprocess.run(
        ["/bin/sh", "-c", f"PATH={tmp_path}:$PATH; {script}"], capture_output=True, text=True, check=True
    )
    assert "$6$" not in done.stdout
    info = ShadowFact("deploy").parse(RawFact(done.stdout, 0))
    assert info == ShadowInfo(digest=password_digest("$6$salt$abc"), locked=True, expire=20000, aging=(0, 99999, 7))
