"""The ledger on the command line: one line for its faults, `lock break`, lock holders in `status`, privacy."""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from deployctl.cli.main import main
from deployctl.ledger.db import open_ledger
from deployctl.ledger.locks import StageLock
from deployctl.ledger.records import begin_deployment

REPO = Path(__file__).resolve().parents[3]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copy(REPO / "deployctl.yml", tmp_path / "deployctl.yml")
    shutil.copytree(REPO / "inventories", tmp_path / "inventories")
    return tmp_path


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask (022), under which files are readable by everyone unless created private."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _lock_from_another_machine(ledger_path: Path) -> int:
    ledger = open_ledger(ledger_path)
    left = begin_deployment(ledger, "prod", None, "promote", "both")
    ledger.execute("UPDATE deployments SET pid = 4242, machine = 'ci-runner-7' WHERE id = ?", (left,))
    ledger.execute(
        "INSERT INTO stage_locks VALUES ('prod', 'promote', 'ci@ci-runner-7', 4242, 'ci-runner-7', '2026-01-02T03:04')"
    )
    ledger.close()
    return left


def test_a_damaged_ledger_is_one_line_and_exit_1(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.unit.ledger.test_ledger_faults import damage_table

    ledger = open_ledger(root / ".deployctl" / "ledger.db")
    begin_deployment(ledger, "qa", None, "apply", "mutable")
    ledger.close()
    damage_table(root / ".deployctl" / "ledger.db", "deployments")
    code, out, err = run(["--project", str(root), "history"], capsys)
    assert code == 1
    assert out == ""
    assert err.startswith(f"deployctl: error: ledger {root / '.deployctl' / 'ledger.db'}: database disk image")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_status_shows_who_holds_a_lock_from_where(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _lock_from_another_machine(root / ".deployctl" / "ledger.db")
    code, out, _ = run(["--project", str(root), "status", "--format", "json"], capsys)
    assert code == 0
    prod = next(row for row in json.loads(out) if row["stage"] == "prod")
    assert prod["lock_holder"] == {
        "stage": "prod",
        "command": "promote",
        "by": "ci@ci-runner-7",
        "pid": 4242,
        "machine": "ci-runner-7",
        "acquired_at": "2026-01-02T03:04",
    }
    code, out, _ = run(["--project", str(root), "status"], capsys)
    assert "LOCKED BY" in out
    from deployctl.cli.status import lock_word
    from deployctl.operations.status import held_lock

    assert lock_word(held_lock(StageLock(**prod["lock_holder"]))) == (
        "promote by ci@ci-runner-7 (pid 4242 on ci-runner-7) since 2026-01-02T03:04"
        " (another machine: `deployctl lock break` if it is gone)"
    )


def test_lock_break_needs_a_reason_and_is_recorded_in_history(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    left = _lock_from_another_machine(root / ".deployctl" / "ledger.db")
    code, _, err = run(["--project", str(root), "lock", "break", "--stage", "prod"], capsys)
    assert code == 4
    assert err == "deployctl: error: lock break needs --reason TEXT: the reason is recorded in the stage's history\n"
    code, _, err = run(["--project", str(root), "lock", "break", "--stage", "prod", "--reason", "runner gone"], capsys)
    assert code == 0
    assert "stage prod: lock of promote by ci@ci-runner-7 (pid 4242 on ci-runner-7)" in err
    code, out, _ = run(["--project", str(root), "history", "--stage", "prod", "--format", "json"], capsys)
    events = {event["event"]: event for event in json.loads(out)}
    assert events[f"promote #{left}"]["outcome"] == "interrupted"
    assert events[f"lock-break #{left + 1}"]["outcome"] == "broken"
    assert "runner gone" in events[f"lock-break #{left + 1}"]["detail"]
    code, _, err = run(["--project", str(root), "lock", "break", "--stage", "prod", "--reason", "again"], capsys)
    assert code == 1
    assert err == "deployctl: error: stage prod is not locked: nothing to break\n"


def test_the_state_folder_is_created_private(root: Path, open_umask: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(["--project", str(root), "history"], capsys)
    assert code == 0
    state = root / ".deployctl"
    assert _mode(state) == 0o700
    assert _mode(state / "ledger.db") == 0o600


def test_an_open_state_folder_is_tightened_with_a_notice(
    root: Path, open_umask: None, capsys: pytest.CaptureFixture[str]
) -> None:
    state = root / ".deployctl"
    (state / "releases" / "abc").mkdir(parents=True, mode=0o755)
    (state / "releases" / "abc" / "site.yml").write_text("- hosts: all\n")
    mounted = state / "stages" / "qa" / "config" / "x" / "etc" / "app.conf"
    mounted.parent.mkdir(parents=True)
    mounted.write_text("port=1\n")
    open_ledger(state / "ledger.db").close()
    for path in (state, state / "releases", state / "releases" / "abc"):
        path.chmod(0o755)
    (state / "ledger.db").chmod(0o644)
    code, _, err = run(["--project", str(root), "history"], capsys)
    assert code == 0
    assert err.startswith(f"deployctl: {state} was readable by other users: made it private")
    assert err.count("\n") == 1
    assert _mode(state) == _mode(state / "releases") == _mode(state / "releases" / "abc") == 0o700
    assert _mode(state / "ledger.db") == 0o600
    assert _mode(state / "releases" / "abc" / "site.yml") == 0o600
    assert _mode(mounted) == 0o644  # a container reads it: its task's mode is kept
    _, _, err = run(["--project", str(root), "history"], capsys)
    assert err == ""


def test_a_docker_engine_that_goes_away_is_one_line() -> None:
    import requests

    from deployctl.cli.deploy import EngineFailedError, reports_engine_errors
    from deployctl.dockerapi.errors import engine_errors

    @reports_engine_errors
    def rolling() -> None:
        with engine_errors():  # what the Docker layer does with the SDK's errors
            raise requests.exceptions.ConnectionError("Connection aborted.")

    with pytest.raises(EngineFailedError, match=r"^the Docker engine failed: Connection aborted\.$") as failed:
        rolling()
    assert failed.value.exit_code == 1
