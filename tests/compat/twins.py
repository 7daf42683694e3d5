"""Twin nodes for one role: started from the lab's node image with the lab's options, run on, read, removed."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from deployctl.dockerapi.types import Container, EngineApi
from deployctl.lab.images import NODE_IMAGE
from deployctl.lab.nodes import LOOPBACK, SSH_USER, KeyPair, authorize_key, start_node

NAME_PREFIX = "deployctl-compat-"
LABEL = "deployctl.compat"
HOST = "twin"
"""Both twins have this inventory name and host name: templates that print them render alike."""
COMPAT = Path(__file__).resolve().parent
REPO = COMPAT.parent.parent
RUN_TIMEOUT = 900
_PUBLISHING = threading.Lock()
"""Held from choosing a free port until a node publishes it, so twins started at once never pick the same."""

_run = subprocess.run
_ENVIRONMENT = dict(os.environ)
"""The runs happen in the background while unit tests run, some of which patch `subprocess.run` or the
environment for a moment: the runs use the function and the environment as they were at import."""


@dataclass(frozen=True)
class Twin:
    """One node: its container and its SSH port on 127.0.0.1."""

    container: Container
    port: int


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def start_twin(client: EngineApi, role: str, tool: str, key: KeyPair) -> Twin:
    """A fresh node named deployctl-compat-<role>-<tool>: booted, key authorized, package lists read, reachable.

    The node image drops apt's lists to stay small; a Debian VM has them, and roles that install without
    `update_cache` rely on that.
    """
    name = f"{NAME_PREFIX}{role.replace('_', '-')}-{tool}"
    for stale in client.list_containers([f"{LABEL}=1"]):
        if stale.name == name:
            stale.remove(force=True)
    with _PUBLISHING:
        port = free_port()
        container = start_node(client, NODE_IMAGE, name=name, hostname=HOST, labels={LABEL: "1"}, ssh_port=port)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        booted = container.exec(["systemctl", "is-system-running", "--wait"], user="root")
        if booted.output.strip() in ("running", "degraded"):
            break
        time.sleep(0.5)  # poll interval, bounded by the deadline
    authorize_key(container, key)
    listed = container.exec(["apt-get", "update", "-qq"], user="root")  # a VM comes with its package lists
    assert listed.exit_code == 0, f"{name}: apt-get update failed: {listed.output}"
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(2)
            try:
                probe.connect((LOOPBACK, port))
                if probe.recv(4).startswith(b"SSH-"):
                    return Twin(container, port)
            except OSError:
                pass
        time.sleep(0.2)  # poll interval, bounded by the deadline
    raise AssertionError(f"{name}: sshd on 127.0.0.1:{port} did not answer within 90 s")


def host_vars(twin: Twin, key: KeyPair) -> dict[str, object]:
    return {
        "ansible_host": LOOPBACK,
        "ansible_port": twin.port,
        "ansible_user": SSH_USER,
        "ansible_ssh_private_key_file": str(key.private_path),
        "ansible_host_key_checking": False,
        "ansible_python_interpreter": "/usr/bin/python3",
    }


@dataclass(frozen=True)
class RunResult:
    """One run of a tool: exit code, changed count (None when unreadable), and its output's tail."""

    code: int
    changed: int | None
    tail: str
    managed_files: tuple[str, ...] = ()
    """Files the run's diffs name (deployctl's with --diff): what the role manages by content."""
    edited_files: tuple[str, ...] = ()
    """Files whose lines or blocks the run's diffs name (lineinfile, blockinfile, ini_file): only a part managed."""
    installed_packages: tuple[str, ...] = ()
    """Packages the run's diffs say it installed (deployctl's with --diff)."""

    @property
    def ok(self) -> bool:
        return self.code == 0


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def ansible_run(role: str, twin: Twin, key: KeyPair, folder: Path) -> RunResult:
    """`ansible-playbook` of the role's case on the ansible twin."""
    inventory = folder / "ansible-inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {HOST: host_vars(twin, key)}}}))
    env = {
        **_ENVIRONMENT,
        "ANSIBLE_ROLES_PATH": str(COMPAT / "roles"),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_SSH_ARGS": "-o UserKnownHostsFile=/dev/null -o ControlMaster=auto -o ControlPersist=60s",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_LOCAL_TEMP": str(folder / "ansible-local"),
    }
    done = _run(
        ["ansible-playbook", "-i", str(inventory), str(COMPAT / "cases" / f"{role}.yml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    recap = re.search(rf"^{HOST}\s+: ok=\d+\s+changed=(\d+)", done.stdout, re.M)
    fatal = ansible_failures(done.stdout)
    reason = "\n".join(fatal[:3]) if done.returncode != 0 and fatal else _tail(done.stdout + done.stderr)
    return RunResult(done.returncode, int(recap.group(1)) if recap else None, reason)


def ansible_failures(output: str) -> list[str]:
    """Each failed task of ansible-playbook's output, "<task>: <stderr or msg>": no times, so statuses can quote it."""
    task = ""
    failures = []
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task = line[len("TASK [") :].split("]")[0]
        elif line.startswith(("fatal: ", "failed: ")) and "...ignoring" not in line:
            _, _, result = line.partition(" => ")
            try:
                details = json.loads(result)
                message = str(details.get("stderr") or details.get("msg") or result)
            except (ValueError, AttributeError):
                message = result or line
            failures.append(f"{task}: {message}")
    return failures


def deployctl_project(role: str, twin: Twin, key: KeyPair, folder: Path) -> Path:
    """A deployctl project for the twin: one stage, its inventory, a copy of the roles, the case as site.yml."""
    project = folder / "deployctl-project"
    (project / "inventories").mkdir(parents=True, exist_ok=True)
    config = {"stages": ["compat"], "inventory_dir": "inventories", "state_dir": ".deployctl"}
    (project / "deployctl.yml").write_text(yaml.safe_dump(config))
    shutil.copytree(COMPAT / "roles", project / "roles", dirs_exist_ok=True)  # a release holds only its project's files
    inventory = {"all": {"children": {"compat": {"hosts": {HOST: host_vars(twin, key)}}}}}
    (project / "inventories" / "compat.yml").write_text(yaml.safe_dump(inventory))
    (project / "site.yml").write_text((COMPAT / "cases" / f"{role}.yml").read_text())
    return project


def deployctl_cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI, run in the twin's project as a user would."""
    env = {**_ENVIRONMENT, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), _ENVIRONMENT.get("PYTHONPATH")]))}
    return _run(
        [sys.executable, "-m", "deployctl", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def deployctl_lint(project: Path) -> RunResult:
    done = deployctl_cli(project, "lint", "site.yml")
    head = "\n".join((done.stdout + done.stderr).strip().splitlines()[:40])
    return RunResult(done.returncode, None, head)


def deployctl_apply(project: Path) -> RunResult:
    """`deployctl apply site.yml --stage compat`: exit code and the changed count of its JSON recap."""
    done = deployctl_cli(project, "apply", "site.yml", "--stage", "compat", "--diff", "--format", "json")
    changed = None
    files: list[str] = []
    edited: list[str] = []
    try:
        recap = json.loads(done.stdout)["recap"][HOST]
        changed = int(recap["changed"])
    except (ValueError, KeyError, TypeError):
        pass
    failures = ""
    packages: list[str] = []
    try:
        failed = [r for r in json.loads(done.stdout)["results"] if r.get("status") == "failed" and not r.get("ignored")]
        failures = "\n".join(f"{r.get('task')}: {r.get('message') or r.get('msg') or r}" for r in failed[:3])
        for result in json.loads(done.stdout)["results"]:
            for part in (result, *result.get("items", ())):  # a loop's diffs are its items'
                module = part.get("module", "").rsplit(".", 1)[-1]
                diffs = part.get("diffs", [])
                if module in CONTENT_MODULES:
                    files += [str(d["resource"]) for d in diffs if str(d["resource"]).startswith("/")]
                elif module in EDIT_MODULES:
                    edited += [str(d["resource"]) for d in diffs if str(d["resource"]).startswith("/")]
                elif module in PACKAGE_MODULES:
                    packages += [
                        str(d["resource"]).removeprefix("package ")
                        for d in diffs
                        if str(d["resource"]).startswith("package ") and d["before"] == "not installed"
                    ]
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    return RunResult(
        done.returncode,
        changed,
        failures or _tail(done.stdout + done.stderr),
        managed_files=tuple(dict.fromkeys(files)),
        edited_files=tuple(dict.fromkeys(edited)),
        installed_packages=tuple(dict.fromkeys(packages)),
    )


CONTENT_MODULES = {"copy", "template"}
"""Modules that manage a file's whole content: any line added by hand is drift."""
EDIT_MODULES = {"lineinfile", "blockinfile", "ini_file"}
"""Modules that manage a line or block of a file (and add it back): a line added elsewhere is not drift, the
file emptied by hand is."""
PACKAGE_MODULES = {"apt", "package"}
"""Modules that install packages: removing a package the run installed (not one it only upgraded or marked, which
others may depend on) by hand is drift."""


@dataclass(frozen=True)
class HandChange:
    """A change made by hand on the deployctl twin, and the drift item (kind, resource) that must report it."""

    kind: str
    resource: str
    command: tuple[str, ...]


def hand_change(run: RunResult) -> HandChange | None:
    """A line appended to the first file whose whole content the run managed; else the first file whose line or
    block it managed emptied; else the first package it installed removed; None when the run did none of these."""
    if run.managed_files:
        path = run.managed_files[0]
        return HandChange("file", path, ("sh", "-c", 'echo "# changed by hand" >> "$1"', "sh", path))
    if run.edited_files:
        path = run.edited_files[0]
        return HandChange("file", path, ("truncate", "-s", "0", path))
    if run.installed_packages:
        name = run.installed_packages[0]
        return HandChange("package", name, ("apt-get", "remove", "-y", "-qq", name))
    return None


def drift_items(report: str) -> set[tuple[str, str]]:
    """The (kind, resource) of every item of a `deployctl drift --format json` report (none if unreadable)."""
    try:
        return {(str(item["kind"]), str(item["resource"])) for item in json.loads(report)["items"]}
    except (ValueError, KeyError, TypeError):
        return set()


STATE_SCRIPT = r"""
set -u
echo "## packages"; dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\n'
echo "## passwd"; getent passwd
echo "## group"; getent group
units="--type=service,socket,timer --no-legend --plain"
echo "## enabled"; systemctl list-unit-files $units --state=enabled | awk '{print $1}'
echo "## active"; systemctl list-units $units --state=active | awk '{print $1}'
echo "## paths"
for path in "$@"; do
  if [ -L "$path" ]; then echo "$path link $(stat -c '%a %U %G' "$path") $(readlink "$path")"
  elif [ -f "$path" ]; then echo "$path file $(stat -c '%a %U %G' "$path") $(sha256sum < "$path" | cut -c1-16)"
  elif [ -d "$path" ]; then echo "$path dir $(stat -c '%a %U %G' "$path")"
  elif [ -e "$path" ]; then echo "$path other $(stat -c '%F %a %U %G' "$path")"
  else echo "$path absent"; fi
done
"""


def changed_paths(container: Container, ignored: tuple[str, ...]) -> set[str]:
    """Paths the engine saw added or changed in the node's filesystem since it started, less the ignored ones."""
    return {path for path, kind in container.changes() if kind in (0, 1) and not path.startswith(ignored)}


def end_state(container: Container, paths: list[str]) -> dict[str, list[str]]:
    """Packages, users, groups, enabled and active units, and each path's type, mode, owner, group and hash."""
    done = container.exec(["bash", "-c", STATE_SCRIPT, "state", *paths], user="root")
    sections: dict[str, list[str]] = {}
    current = ""
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("## "):
            current = line[3:]
            sections[current] = []
        elif current:
            sections[current].append(line)
    return {name: sorted(lines) for name, lines in sections.items()}
