"""The golden cases of the text-editing modules, run by Ansible's own modules on a real file: same content.

For every case of lineinfile, replace, blockinfile and pam_limits (community.general) on a plain file (no owners to
change, no symlink), the file of the case's facts is written to a temporary directory and Ansible's module
is run on it (as Ansible runs it on a host, `python -m <module> ARGS`): its `changed` must equal the
case's, and the file it leaves must hold what the case's PutFile writes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CASES = Path(__file__).parent / "cases"
MODULES = {
    "lineinfile": "ansible.modules.lineinfile",
    "replace": "ansible.modules.replace",
    "blockinfile": "ansible.modules.blockinfile",
    "pam_limits": "ansible_collections.community.general.plugins.modules.pam_limits",
}
PATH_PARAMS = ("path", "dest", "destfile", "name")


def _comparable(path: Path) -> bool:
    """A case Ansible's module can run here: it plans (not refused, not failed) on plain files, as root's."""
    case = json.loads(path.read_text(encoding="utf-8"))
    expect = case["expect"]
    if "refused" in expect or "failed" in expect or {"owner", "group", "validate"} & set(case["params"]):
        return False  # validate's command belongs to the host (sshd -t...): the edit is compared without it
    facts = list(case["facts"].values())
    plain = all(fact == "absent" or fact.get("type", "file") in ("file", "directory") for fact in facts)
    return plain and len(facts) <= 2


COMPARED = sorted(path for module in MODULES for path in (CASES / module).glob("*.json") if _comparable(path))


def _run_ansible(module: str, params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    args = workdir / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": params}), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", MODULES[module], str(args)],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=60,
        check=False,
    )
    output: dict[str, Any] = json.loads(done.stdout)
    return output


@pytest.mark.parametrize("path", COMPARED, ids=[f"{path.parent.name}/{path.stem}" for path in COMPARED])
def test_ansible_core_edits_the_file_the_same_way(path: Path, tmp_path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    module = path.parent.name
    params = dict(case["params"])
    name = next((key for key in PATH_PARAMS if key in params), "dest")
    params.setdefault(name, "/etc/security/limits.conf")
    target = tmp_path / "host" / Path(params[name]).name
    target.parent.mkdir()
    fact = case["facts"][f"file:{params[name]}"]
    if fact != "absent":
        target.write_bytes(fact["content"].encode("utf-8"))
        target.chmod(int(fact.get("mode", "0644"), 8))
    original_path, params[name] = params[name], str(target)
    result = _run_ansible(module, params, tmp_path)
    assert not result.get("failed"), result
    assert result["changed"] == case["expect"]["changed"], result
    puts = [action for action in case["expect"].get("actions", []) if isinstance(action, dict) and "put" in action]
    if puts:
        assert target.read_bytes().decode("utf-8") == puts[-1]["content"]
    if "msg" in case["expect"].get("result", {}):
        assert result["msg"] == case["expect"]["result"]["msg"].replace(original_path, str(target))
