"""The cron golden cases, run by ansible-core's own cron module: the same `changed` and the same crontab text.

A user's crontab lives in a stand-in `crontab` command (first on PATH) that keeps each user's crontab in a
file, as `crontab -l`/`crontab FILE` do; a cron_file is a real file in a temporary directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CASES = Path(__file__).parent / "cases" / "cron"
FAKE_CRONTAB = """#!/bin/sh
user=$(id -un)
if [ "$1" = "-u" ]; then user=$2; shift 2; fi
f="$CRONTABS/$user"
if [ "$1" = "-l" ]; then
  [ -f "$f" ] || { echo "no crontab for $user" >&2; exit 1; }
  exec cat "$f"
fi
cat -- "$1" > "$f"
"""


def _comparable(path: Path) -> bool:
    case = json.loads(path.read_text(encoding="utf-8"))
    return "refused" not in case["expect"] and "failed" not in case["expect"]


COMPARED = sorted(path for path in CASES.glob("*.json") if _comparable(path))


def _run_cron(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    args = workdir / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": params}), encoding="utf-8")
    env = {**os.environ, "PATH": f"{workdir / 'bin'}:{os.environ['PATH']}", "CRONTABS": str(workdir / "crontabs")}
    done = subprocess.run(
        [sys.executable, "-m", "ansible.modules.cron", str(args)],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        timeout=60,
        check=False,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("path", COMPARED, ids=[path.stem for path in COMPARED])
def test_ansible_core_writes_the_same_crontab(path: Path, tmp_path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    params = dict(case["params"])
    (tmp_path / "bin").mkdir()
    (tmp_path / "crontabs").mkdir()
    fake = tmp_path / "bin" / "crontab"
    fake.write_text(FAKE_CRONTAB, encoding="utf-8")
    fake.chmod(0o755)
    ((key, fact),) = case["facts"].items()
    if params.get("cron_file"):
        target = tmp_path / "cron.d" / Path(params["cron_file"]).name
        target.parent.mkdir()
        if fact != "absent":
            target.write_bytes(fact["content"].encode("utf-8"))
        params["cron_file"] = str(target)
    else:
        user = (
            key.removeprefix("crontab:")
            or subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
        )
        target = tmp_path / "crontabs" / user
        if fact:
            target.write_bytes(fact.encode("utf-8"))
    result = _run_cron(params, tmp_path)
    assert not result.get("failed"), result
    assert result["changed"] == case["expect"]["changed"], result
    for action in case["expect"].get("actions", []):
        if isinstance(action, dict) and "stdin" in action and action["argv"][0] == "crontab":
            assert target.read_bytes().decode("utf-8") == action["stdin"]
        elif isinstance(action, dict) and "put" in action:
            assert target.read_bytes().decode("utf-8") == action["content"]
        elif isinstance(action, list) and action[0] == "rm":
            assert not target.exists()
    for name in ("jobs", "envs"):
        if name in case["expect"].get("result", {}):
            assert result[name] == case["expect"]["result"][name]
