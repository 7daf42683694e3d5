"""The fault suite's shared pieces: a project copy with its own ledger, the CLI, the lab's containers, checks.

Every test starts from its own project copy (the lab's state and images stay the repository's), injects one
fault, and checks three things: the run says what happened (exit code, per-host status, one-line message),
nothing is lost (`PRAGMA integrity_check` ok, no deployment or verification left `running`, no stage lock
left), and the next ordinary command converges. Only the lab's own containers are touched, by name and
checked by their `deployctl.lab=1` label.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from deployctl.lab.state import LabState
from tests.conftest import REPO

DEADLINE = 300.0
LAB_LABEL = "deployctl.lab"


@pytest.fixture
def copy(lab: LabState, tmp_path: Path) -> Iterator[Path]:
    """The project copied with a fresh ledger (`ledger.db` in the copy); the lab's state is the repository's."""
    root = tmp_path / "project"
    root.mkdir()
    for folder in ("playbooks", "inventories", "images"):
        shutil.copytree(REPO / folder, root / folder)
    write_config(root, "ledger.db")
    yield root


def write_config(root: Path, ledger: str) -> None:
    """deployctl.yml of a copy: the repository's stages and state folder, the ledger at `ledger`."""
    (root / "deployctl.yml").write_text(
        "stages: [dev, qa, uat, prod]\ninventory_dir: inventories\n"
        f"state_dir: {REPO / '.deployctl'}\nledger: {ledger}\n"
    )


def run(root: Path, *args: str, timeout: float = DEADLINE) -> subprocess.CompletedProcess[str]:
    """The real CLI on a copy, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "deployctl", "--project", str(root), *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ok(root: Path, *args: str, timeout: float = DEADLINE) -> subprocess.CompletedProcess[str]:
    """The real CLI on a copy; it must exit 0."""
    done = run(root, *args, timeout=timeout)
    assert done.returncode == 0, f"deployctl {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def start(root: Path, *args: str) -> subprocess.Popen[str]:
    """The real CLI on a copy, in the background, in its own process group (signalled or killed whole)."""
    return subprocess.Popen(
        [sys.executable, "-m", "deployctl", "--project", str(root), *args],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for(what: str, condition: Callable[[], bool], deadline: float = DEADLINE, poll: float = 0.2) -> None:
    """Poll `condition` until it holds; fail naming `what` after `deadline` seconds."""
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(poll)


def one_line_error(stderr: str) -> str:
    """The `deployctl: error:` line of a run's stderr; there must be exactly one and no traceback."""
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("deployctl: error:")]
    assert len(errors) == 1, stderr
    return errors[0]


def assert_ledger_sound(path: Path) -> None:
    """Nothing lost: integrity ok, every deployment and verification in a final state, no stage lock left."""
    ledger = sqlite3.connect(path)
    try:
        assert ledger.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        running = ledger.execute("SELECT id, stage, action FROM deployments WHERE outcome = 'running'").fetchall()
        assert running == [], f"deployments left running: {running}"
        checking = ledger.execute("SELECT id, stage FROM verifications WHERE outcome = 'running'").fetchall()
        assert checking == [], f"verifications left running: {checking}"
        locks = ledger.execute("SELECT stage, command, pid, machine FROM stage_locks").fetchall()
        assert locks == [], f"stage locks left: {locks}"
    finally:
        ledger.close()


def outcomes(path: Path, stage: str) -> list[tuple[str, str]]:
    """(action, outcome) of the stage's deployments, oldest first."""
    ledger = sqlite3.connect(path)
    try:
        return ledger.execute(
            "SELECT action, outcome FROM deployments WHERE stage = ? ORDER BY id", (stage,)
        ).fetchall()
    finally:
        ledger.close()


@pytest.fixture(scope="session")
def engine(lab: LabState) -> docker.DockerClient:
    return docker.from_env(timeout=120)


def lab_container(engine: docker.DockerClient, host: str) -> docker.models.containers.Container:
    """The container of a lab VM, checked to be the lab's (by its label) before a test touches it."""
    container = engine.containers.get(f"deployctl-lab-{host}")
    assert container.labels.get(LAB_LABEL) == "1", f"{container.name} is not a lab container"
    return container


def on_vm(container: docker.models.containers.Container, *command: str) -> tuple[int, str]:
    """Run a command in a lab VM's container (not over SSH: the fault may be SSH itself)."""
    code, output = container.exec_run(list(command))
    return int(code), output.decode(errors="replace")


def ssh_answers(port: int) -> bool:
    """True when something on 127.0.0.1:`port` sends an SSH banner."""
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            return sock.recv(4).startswith(b"SSH-")
    except OSError:
        return False


def write_playbook(root: Path, name: str, text: str) -> Path:
    """A test playbook in its own folder of the copy (its release holds only it and the inventories)."""
    folder = root / "faults"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path
