"""The ufw golden cases run by community.general's own ufw module, in check mode, on the same outputs.

A fake `ufw` and `grep` first on PATH answer the module's commands from the case's facts (status, rules
files, version, numbered list, dry runs): Ansible's module must fail where the case fails, and say
`changed` where the case changes, also on the facts after the change (the idempotence re-plan). A command
the module runs that the facts do not answer (a dry run with other words than deployctl's) fails the test.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CASES = sorted((Path(__file__).parent / "cases" / "ufw").glob("*.json"))
COMPARED = [path for path in CASES if "refused" not in json.loads(path.read_text(encoding="utf-8"))["expect"]]
MODULE = "ansible_collections.community.general.plugins.modules.ufw"

FAKE = """\
import json, os, sys
table = json.load(open(os.environ["FAKE_UFW_TABLE"]))
key = os.path.basename(sys.argv[0]) + " " + " ".join(sys.argv[1:])
entry = table.get(key if not key.startswith("grep ") else "grep")
if entry is None:
    sys.stderr.write("no fact answers: " + key)
    sys.exit(99)
sys.stdout.write(entry["stdout"])
sys.stderr.write(entry["stderr"])
sys.exit(entry["rc"])
"""


def _output(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"rc": 0, "stdout": value, "stderr": ""}
    return {"rc": value.get("rc", 0), "stdout": value.get("stdout", ""), "stderr": value.get("stderr", "")}


def _table(facts: dict[str, Any], actions: list[Any]) -> dict[str, Any] | None:
    """What each command the module runs prints, from the facts; None when ufw is missing."""
    table: dict[str, Any] = {}
    for key, value in facts.items():
        if key in ("ufw", "ufw+numbered"):
            if value == "missing":
                return None
            table["ufw status verbose"] = _output(value.get("status", ""))
            table["ufw --version"] = _output(value.get("version", "ufw 0.36.2"))
            table["ufw status numbered"] = _output(value.get("numbered", ""))
            table["grep"] = _output(value.get("rules", ""))
        elif key.startswith("ufw-dry-run:"):
            table["ufw --dry-run " + " ".join(shlex.split(key.removeprefix("ufw-dry-run:")))] = _output(value)
            for action in actions:  # a relative insert: Ansible's dry run names the position
                if isinstance(action, list) and "insert" in action:
                    table["ufw --dry-run " + " ".join(action[1:])] = _output(value)
    return table


def _run_ansible(params: dict[str, Any], table: dict[str, Any] | None, workdir: Path) -> dict[str, Any]:
    bin_dir = workdir / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in ("ufw", "grep") if table is not None else ():
        fake = bin_dir / name
        fake.write_text(f"#!{sys.executable}\n{FAKE}")
        fake.chmod(0o755)
    (workdir / "table.json").write_text(json.dumps(table or {}))
    args = workdir / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {**params, "_ansible_check_mode": True}}))
    done = subprocess.run(
        [sys.executable, "-m", MODULE, str(args)],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=60,
        check=False,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "FAKE_UFW_TABLE": str(workdir / "table.json")},
    )
    output: dict[str, Any] = json.loads(done.stdout)
    return output


@pytest.mark.parametrize("path", COMPARED, ids=[path.stem for path in COMPARED])
def test_community_general_ufw_decides_the_same(path: Path, tmp_path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    expect = case["expect"]
    actions = expect.get("actions", [])
    result = _run_ansible(case["params"], _table(case["facts"], actions), tmp_path)
    if "failed" in expect:
        assert result.get("failed"), result
        return
    assert not result.get("failed"), result
    assert result["changed"] == expect["changed"], result
    if "facts_after" in case:
        after = _run_ansible(case["params"], _table({**case["facts"], **case["facts_after"]}, actions), tmp_path)
        assert not after.get("failed"), after
        assert after["changed"] is False, after
