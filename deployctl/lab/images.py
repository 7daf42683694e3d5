"""Build the lab's images without a registry: the Debian base (pulled, else debootstrap) and the node."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from deployctl.dockerapi.types import EngineApi, EngineError, EngineRefusedError
from deployctl.errors import LabError

ROOTFS_IMAGE = "deployctl/rootfs:bookworm"
OFFICIAL_SLIM = ("debian", "bookworm-slim")
BASE_IMAGE = "deployctl/base:bookworm"
NODE_IMAGE = "deployctl/node:bookworm"
LAB_LABEL = "deployctl.lab"
IMAGE_LABEL = "deployctl.image"
"""Labels of an image are inherited by every image and container made from it: the base says only what it is."""
LAB_NODE_LABEL = "deployctl.role=lab-node"
"""The label the Vagrantfile gives every lab container: the only containers `lab up`/`lab down` remove."""
CONTEXT_LABEL = "deployctl.context"

Say = Callable[[str], None]


def context_digest(folder: Path, *extra: str) -> str:
    """A digest of a build context's files (names, modes and contents) and any extra inputs."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        digest.update(oct(path.stat().st_mode & 0o777).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for item in extra:
        digest.update(item.encode() + b"\0")
    return digest.hexdigest()[:16]


def _pull_official(client: EngineApi, say: Say) -> str | None:
    repository, tag = OFFICIAL_SLIM
    say(f"Trying to pull {repository}:{tag}")
    try:
        client.pull_image(repository, tag)
    except EngineError as exc:
        reason = str(exc).splitlines()[0][:160]
        say(f"Pull failed ({reason}); building the root filesystem with debootstrap instead")
        return None
    return f"{repository}:{tag}"


def _debootstrap_rootfs(client: EngineApi, say: Say) -> str:
    if shutil.which("debootstrap") is None:
        raise LabError("debootstrap is not installed: run scripts/install (Debian: apt-get install -y debootstrap)")
    if os.geteuid() != 0:
        raise LabError("building the base image with debootstrap needs root: run `deployctl lab up` as root")
    with tempfile.TemporaryDirectory(prefix="deployctl-rootfs-", dir="/var/tmp") as work:
        rootfs = Path(work) / "rootfs"
        say("debootstrap --variant=minbase bookworm (about 30 s)")
        _run_logged(["debootstrap", "--variant=minbase", "bookworm", str(rootfs)], "debootstrap")
        tarball = Path(work) / "rootfs.tar"
        _run_logged(["tar", "-C", str(rootfs), "-cf", str(tarball), "."], "tar")
        say(f"Importing the root filesystem as {ROOTFS_IMAGE}")
        repository, tag = ROOTFS_IMAGE.split(":")
        client.import_image(tarball, repository, tag)
    return ROOTFS_IMAGE


def _run_logged(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise LabError(f"{what} failed with exit code {done.returncode}: {tail}")


class ImageBuildError(LabError):
    """A build failed: at which step (`Step N/M : INSTRUCTION`, None before the first) and the log's tail."""

    def __init__(self, tag: str, reason: str, step: str | None, tail: list[str]) -> None:
        where = f" at {step}" if step else ""
        super().__init__(f"building {tag} failed{where}: {reason} (last output: {' | '.join(tail) or 'none'})")
        self.tag = tag
        self.reason = reason
        self.step = step
        self.tail = tail


BUILD_LOG_TAIL = 6
"""Lines of build output an error shows."""
BUILDER_NOISE = ("--->", "Removing intermediate container", "Successfully built", "Successfully tagged")
"""The builder's own bookkeeping lines: not part of a step's output."""
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def build_image(client: EngineApi, context: Path, tag: str, labels: dict[str, str], say: Say, **buildargs: str) -> str:
    """Build `context` as `tag` with the SDK, streaming steps; returns the image id (sha256:...).

    A failing step raises ImageBuildError naming the step and the log's tail. Never pulls.
    """
    log: list[str] = []
    step: str | None = None
    image_id = ""
    partial = ""  # the stream's chunks are not whole lines: a line can come in several

    def take(lines: list[str]) -> None:
        nonlocal step
        for text in (piece.rstrip() for line in lines for piece in _ANSI_ESCAPE.sub("", line).splitlines()):
            if not text:
                continue
            if text.startswith("Step "):
                step = text
                say(text)
            elif not text.lstrip().startswith(BUILDER_NOISE):
                log.append(text)

    try:
        for chunk in client.build_image(context, tag, labels, buildargs):
            if "stream" in chunk:
                *lines, partial = (partial + str(chunk["stream"])).split("\n")
                take(lines)
            if isinstance(chunk.get("aux"), dict) and "ID" in chunk["aux"]:
                image_id = str(chunk["aux"]["ID"])
            if "error" in chunk:
                take([partial])
                raise ImageBuildError(tag, str(chunk["error"]).strip(), step, log[-BUILD_LOG_TAIL:])
    except EngineRefusedError as exc:
        take([partial])
        raise ImageBuildError(tag, str(exc), step, log[-BUILD_LOG_TAIL:]) from exc
    take([partial])
    return image_id or client.get_image(tag).id


def ensure_base_image(client: EngineApi, images_dir: Path, say: Say) -> str:
    """Make sure deployctl/base:bookworm exists; returns how (`present` or the root filesystem used)."""
    if client.find_image(BASE_IMAGE) is not None:
        return "present"
    rootfs = _pull_official(client, say) or (
        ROOTFS_IMAGE if client.find_image(ROOTFS_IMAGE) is not None else _debootstrap_rootfs(client, say)
    )
    say(f"Building {BASE_IMAGE} from {rootfs}")
    build_image(client, images_dir / "base", BASE_IMAGE, {IMAGE_LABEL: "base"}, say, ROOTFS=rootfs)
    return rootfs


def ensure_on_base(
    client: EngineApi, context: Path, tag: str, labels: dict[str, str], say: Say, *, base_missing: str
) -> str:
    """Make sure `tag` matches its build context and the current base (their digest is its label); returns
    `present` or `built`. Without the base image: an error whose advice is `base_missing`."""
    base = client.find_image(BASE_IMAGE)
    if base is None:
        raise LabError(f"{BASE_IMAGE} is missing: {base_missing}")
    digest = context_digest(context, base.id)
    current = client.find_image(tag)
    if current is not None and current.labels.get(CONTEXT_LABEL) == digest:
        return "present"
    say(f"Building {tag} (context {digest})")
    build_image(client, context, tag, {**labels, CONTEXT_LABEL: digest}, say, BASE_IMAGE=BASE_IMAGE)
    return "built"


def ensure_node_image(client: EngineApi, images_dir: Path, say: Say) -> str:
    """Make sure the node image matches images/node and the current base; returns `present` or `built`."""
    return ensure_on_base(client, images_dir / "node", NODE_IMAGE, {LAB_LABEL: "1"}, say, base_missing="build it first")
