"""The everyday hand changes compare makes on one VM and one replica: edit a config file, install a package, stop
the service, loosen a file's mode, drop a file in /tmp. Each is a command (words, quoted at the edge) run as root.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from deployctl.strategies.results import TaskResult

PROBE_PACKAGE = "deployctl-compare-probe"
TMP_FILE = "/tmp/deployctl-compare-by-hand"  # noqa: S108 (on the host under test: the hand change itself)
PROBE_DEB = (
    "set -e; d=$(mktemp -d); mkdir -p $d/DEBIAN; "
    f"printf 'Package: {PROBE_PACKAGE}\\nVersion: 1.0\\nArchitecture: all\\n"
    "Maintainer: deployctl <compare@example.invalid>\\n"
    "Description: installed by hand by deployctl compare\\n' > $d/DEBIAN/control; "
    "dpkg-deb --build $d $d/probe.deb >/dev/null; dpkg -i $d/probe.deb >/dev/null; rm -rf $d"
)
STOP_IN_CONTAINER = (
    'for p in /proc/[0-9]*; do case "$(tr "\\0" " " < $p/cmdline 2>/dev/null)" in *"$1"*) kill ${p#/proc/};; esac; done'
)


@dataclass(frozen=True)
class Targets:
    """What the hand changes touch, read from the release's own run: its config file, its program, its service."""

    config: str
    program: str
    service: str


@dataclass(frozen=True)
class HandChange:
    """One hand change: its name, and the command for a VM and for a replica."""

    name: str
    vm: tuple[str, ...]
    container: tuple[str, ...]


def targets_of(results: Sequence[TaskResult], service: str = "") -> Targets | None:
    """The first template's dest, the first copy's dest and the first service's name a release's run reports
    (`service`: the name its service task gives, when the run's output does not say)."""
    found: dict[str, str] = {"service": service} if service else {}
    for result in results:
        for part in result.items or (result,):
            key = {"template": "config", "copy": "program", "service": "service", "systemd": "service"}.get(part.module)
            value = part.output.get("dest") if key in ("config", "program") else part.output.get("name")
            if key is not None and key not in found and isinstance(value, str) and value:
                found[key] = value
    if len(found) < 3:
        return None
    return Targets(found["config"], found["program"], found["service"])


def hand_changes(targets: Targets) -> list[HandChange]:
    """The scripted series, in order (the service stopped last: a replica restarts when its service stops)."""
    edit = ("sh", "-c", 'printf "# edited by hand\\n" >> "$1"', "sh", targets.config)
    return [
        HandChange("edit a config file", edit, edit),
        HandChange("install a package", ("sh", "-c", PROBE_DEB), ("sh", "-c", PROBE_DEB)),
        HandChange("loosen a file mode", ("chmod", "0666", targets.program), ("chmod", "0666", targets.program)),
        HandChange("drop a file in /tmp", ("touch", TMP_FILE), ("touch", TMP_FILE)),
        HandChange(
            "stop the service",
            ("systemctl", "stop", targets.service),
            ("sh", "-c", STOP_IN_CONTAINER, "sh", targets.program),
        ),
    ]
