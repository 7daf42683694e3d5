"""find on a real directory tree: deployctl's listing fact (run by /bin/sh with GNU find) and planner give what
ansible-core's find module gives on the same tree: the same files in the same order, matched, examined, msg."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from deployctl.facts.base import RawFact
from deployctl.modules.find import FIND
from deployctl.modules.params import validate_params

COMPARED_FIELDS = ("path", "mode", "isdir", "isreg", "islnk", "uid", "gid", "size", "nlink", "pw_name", "gr_name")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("find") / "srv"
    day = 86400
    files = {
        "app.conf": "debug = true\n",
        "app.log": "x" * 3000,
        "old.log": "old\n",
        ".hidden.log": "h\n",
        "notes.txt": "TODO: debug = true later\n",
        "sub/one.log": "1\n",
        "sub/two.conf": "debug = false\n",
        "sub/deep/three.log": "3\n",
        "sub/deep/deeper/four.log": "4\n",
        ".cache/five.log": "5\n",
    }
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    (root / "old.log").chmod(0o600)
    (root / "sub" / "one.log").chmod(0o4755)
    now = time.time()
    os.utime(root / "old.log", (now - 30 * day, now - 30 * day))
    os.utime(root / "sub" / "deep" / "three.log", (now - 8 * day, now - 8 * day))
    (root / "link-to-sub").symlink_to(root / "sub")
    (root / "link-to-conf").symlink_to(root / "app.conf")
    return root


def ansible_find(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    args = workdir / "find-args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": params}), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "ansible.modules.find", str(args)], capture_output=True, text=True, check=False
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def deployctl_find(params: dict[str, Any]) -> dict[str, Any]:
    validated = validate_params(FIND, params)
    facts = {}
    for fact in FIND.facts(validated):
        done = subprocess.run(["/bin/sh", "-c", fact.script()], capture_output=True, text=True, check=False)
        facts[fact.key] = fact.parse(RawFact(done.stdout, done.returncode))
    plan = FIND.plan(validated, facts)
    assert plan.failed is None, plan.failed
    assert not plan.changed
    return dict(plan.result)


SEARCHES: list[dict[str, Any]] = [
    {},
    {"patterns": "*.log"},
    {"patterns": ["*.log", "*.conf"], "excludes": "old*", "recurse": True},
    {"recurse": True, "hidden": True},
    {"recurse": True, "depth": 2},
    {"recurse": True, "file_type": "directory"},
    {"recurse": True, "file_type": "any"},
    {"file_type": "link"},
    {"recurse": True, "age": "7d"},
    {"recurse": True, "age": "-1d"},
    {"recurse": True, "size": "1k"},
    {"recurse": True, "size": "-10b"},
    {"recurse": True, "contains": "debug = true"},
    {"recurse": True, "contains": "debug", "read_whole_file": True},
    {"recurse": True, "patterns": r"^[a-z]+\.log$", "use_regex": True},
    {"recurse": True, "mode": "0600"},
    {"recurse": True, "mode": "4000", "exact_mode": False},
    {"recurse": True, "limit": 2},
    {"recurse": True, "limit": 1, "paths": ["SUB", "TREE"]},
]


@pytest.mark.parametrize("search", SEARCHES, ids=[json.dumps(search) for search in SEARCHES])
def test_find_matches_ansible(search: dict[str, Any], tree: Path, tmp_path: Path) -> None:
    paths = {"TREE": str(tree), "SUB": str(tree / "sub")}
    params = {
        **search,
        "paths": [paths.get(path, path) for path in search.get("paths", ["TREE", str(tree / "missing")])],
    }
    expected = ansible_find(params, tmp_path)
    found = deployctl_find(params)
    assert [{key: item[key] for key in COMPARED_FIELDS} for item in found["files"]] == [
        {key: item[key] for key in COMPARED_FIELDS} for item in expected["files"]
    ]
    for key in ("matched", "examined", "msg", "skipped_paths"):
        assert found[key] == expected[key], key
    for ours, theirs in zip(found["files"], expected["files"], strict=True):
        assert set(ours) == set(theirs) - {"checksum"}
        assert abs(ours["mtime"] - theirs["mtime"]) < 0.001 and ours["inode"] == theirs["inode"]
