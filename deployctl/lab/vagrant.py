"""Drive Vagrant: choose a provider, bring machines up, read ssh-config, destroy; nothing else."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path

from deployctl.errors import LabError

PROVIDERS = ("docker", "virtualbox", "libvirt")
QUIET_ENV = {
    "VAGRANT_CHECKPOINT_DISABLE": "1",
    "VAGRANT_BOX_UPDATE_CHECK_DISABLE": "1",
    "VAGRANT_NO_COLOR": "1",
}


def vagrant_binary() -> str:
    """The vagrant executable, or an error that says how to install it."""
    found = shutil.which("vagrant")
    if found is None:
        raise LabError("Vagrant is not installed: run scripts/install (Debian: apt-get install -y vagrant)")
    return found


def choose_provider(requested: str | None, environ: Mapping[str, str]) -> str:
    """The provider to use: the one asked for, else VAGRANT_DEFAULT_PROVIDER, else a hypervisor, else docker."""
    choice = requested or environ.get("VAGRANT_DEFAULT_PROVIDER")
    if choice:
        if choice not in PROVIDERS:
            raise LabError(f"unknown provider {choice!r}; choose one of {', '.join(PROVIDERS)}")
        return choice
    if shutil.which("VBoxManage") and Path("/dev/vboxdrv").exists():
        return "virtualbox"
    if shutil.which("virsh") and Path("/dev/kvm").exists():
        return "libvirt"
    return "docker"


def _environment() -> dict[str, str]:
    return {**os.environ, **QUIET_ENV}


def run_vagrant(root: Path, args: list[str], on_line: Callable[[str], None]) -> None:
    """Run `vagrant ARGS` in the project root, passing each output line on; raise with the tail on failure."""
    command = [vagrant_binary(), *args]
    tail: deque[str] = deque(maxlen=12)
    with subprocess.Popen(
        command,
        cwd=root,
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            line = line.rstrip()
            if line:
                tail.append(line)
                on_line(line)
    if process.returncode != 0:
        raise LabError(f"`vagrant {' '.join(args)}` failed ({process.returncode}): " + " | ".join(list(tail)[-4:]))


def vagrant_ssh_config(root: Path) -> str:
    """The OpenSSH config Vagrant prints for every running machine."""
    done = subprocess.run(
        [vagrant_binary(), "ssh-config"],
        cwd=root,
        env=_environment(),
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0 or "Host " not in done.stdout:
        reason = " | ".join(done.stderr.strip().splitlines()[-3:]) or "no machines"
        raise LabError(f"`vagrant ssh-config` failed: {reason}")
    return done.stdout
