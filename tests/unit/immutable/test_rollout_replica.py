"""A stage's config files for the replicas: written once, in a folder named by their content, mounted read-only."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from deployctl.errors import DeployctlError
from deployctl.immutable.recipe import ImageRelease, RuntimeFile, ServiceSpec
from deployctl.immutable.replica import (
    ConfigMount,
    config_digest,
    config_folder,
    fallback_health_command,
    spec_for_release,
    write_config_files,
)

RELEASE = ImageRelease(
    app="webapp",
    image="deployctl/webapp:abc123",
    image_id="sha256:" + "a" * 64,
    context_hash="abc123",
    service=ServiceSpec(name="webapp", command=("python3", "/opt/webapp.py"), port=8000, health_path="/healthz"),
)
FILES = [
    RuntimeFile("/etc/webapp/webapp.ini", b"[app]\nstage = qa\n", "0640"),
    RuntimeFile("/etc/webapp/banner.txt", b"hello qa\n"),
]


def test_files_are_written_under_a_folder_named_by_release_and_content(tmp_path: Path) -> None:
    mounts = write_config_files(tmp_path, "qa", RELEASE, FILES)
    folder = tmp_path.resolve() / "stages" / "qa" / "config" / f"abc123-{config_digest(FILES)}"
    assert mounts == (
        ConfigMount(str(folder / "etc/webapp/webapp.ini"), "/etc/webapp/webapp.ini", "0640"),
        ConfigMount(str(folder / "etc/webapp/banner.txt"), "/etc/webapp/banner.txt", "0644"),
    )
    assert Path(mounts[0].source).read_bytes() == b"[app]\nstage = qa\n"
    assert Path(mounts[0].source).stat().st_mode & 0o777 == 0o640
    assert Path(mounts[1].source).stat().st_mode & 0o777 == 0o644


def test_same_content_same_folder_other_content_another_folder(tmp_path: Path) -> None:
    first = write_config_files(tmp_path, "qa", RELEASE, FILES)
    assert write_config_files(tmp_path, "qa", RELEASE, list(reversed(FILES)))[0] == first[1]
    changed = [RuntimeFile("/etc/webapp/webapp.ini", b"[app]\nstage = prod\n", "0640"), FILES[1]]
    other = write_config_files(tmp_path, "qa", RELEASE, changed)
    assert Path(other[0].source).parent != Path(first[0].source).parent
    assert Path(first[0].source).read_bytes() == b"[app]\nstage = qa\n"  # a mounted file is never rewritten
    assert config_folder(tmp_path, "qa", RELEASE, FILES) != config_folder(tmp_path, "qa", RELEASE, changed)


@pytest.mark.parametrize("dest", ["etc/webapp.ini", "/etc/../root/x", "/"])
def test_destinations_must_be_absolute_file_paths(tmp_path: Path, dest: str) -> None:
    with pytest.raises(DeployctlError, match="absolute file path"):
        write_config_files(tmp_path, "qa", RELEASE, [RuntimeFile(dest, b"x")])


def test_two_files_for_one_destination_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DeployctlError, match="same destination"):
        write_config_files(tmp_path, "qa", RELEASE, [RuntimeFile("/etc/a", b"1"), RuntimeFile("/etc/a", b"2")])


def test_spec_of_a_release_takes_its_image_port_and_health_path(tmp_path: Path) -> None:
    mounts = write_config_files(tmp_path, "qa", RELEASE, FILES)
    spec = spec_for_release(RELEASE, mounts)
    assert (spec.image, spec.image_id, spec.port, spec.health_path) == (
        RELEASE.image,
        RELEASE.image_id,
        8000,
        "/healthz",
    )
    assert spec.release == RELEASE.image and spec.mounts == mounts


def test_fallback_health_check_probes_the_health_path_with_the_first_tool_found() -> None:
    kind, script = fallback_health_command(8000, "/health z")
    assert kind == "CMD-SHELL"
    probes = script.split(" || ")
    assert [shlex.split(p)[0] for p in probes] == ["curl", "wget", "python3"]
    assert all(shlex.split(p)[-1] == "http://127.0.0.1:8000/health z" for p in probes)
