"""What every replica of a release runs: the image, its port and health path, and the stage's config files.

The stage's rendered files are written once under the state folder, in a folder named by their content, and
mounted read-only into each replica: a file already mounted is never rewritten, so a rollback can reuse it.
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from deployctl.errors import DeployctlError
from deployctl.immutable.recipe import ImageRelease, RuntimeFile


@dataclass(frozen=True)
class ConfigMount:
    """A rendered file on the Docker host (`source`, absolute) mounted read-only at `dest` in each replica."""

    source: str
    dest: str
    mode: str = "0644"


@dataclass(frozen=True)
class ReplicaSpec:
    """Everything needed to start one more replica of a release, and to start it again on a rollback."""

    app: str
    image: str
    image_id: str
    context_hash: str
    port: int
    health_path: str
    mounts: tuple[ConfigMount, ...] = ()

    @property
    def release(self) -> str:
        """The value of the `deployctl.release` label: the image's content-addressed tag."""
        return self.image


def spec_for_release(release: ImageRelease, mounts: Sequence[ConfigMount]) -> ReplicaSpec:
    """The replica spec of a built release with its stage's config files."""
    return ReplicaSpec(
        app=release.app,
        image=release.image,
        image_id=release.image_id,
        context_hash=release.context_hash,
        port=release.service.port,
        health_path=release.service.health_path,
        mounts=tuple(mounts),
    )


def check_dest(dest: str) -> PurePosixPath:
    """A config file's destination: absolute, normalised, no `..`; else an error naming it."""
    path = PurePosixPath(dest)
    if not path.is_absolute() or ".." in path.parts or path == PurePosixPath("/"):
        raise DeployctlError(f"config file destination {dest!r}: must be an absolute file path without '..'")
    return path


def config_digest(files: Sequence[RuntimeFile]) -> str:
    """A digest of the stage's rendered files (destinations, modes, contents), in destination order."""
    digest = hashlib.sha256()
    for item in sorted(files, key=lambda f: f.dest):
        digest.update(item.dest.encode() + b"\0" + item.mode.encode() + b"\0")
        digest.update(hashlib.sha256(item.content).digest())
    return digest.hexdigest()[:12]


def config_folder(state_dir: Path, stage: str, release: ImageRelease, files: Sequence[RuntimeFile]) -> Path:
    """Where a release's rendered files for a stage live: named by the release's context and the files' content."""
    return state_dir.resolve() / "stages" / stage / "config" / f"{release.context_hash}-{config_digest(files)}"


def write_config_files(
    state_dir: Path, stage: str, release: ImageRelease, files: Sequence[RuntimeFile]
) -> tuple[ConfigMount, ...]:
    """Write the stage's files under the state folder (once: the folder is named by content); their mounts."""
    dests = [check_dest(item.dest) for item in files]
    if len(set(dests)) != len(dests):
        raise DeployctlError(f"config files: two files have the same destination ({sorted(map(str, dests))})")
    folder = config_folder(state_dir, stage, release, files)
    mounts = []
    for item, dest in zip(files, dests, strict=True):
        host = folder / dest.relative_to("/")
        mode = int(item.mode, 8)
        if not host.exists() or host.read_bytes() != item.content:
            host.parent.mkdir(parents=True, exist_ok=True)
            partial = host.with_name(host.name + ".partial")
            partial.write_bytes(item.content)
            partial.chmod(mode)
            partial.replace(host)
        mounts.append(ConfigMount(source=str(host), dest=str(dest), mode=item.mode))
    return tuple(mounts)


def fallback_health_command(port: int, path: str) -> list[str]:
    """A health check for an image that has none: GET the health path with curl, wget or python3, the first found."""
    url = shlex.quote(f"http://127.0.0.1:{port}{path}")
    probes = [
        f"curl -fsS -o /dev/null --max-time 2 {url}",
        f"wget -q -O /dev/null -T 2 {url}",
        f"python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' {url}",
    ]
    return ["CMD-SHELL", " || ".join(probes)]


NANOSECONDS = 1_000_000_000


def fallback_healthcheck(port: int, path: str, interval_s: float) -> dict[str, Any]:
    """Docker's health check settings (the API's names, in nanoseconds) for an image that has none."""
    return {
        "test": fallback_health_command(port, path),
        "interval": int(interval_s * NANOSECONDS),
        "timeout": 2 * NANOSECONDS,
        "retries": 3,
        "start_period": 10 * NANOSECONDS,
    }


def image_healthcheck(image_attrs: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The image's own HEALTHCHECK settings (`Config.Healthcheck`), or None when it has none (or NONE)."""
    configured = (image_attrs.get("Config") or {}).get("Healthcheck") or {}
    test = configured.get("Test") or []
    return configured if test and test[0] != "NONE" else None
