"""Start-up: a command imports only what it needs (its own module; no Rich for JSON, no invoke for SSH), and the
lightweight commands (--version, --help, status, history) none of the heavy libraries.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from deployctl.cli.commands import COMMANDS, load_command

REPO = Path(__file__).resolve().parents[3]

HEAVY = {"docker", "paramiko", "jinja2", "rich", "invoke", "requests", "cryptography"}
"""Libraries only the commands that reach hosts, template or render tables import."""
COMMAND_MODULES = {f"deployctl.cli.{entry.module}" for entry in COMMANDS.values()}


def _modules_after(code: str, cwd: Path | None = None) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
    )
    return set(done.stdout.split())


def _modules_of_command(args: list[str], cwd: Path | None = None) -> set[str]:
    """The modules loaded once `deployctl ARGS` has run (to its exit), in a fresh interpreter."""
    code = (
        "import sys\n"
        "from deployctl.cli.main import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "sys.stdout = sys.__stdout__"
    )
    return _modules_after(code, cwd)


def _top_packages(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@pytest.mark.parametrize("args", [["--version"], ["--help"], []])
def test_version_and_help_import_no_command_and_no_heavy_library(args: list[str]) -> None:
    loaded = _modules_of_command(args)
    assert not loaded & COMMAND_MODULES
    assert not _top_packages(loaded) & (HEAVY | {"yaml", "sqlite3"})


@pytest.mark.parametrize("command", ["status", "history"])
def test_ledger_reports_import_neither_hosts_nor_templating(command: str, tmp_path: Path) -> None:
    shutil.copy(REPO / "deployctl.yml", tmp_path / "deployctl.yml")
    shutil.copytree(REPO / "inventories", tmp_path / "inventories")
    loaded = _modules_of_command([command, "--format", "json"], cwd=tmp_path)
    assert f"deployctl.cli.{command}" in loaded
    assert not _top_packages(loaded) & HEAVY
    assert not loaded & (COMMAND_MODULES - {f"deployctl.cli.{command}", "deployctl.cli.deploy"})


def test_apply_imports_neither_other_commands_nor_rich_nor_invoke() -> None:
    loaded = _modules_after("from deployctl.cli.commands import load_command; load_command('apply')")
    assert "deployctl.cli.apply" in loaded
    assert "paramiko" in loaded
    unwanted = {"deployctl.cli.deploy", "deployctl.cli.lab", "deployctl.cli.inventory", "rich", "invoke", "docker"}
    assert not loaded & unwanted


def test_invoke_stays_importable_after_paramiko() -> None:
    loaded = _modules_after("import deployctl.transport.sshlib\nimport invoke")
    assert {"paramiko", "invoke"} <= loaded


@pytest.mark.parametrize("name", list(COMMANDS))
def test_listed_help_is_the_commands_own(name: str) -> None:
    """The root's help lists each command with the first paragraph of the command's own help."""
    command = load_command(name)
    own = " ".join((command.help or "").split("\n\n")[0].split())
    assert COMMANDS[name].help == own


def test_root_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    from deployctl.cli.main import main

    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    listed = capsys.readouterr().out.split("Commands:")[1]
    words = " ".join(listed.split())
    for name, entry in COMMANDS.items():
        assert f"{name} {entry.help}" in words


def test_a_command_is_built_as_typer_builds_it() -> None:
    lab = load_command("lab")
    assert isinstance(lab, typer.core.TyperGroup)
    assert set(lab.commands) == {"up", "status", "down"}
    assert lab.commands["status"].short_help == (
        "Every lab host: stage, address, SSH reachable, OS, systemd state, uptime (one parallel pass)."
    )


def test_listing_the_inventory_imports_no_ssh_library() -> None:
    loaded = _modules_after("from deployctl.cli.commands import load_command; load_command('inventory')")
    assert "deployctl.cli.inventory" in loaded
    assert not _top_packages(loaded) & {"paramiko", "cryptography", "docker", "jinja2", "rich"}


def test_the_entry_module_imports_no_framework_library_or_planner() -> None:
    loaded = _modules_after("import deployctl.cli.main")
    assert not _top_packages(loaded) & (HEAVY | {"typer", "yaml", "sqlite3", "packaging"})
    assert not {name for name in loaded if name.startswith(("deployctl.modules.", "deployctl.model."))}


def test_version_alone_needs_no_cli_framework(capsys: pytest.CaptureFixture[str]) -> None:
    assert "typer" not in _top_packages(_modules_of_command(["--version"]))
    from deployctl import __version__
    from deployctl.cli.main import main

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"deployctl {__version__}\n"


def test_version_among_other_options_is_the_root_option(capsys: pytest.CaptureFixture[str]) -> None:
    from deployctl import __version__
    from deployctl.cli.main import main

    with pytest.raises(SystemExit) as done:
        main(["--debug", "--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"deployctl {__version__}\n"


def test_the_apply_command_imports_no_planner() -> None:
    """Planners are imported by the playbook's tasks (modules/registry.py), not by the command."""
    from deployctl.modules.registry import MODULE_FILES

    loaded = _modules_after("from deployctl.cli.commands import load_command; load_command('apply')")
    assert "deployctl.modules.registry" in loaded
    assert not loaded & {f"deployctl.modules.{file}" for file in MODULE_FILES.values()}


def test_the_program_collects_again_once_the_command_is_loaded(tmp_path: Path) -> None:
    """Start-up's imports run without cyclic collection; the command runs with it, start-up's objects frozen."""
    playbook = tmp_path / "site.yml"
    playbook.write_text("- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.command: {cmd: 'true'}\n")
    code = (
        "import gc, sys\n"
        "from deployctl.cli import commands\n"
        "from deployctl.cli.main import main\n"
        "seen = []\n"
        "resume = commands.resume_collection\n"
        "def spy():\n"
        "    seen.append(gc.isenabled())\n"
        "    resume()\n"
        "    seen.append((gc.isenabled(), gc.get_freeze_count() > 0))\n"
        "commands.resume_collection = spy\n"
        f"sys.argv = ['deployctl', 'lint', {str(playbook)!r}]\n"
        "try:\n    main()\nexcept SystemExit as done:\n    code = done.code\n"
        "print(code, seen, gc.isenabled())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.splitlines()[-1] == "0 [False, (True, True)] True"


@pytest.mark.parametrize("args", [["--help"], ["lint", "no-such-playbook.yml"], ["--version", "--debug"]])
def test_a_caller_in_the_same_process_gets_its_collector_back(args: list[str]) -> None:
    import gc

    from deployctl.cli.main import main

    assert gc.isenabled() and gc.get_freeze_count() == 0
    with pytest.raises(SystemExit):
        main(args)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        with pytest.raises(SystemExit):
            main(args)
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()
