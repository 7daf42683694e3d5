"""Make sure a Docker engine answers: start an installed but stopped one; say clearly when there is none."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from deployctl.dockerapi.engine import DockerEngine, connect
from deployctl.dockerapi.types import EngineError
from deployctl.errors import LabError
from deployctl.statedir import private_folder

INSTALL_HINT = "install it (Debian: apt-get install -y docker.io) or run scripts/install"


def _ping() -> DockerEngine | None:
    try:
        client = connect(timeout=120)
        client.ping()
        return client
    except EngineError:
        return None


def _wait_for_engine(deadline: float, daemon: subprocess.Popen[bytes] | None, log: Path | None) -> None:
    while time.monotonic() < deadline:
        if _ping() is not None:
            return
        if daemon is not None and daemon.poll() is not None:
            tail = log.read_text(errors="replace").splitlines()[-5:] if log and log.exists() else []
            raise LabError(f"dockerd exited with {daemon.returncode}: {' | '.join(tail) or 'no output'}")
        time.sleep(0.5)
    raise LabError(f"the Docker engine did not answer within the wait{f' (log: {log})' if log else ''}")


def ensure_engine(log_dir: Path, say: Callable[[str], None], wait_seconds: float = 90.0) -> DockerEngine:
    """A client of an answering Docker engine; starts the engine when it is installed but stopped."""
    client = _ping()
    if client is not None:
        return client
    if shutil.which("dockerd") is None:
        raise LabError(f"the Docker engine does not answer and dockerd is not installed: {INSTALL_HINT}")
    deadline = time.monotonic() + wait_seconds
    if Path("/run/systemd/system").is_dir() and shutil.which("systemctl"):
        say("Starting the Docker engine (systemctl start docker)")
        started = subprocess.run(["systemctl", "start", "docker"], capture_output=True, text=True, check=False)
        if started.returncode == 0:
            _wait_for_engine(deadline, None, None)
            return _require_client()
    private_folder(log_dir)
    log = log_dir / "dockerd.log"
    say(f"Starting the Docker engine (dockerd, log in {log})")
    with log.open("ab") as out:
        daemon = subprocess.Popen(
            ["dockerd"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    _wait_for_engine(deadline, daemon, log)
    return _require_client()


def _require_client() -> DockerEngine:
    client = _ping()
    if client is None:
        raise LabError("the Docker engine stopped answering right after it started")
    return client
