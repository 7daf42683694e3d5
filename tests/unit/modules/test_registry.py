"""The module registry: its static table names every module and alias exactly, and a lookup imports one planner."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import deployctl.modules
from deployctl.modules.base import Module
from deployctl.modules.registry import MODULE_FILES, MODULES, ModuleRegistry, canonical_name, find_module

REPO = Path(__file__).resolve().parents[3]


def _defined_modules() -> dict[str, Module]:
    """Every Module a file of deployctl/modules defines under its file's name in capitals, by file."""
    found: dict[str, Module] = {}
    for info in pkgutil.iter_modules(deployctl.modules.__path__):
        candidate = getattr(importlib.import_module(f"deployctl.modules.{info.name}"), info.name.upper(), None)
        if isinstance(candidate, Module):
            found[info.name] = candidate
    return found


def _planners_loaded(code: str) -> set[str]:
    """The planner files (deployctl.modules.<file> of the registry's table) imported after `code`, fresh."""
    files = sorted(set(MODULE_FILES.values()))
    check = f"{code}\nimport sys\nprint(' '.join(f for f in {files!r} if 'deployctl.modules.' + f in sys.modules))"
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True, cwd=REPO)
    return set(done.stdout.split())


def test_the_table_names_every_module_and_alias_of_every_file() -> None:
    defined = _defined_modules()
    listed = {name: file for file, module in defined.items() for name in (module.name, *module.aliases)}
    assert dict(MODULE_FILES) == listed


def test_a_lookup_gives_the_files_module_for_its_name_and_aliases() -> None:
    defined = _defined_modules()
    for name, file in MODULE_FILES.items():
        assert MODULES[name] is defined[file]
    assert find_module("ansible.builtin.package") is defined["apt"]
    assert find_module("ansible.posix.sysctl") is defined["sysctl"]
    assert find_module("community.general.sysctl") is None  # a collection that does not hold it
    assert find_module("no_such_module") is None


def test_the_registry_is_a_mapping_of_every_name() -> None:
    registry = ModuleRegistry({"copy": "copy"})
    assert list(registry) == ["copy"] and len(registry) == 1
    assert "copy" in registry and "file" not in registry
    assert registry.get("file") is None
    with pytest.raises(KeyError):
        registry["file"]
    assert dict(registry.items()) == {"copy": MODULES["copy"]}


def test_names_are_known_without_importing_a_planner() -> None:
    code = (
        "from deployctl.modules.registry import MODULES, canonical_name\n"
        "assert all(canonical_name(n) in MODULES for n in ('ansible.builtin.copy', 'ansible.posix.mount', 'apt'))\n"
        "assert 'ansible.builtin.nope' not in MODULES and len(MODULES) > 30"
    )
    assert _planners_loaded(code) == set()


def test_a_lookup_imports_that_planner_only() -> None:
    code = "from deployctl.modules.registry import find_module\nfind_module('ansible.builtin.copy')"
    loaded = _planners_loaded(code)
    assert "copy" in loaded
    assert not loaded & {"apt", "pip", "ufw", "authorized_key", "openssh_keypair", "user", "setup"}


def test_loading_a_playbook_imports_the_planners_it_uses(tmp_path: Path) -> None:
    playbook = tmp_path / "site.yml"
    playbook.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.file: {path: /srv/app, state: directory}\n"
        "    - ansible.builtin.command: {cmd: 'true', creates: /srv/app/done}\n"
    )
    code = (
        "from pathlib import Path\nfrom deployctl.model.loading.plays import load_playbook\n"
        f"load_playbook(Path({str(playbook)!r}))"
    )
    loaded = _planners_loaded(code)
    assert {"file", "command"} <= loaded
    assert not loaded & {"apt", "pip", "ufw", "authorized_key", "openssh_keypair", "cron", "pamd", "setup"}


def test_canonical_names_need_no_planner() -> None:
    assert canonical_name("ansible.legacy.shell") == "shell"
    assert canonical_name("community.crypto.openssh_keypair") == "openssh_keypair"
