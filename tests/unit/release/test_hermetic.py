"""A release holds every project file its playbook reads, keeps links as links, refuses what lies outside the
project, and names its entry playbook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deployctl.cli.main import main
from deployctl.errors import DeployctlError, InputError
from deployctl.ledger.db import open_ledger
from deployctl.ledger.records import list_releases
from deployctl.model.loading.plays import load_playbook
from deployctl.model.project import load_project
from deployctl.operations.release import record_release, resolve_release
from deployctl.release.content import collect_release
from deployctl.release.store import release_project

SITE = """\
- hosts: all
  vars_files:
    - ../shared/vars.yml
  tasks:
    - import_tasks: ../shared/tasks.yml
    - copy:
        src: ../shared/app.conf
        dest: /etc/app.conf
"""


def project(root: Path, playbook: str = SITE) -> Path:
    """A project whose playbook reads three files of a `shared` folder beside the playbooks' folder."""
    (root / "inventories").mkdir(parents=True)
    (root / "playbooks").mkdir()
    (root / "shared").mkdir()
    (root / "deployctl.yml").write_text("stages: [dev]\n")
    (root / "inventories" / "dev.yml").write_text("all:\n  hosts:\n    dev-vm1:\n")
    (root / "shared" / "vars.yml").write_text("port: 8080\n")
    (root / "shared" / "tasks.yml").write_text("- debug:\n    msg: shared\n")
    (root / "shared" / "app.conf").write_text("port=8080\n")
    (root / "playbooks" / "site.yml").write_text(playbook)
    return root / "playbooks" / "site.yml"


@pytest.mark.parametrize("name", ["vars.yml", "tasks.yml", "app.conf"])
def test_a_project_file_outside_the_playbook_folder_is_in_the_hash(tmp_path: Path, name: str) -> None:
    playbook = project(tmp_path)
    before = collect_release(load_project(tmp_path), playbook)
    assert f"project/shared/{name}" in {f.path for f in before.files}
    (tmp_path / "shared" / name).write_text((tmp_path / "shared" / name).read_text() + "# edited\n")
    assert collect_release(load_project(tmp_path), playbook).content_hash != before.content_hash


def test_the_snapshot_keeps_the_layout_so_its_playbook_reads_only_the_snapshot(tmp_path: Path) -> None:
    playbook = project(tmp_path)
    project_ = load_project(tmp_path)
    release = record_release(open_ledger(project_.ledger), project_, playbook)
    (tmp_path / "shared" / "app.conf").write_text("port=9999\n")
    _, snapshot_playbook = release_project(project_, release)
    snapshot = Path(release.snapshot_dir)
    loaded = load_playbook(snapshot_playbook, display=release.playbook)
    assert loaded.uses
    assert all(use.path.resolve().is_relative_to(snapshot) for use in loaded.uses)
    assert (snapshot / "project" / "shared" / "app.conf").read_text() == "port=8080\n"


@pytest.mark.parametrize(
    ("entry", "line", "field"),
    [
        ("    - copy:\n        src: {outside}/secret.conf\n        dest: /etc/x\n", 4, "copy.src"),
        ("    - include_vars:\n        file: ../../outside/vars.yml\n", 4, "include_vars.file"),
        ("    - import_tasks: ../../outside/tasks.yml\n", 3, "import_tasks.file"),
    ],
)
def test_a_file_outside_the_project_is_refused_where_the_playbook_names_it(
    tmp_path: Path, entry: str, line: int, field: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.conf").write_text("key\n")
    (outside / "vars.yml").write_text("x: 1\n")
    (outside / "tasks.yml").write_text("- debug:\n    msg: x\n")
    root = tmp_path / "project"
    playbook = project(root, "- hosts: all\n  tasks:\n" + entry.format(outside=outside))
    with pytest.raises(InputError) as raised:
        collect_release(load_project(root), playbook)
    assert (raised.value.source, raised.value.line, raised.value.field) == ("playbooks/site.yml", line, field)
    assert "outside the project" in raised.value.problem
    assert not (root / ".deployctl").exists()


def test_symbolic_links_are_kept_as_links_hashed_by_their_target(tmp_path: Path) -> None:
    playbook = project(tmp_path)
    (tmp_path / "playbooks" / "files").mkdir()
    link = tmp_path / "playbooks" / "files" / "app.conf"
    link.symlink_to("../../shared/app.conf")
    project_ = load_project(tmp_path)
    content = collect_release(project_, playbook)
    [entry] = [f for f in content.files if f.path == "project/playbooks/files/app.conf"]
    assert entry.link == "../../shared/app.conf"
    release = record_release(open_ledger(project_.ledger), project_, playbook)
    copied = Path(release.snapshot_dir) / "project" / "playbooks" / "files" / "app.conf"
    assert copied.is_symlink()
    assert str(copied.readlink()) == "../../shared/app.conf"
    assert copied.read_text() == "port=8080\n"
    link.unlink()
    link.symlink_to("../../shared/vars.yml")
    assert collect_release(project_, playbook).content_hash != content.content_hash


@pytest.mark.parametrize("target", ["/etc/hostname", "../../../outside.txt"])
def test_a_link_leaving_the_project_is_refused(tmp_path: Path, target: str) -> None:
    root = tmp_path / "project"
    playbook = project(root)
    (tmp_path / "outside.txt").write_text("not the project's\n")
    (root / "playbooks" / "leak.txt").symlink_to(target)
    with pytest.raises(InputError) as raised:
        collect_release(load_project(root), playbook)
    assert raised.value.source == "playbooks/leak.txt"
    assert "symbolic link" in raised.value.problem


def test_two_playbooks_of_one_folder_are_two_releases_each_with_its_playbook(tmp_path: Path) -> None:
    site = project(tmp_path)
    other = tmp_path / "playbooks" / "other.yml"
    other.write_text("- hosts: all\n  tasks: []\n")
    project_ = load_project(tmp_path)
    ledger = open_ledger(project_.ledger)
    first = record_release(ledger, project_, site)
    second = record_release(ledger, project_, other)
    assert first.id != second.id
    assert (first.playbook, second.playbook) == ("playbooks/site.yml", "playbooks/other.yml")
    assert release_project(project_, second)[1].read_text() == other.read_text()
    manifest = json.loads((Path(second.snapshot_dir) / "release.json").read_text())
    assert manifest["playbook"] == "project/playbooks/other.yml"
    assert resolve_release(ledger, project_, second.id, None) == second
    with pytest.raises(DeployctlError, match=r"made of playbooks/other\.yml, not playbooks/site\.yml"):
        resolve_release(ledger, project_, second.id, site)


def test_a_role_of_the_project_roles_path_is_in_the_release_and_found_in_the_snapshot(tmp_path: Path) -> None:
    playbook = project(tmp_path, "- hosts: all\n  roles: [web]\n")
    (tmp_path / "deployctl.yml").write_text("stages: [dev]\nroles_path: [roles]\n")
    (tmp_path / "roles" / "web" / "tasks").mkdir(parents=True)
    (tmp_path / "roles" / "web" / "templates").mkdir()
    (tmp_path / "roles" / "web" / "tasks" / "main.yml").write_text("- template:\n    src: app.j2\n    dest: /x\n")
    (tmp_path / "roles" / "web" / "templates" / "app.j2").write_text("{{ port }}\n")
    project_ = load_project(tmp_path)
    content = collect_release(project_, playbook)
    assert {"project/roles/web/tasks/main.yml", "project/roles/web/templates/app.j2"} <= {f.path for f in content.files}
    release = record_release(open_ledger(project_.ledger), project_, playbook)
    snapshot = Path(release.snapshot_dir)
    loaded = load_playbook(release_project(project_, release)[1], display=release.playbook)
    assert {use.path for use in loaded.uses} == {
        snapshot / "project" / "roles" / "web",
        snapshot / "project" / "roles" / "web" / "templates" / "app.j2",
    }


def test_release_create_refuses_an_outside_file_in_one_line_exit_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "secret.conf").write_text("key\n")
    root = tmp_path / "project"
    entry = f"    - copy:\n        src: {tmp_path / 'secret.conf'}\n        dest: /etc/x\n"
    playbook = project(root, "- hosts: all\n  tasks:\n" + entry)
    with pytest.raises(SystemExit) as done:
        main(["--project", str(root), "release", "create", "--playbook", str(playbook)])
    _, err = capsys.readouterr()
    assert done.value.code == 4
    assert err.startswith("deployctl: error: playbooks/site.yml:4: copy.src: ")
    assert err.count("\n") == 1
    assert list_releases(open_ledger(load_project(root).ledger)) == []
    assert not (root / ".deployctl" / "releases").exists()


def test_a_playbook_outside_the_project_is_released_with_its_own_folder_only(tmp_path: Path) -> None:
    """A playbook given by path from elsewhere (a variant in a temporary folder) brings its folder, nothing more."""
    root = tmp_path / "project"
    project(root)
    variant = tmp_path / "variant"
    (variant / "files").mkdir(parents=True)
    (variant / "files" / "app.conf").write_text("port=1\n")
    (variant / "site.yml").write_text(
        "- hosts: all\n  tasks:\n    - copy:\n        src: app.conf\n        dest: /etc/a\n"
    )
    project_ = load_project(root)
    release = record_release(open_ledger(project_.ledger), project_, variant / "site.yml")
    _, snapshot_playbook = release_project(project_, release)
    assert snapshot_playbook == Path(release.snapshot_dir) / "playbook" / "site.yml"
    assert (Path(release.snapshot_dir) / "playbook" / "files" / "app.conf").read_text() == "port=1\n"
    (variant / "site.yml").write_text("- hosts: all\n  tasks:\n    - import_tasks: ../project/shared/tasks.yml\n")
    with pytest.raises(InputError) as raised:
        collect_release(project_, variant / "site.yml")
    assert raised.value.field == "import_tasks.file"
    assert "outside the playbook's folder" in raised.value.problem
