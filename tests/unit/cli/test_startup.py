"""Start-up: a command imports only what it needs (its own module; no Rich for JSON, no invoke for SSH)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from deployctl.cli.main import invoked_command


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["apply", "book.yml", "--stage", "dev"], "apply"),
        (["--project", "apply", "ping"], "ping"),
        (["--project=dir", "--debug", "lab", "status"], "lab"),
        (["--help"], None),
        ([], None),
    ],
)
def test_invoked_command_skips_root_options(args: list[str], command: str | None) -> None:
    assert invoked_command(args) == command


def _modules_after(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stdout.split())


def test_apply_imports_neither_other_commands_nor_rich_nor_invoke() -> None:
    loaded = _modules_after("from deployctl.cli.main import register_commands; register_commands(['apply'])")
    assert "deployctl.cli.apply" in loaded
    assert "paramiko" in loaded
    unwanted = {"deployctl.cli.deploy", "deployctl.cli.lab", "deployctl.cli.inventory", "rich", "invoke", "docker"}
    assert not loaded & unwanted


def test_invoke_stays_importable_after_paramiko() -> None:
    loaded = _modules_after("import deployctl.transport.sshlib\nimport invoke")
    assert {"paramiko", "invoke"} <= loaded
