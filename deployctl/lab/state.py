"""The lab's connection facts, stored after `lab up` under `.deployctl/lab/` for inventories to resolve."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from deployctl.errors import LabError
from deployctl.lab.sshconfig import parse_ssh_config
from deployctl.model.connection import SshEndpoint
from deployctl.statedir import private_folder, write_private

STATE_FILE = "state.json"
SSH_CONFIG_FILE = "ssh_config"


@dataclass(frozen=True)
class LabState:
    """What `lab up` recorded: the provider and each machine's SSH endpoint."""

    provider: str
    endpoints: dict[str, SshEndpoint]


def lab_dir(state_dir: Path) -> Path:
    return state_dir / "lab"


def save_lab_state(state_dir: Path, provider: str, ssh_config: str) -> LabState:
    """Record `vagrant ssh-config` output and the provider; return the parsed state."""
    folder = private_folder(lab_dir(state_dir))
    endpoints = parse_ssh_config(ssh_config)
    write_private(folder / SSH_CONFIG_FILE, ssh_config)
    payload = {"provider": provider, "endpoints": {name: asdict(e) for name, e in endpoints.items()}}
    temporary = folder / f"{STATE_FILE}.tmp"
    write_private(temporary, json.dumps(payload, indent=2) + "\n")
    temporary.replace(folder / STATE_FILE)
    return LabState(provider, endpoints)


def load_lab_state(state_dir: Path) -> LabState | None:
    """The recorded lab state, or None when the lab was never brought up (or was taken down)."""
    path = lab_dir(state_dir) / STATE_FILE
    if not path.exists():
        return None
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        endpoints = {name: SshEndpoint(**fields) for name, fields in payload["endpoints"].items()}
        return LabState(str(payload["provider"]), endpoints)
    except (ValueError, KeyError, TypeError) as exc:
        raise LabError(f"{path}: unreadable lab state ({exc}); run `deployctl lab up` again") from exc


def require_lab_state(state_dir: Path) -> LabState:
    """The recorded lab state, or a clear error that says how to create it."""
    state = load_lab_state(state_dir)
    if state is None:
        raise LabError("the lab is not up (no lab state recorded): run `deployctl lab up`")
    return state


def clear_lab_state(state_dir: Path) -> None:
    """Forget the lab's connection facts (after `lab down`)."""
    folder = lab_dir(state_dir)
    for name in (STATE_FILE, SSH_CONFIG_FILE):
        (folder / name).unlink(missing_ok=True)


def ssh_config_path(state_dir: Path) -> Path:
    """The stored OpenSSH config of the lab (for `ssh -F` and testinfra's ssh backend)."""
    return lab_dir(state_dir) / SSH_CONFIG_FILE
