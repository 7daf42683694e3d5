"""The command line: --version, --help, one-line errors with exit codes, JSON output, NO_COLOR."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from deployctl import __version__
from deployctl.cli.main import main

REPO = Path(__file__).resolve().parents[3]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def copy_project(tmp_path: Path) -> Path:
    shutil.copy(REPO / "deployctl.yml", tmp_path / "deployctl.yml")
    shutil.copytree(REPO / "inventories", tmp_path / "inventories")
    return tmp_path


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"], capsys) == (0, f"deployctl {__version__}\n", "")


@pytest.mark.parametrize("args", [["--help"], ["lab", "--help"], ["lab", "up", "--help"], ["inventory", "--help"]])
def test_help_everywhere(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(args, capsys)
    assert code == 0
    assert "Usage" in out


def test_malformed_inventory_is_one_line_exit_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_project(tmp_path)
    (root / "inventories" / "qa.yml").write_text("all:\n  hosts:\n    qa-vm1:\n      ansible_port: [22\n")
    code, out, err = run(["--project", str(root), "inventory", "--stage", "dev"], capsys)
    assert code == 4
    assert out == ""
    assert err.startswith("deployctl: error: inventories/qa.yml:")
    assert "invalid YAML" in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_debug_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_project(tmp_path)
    (root / "inventories" / "dev.yml").write_text("all:\n  hosts:\n    dev-vm1:\n      ansible_port: ssh\n")
    code, _, err = run(["--debug", "--project", str(root), "inventory"], capsys)
    assert code == 4
    assert "Traceback" in err
    assert "inventories/dev.yml:4: ansible_port: must be a port number" in err


def test_unknown_stage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["--project", str(copy_project(tmp_path)), "inventory", "--stage", "staging"], capsys)
    assert code == 4
    assert "deployctl.yml:3: stages: unknown stage 'staging'" in err


def test_lab_status_without_a_lab(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["--project", str(copy_project(tmp_path)), "lab", "status"], capsys)
    assert code == 1
    assert err == "deployctl: error: the lab is not up (no lab state recorded): run `deployctl lab up`\n"


def test_inventory_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--project", str(copy_project(tmp_path)), "inventory", "-s", "qa", "--format", "json"], capsys)
    assert code == 0
    hosts = json.loads(out)["hosts"]
    assert [(h["name"], h["stage"], h["groups"]) for h in hosts] == [
        ("qa-vm1", "qa", ["all", "qa", "web"]),
        ("qa-vm2", "qa", ["all", "qa", "web"]),
        ("qa-web", "qa", ["all", "qa", "web", "web_containers"]),
    ]
    assert hosts[0]["vars"]["stage_name"] == "qa"


def test_usage_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["lab", "up", "--nope"], capsys)
    assert code == 2
    assert "No such option" in err


def test_no_color_respected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    _, out, _ = run(["--project", str(copy_project(tmp_path)), "inventory"], capsys)
    assert "\x1b[" not in out
