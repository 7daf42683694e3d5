"""Fact parsers against real output captured on Debian 12 (this machine and a lab container).

captured/<case>.txt is the exact output of one fact's snippet, run as FactBatch runs it;
captured/<case>.rc its exit code. Re-capture with `python tests/unit/facts/capture.py`.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deployctl.facts.base import Fact, RawFact, batch
from deployctl.facts.files import CONTENT_LIMIT, FileFact, FileInfo, PathExistsFact, parse_file_output
from deployctl.facts.getent import GetentFact, GetentOutput
from deployctl.facts.packages import (
    AptCacheAgeFact,
    AptSourcesFact,
    AutoremovableFact,
    CandidateFact,
    InstalledPackage,
    InstalledPackagesFact,
    PackageFact,
    PackageInfo,
    PackageListFact,
)
from deployctl.facts.services import NO_SYSTEMD, ServiceEntry, ServiceFact, ServiceInfo, ServiceTableFact
from deployctl.facts.sysctl import SysctlFact
from deployctl.facts.users import GroupFact, GroupInfo, UserFact

CAPTURED = Path(__file__).parent / "captured"
SCRATCH = "/tmp/deployctl-capture"


def captured(name: str) -> RawFact:
    output = (CAPTURED / f"{name}.txt").read_text()
    return RawFact(output=output, exit_code=int((CAPTURED / f"{name}.rc").read_text()))


def file_info(name: str, path: str) -> FileInfo:
    return FileFact(path).parse(captured(name))


def test_every_capture_is_used_and_exited_zero() -> None:
    names = {path.stem for path in CAPTURED.glob("*.txt")}
    source = Path(__file__).read_text()
    for name in names:
        assert f'"{name}"' in source, f"captured/{name}.txt is not tested"
        assert captured(name).exit_code == 0, "fact snippets must not fail the batch"


def test_regular_text_file() -> None:
    info = file_info("file-text", f"{SCRATCH}/text.conf")
    assert info == FileInfo(
        path=f"{SCRATCH}/text.conf",
        type="file",
        mode="0640",
        owner="root",
        group="root",
        uid=0,
        gid=0,
        size=12,
        sha256=hashlib.sha256(b"hello\nworld\n").hexdigest(),
        content=b"hello\nworld\n",
    )
    assert info.followed() is info


@pytest.mark.parametrize(
    ("name", "path", "content"),
    [
        ("file-nonl", "nonl", b"no newline"),
        ("file-empty", "empty", b""),
        ("file-binary", "binary.bin", b"bin\x00\x01\xffary"),
        ("file-quoted-name", "it's a $name", b"quoted\n"),
    ],
)
def test_file_content_round_trips(name: str, path: str, content: bytes) -> None:
    info = file_info(name, f"{SCRATCH}/{path}")
    assert info.content == content
    assert info.sha256 == hashlib.sha256(content).hexdigest()
    assert info.size == len(content)


def test_large_file_has_checksum_but_no_content() -> None:
    info = file_info("file-large", f"{SCRATCH}/large.bin")
    assert info.size == 300000 > CONTENT_LIMIT
    assert info.content is None
    assert info.sha256 == hashlib.sha256(bytes(300000)).hexdigest()


def test_real_config_file_from_the_lab() -> None:
    info = file_info("file-lab-sysctl-conf", "/etc/sysctl.conf")
    assert info.content is not None and info.content.startswith(b"#\n# /etc/sysctl.conf - Configuration file")
    assert info.sha256 == hashlib.sha256(info.content).hexdigest()
    assert (info.mode, info.owner, info.size) == ("0644", "root", len(info.content))


def test_directory_with_setgid_bit() -> None:
    info = file_info("file-directory", f"{SCRATCH}/adir")
    assert (info.type, info.mode, info.content, info.sha256) == ("directory", "2775", None, None)


def test_setuid_mode_keeps_four_digits() -> None:
    assert file_info("file-setuid", f"{SCRATCH}/setuid").mode == "4755"


def test_symlink_is_described_and_followed() -> None:
    info = file_info("file-link", f"{SCRATCH}/link")
    assert (info.type, info.link_target, info.mode) == ("link", "text.conf", "0777")
    target = info.followed()
    assert target.path == f"{SCRATCH}/text.conf"
    assert (target.type, target.content, target.mode) == ("file", b"hello\nworld\n", "0640")


def test_dangling_symlink_follows_to_absent() -> None:
    info = file_info("file-dangling", f"{SCRATCH}/dangling")
    assert (info.type, info.link_target) == ("link", "nowhere")
    assert info.followed() == FileInfo(path=f"{SCRATCH}/nowhere", type="absent")


def test_symlink_loop_follows_to_absent() -> None:
    info = file_info("file-loop", f"{SCRATCH}/loop1")
    assert (info.type, info.link_target, info.resolved) == ("link", "loop2", None)
    assert not info.followed().exists


def test_link_target_holding_newlines_forges_nothing() -> None:
    info = file_info("file-link-newline", f"{SCRATCH}/forged-target")
    assert info.link_target == "text.conf\nresolved /etc/passwd\nstat file 644 0 0 1 root root"
    assert info.resolved is None and not info.followed().exists


def test_fifo_is_other() -> None:
    assert file_info("file-fifo", f"{SCRATCH}/fifo").type == "other"


def test_absent_file() -> None:
    assert file_info("file-absent", f"{SCRATCH}/missing") == FileInfo(path=f"{SCRATCH}/missing", type="absent")


def test_unreadable_file_without_become() -> None:
    info = file_info("file-unreadable", f"{SCRATCH}/secret")
    assert (info.type, info.readable, info.content, info.sha256, info.mode) == ("file", False, None, None, "0600")


def test_garbled_file_output_is_an_error() -> None:
    with pytest.raises(ValueError, match="unexpected output"):
        parse_file_output("/x", "something else\n")
    with pytest.raises(ValueError, match="content cut short"):
        parse_file_output("/x", "stat file 644 0 0 3 root root\ncontent-begin\nYWJj\n")
    with pytest.raises(ValueError, match="content missing"):
        parse_file_output("/x", "stat file 644 0 0 3 root root\nsha256 abc  -\n")


@pytest.mark.parametrize(
    ("name", "pattern", "expected"),
    [
        ("exists-glob", f"{SCRATCH}/*.conf", True),
        ("exists-glob-none", f"{SCRATCH}/*.nothing", False),
        ("exists-dangling", f"{SCRATCH}/dangling", True),
    ],
)
def test_path_exists(name: str, pattern: str, expected: bool) -> None:
    assert PathExistsFact(pattern).parse(captured(name)) is expected


@pytest.mark.parametrize(
    ("name", "package", "installed", "candidate"),
    [
        ("package-installed", "openssh-server", "1:9.2p1-2+deb12u10", None),
        ("package-uninstalled", "nginx", None, "1.22.1-9+deb12u11"),
        ("package-unknown", "no-such-package-deployctl", None, None),
        ("package-multiarch", "libc6", "2.36-9+deb12u14", None),
        ("package-upgradable", "bash", "5.2.15-2+b8", None),
    ],
)
def test_packages(name: str, package: str, installed: str | None, candidate: str | None) -> None:
    """An installed package's candidate is not read (apt-cache is the slow part): CandidateFact's job."""
    assert PackageFact(package).parse(captured(name)) == PackageInfo(package, installed, candidate)


def test_candidates() -> None:
    assert CandidateFact("bash").parse(captured("candidate-upgradable")) == "5.2.15-2+b13"
    assert CandidateFact("no-such-package-deployctl").parse(captured("candidate-unknown")) is None


def test_package_states_that_are_not_installed() -> None:
    output = "x|rc |1.2-1|x\nx|un ||x\nx|pn ||x\npolicy x\ncandidate (none)\n"
    assert PackageFact("x").parse(RawFact(output, 0)) == PackageInfo("x", None, None, config_files=True)
    never = "x|un ||x\npolicy x\ncandidate 1.2-1\n"
    assert PackageFact("x").parse(RawFact(never, 0)) == PackageInfo("x", None, "1.2-1")
    half = "x|iU |1.2-1|x\npolicy x\ncandidate 1.2-1\n"
    assert PackageFact("x").parse(RawFact(half, 0)).installed == "1.2-1"


def test_autoremovable_packages_from_apt_gets_simulation() -> None:
    simulated = "Reading package lists...\nRemv libfoo1 [1.0-1]\nRemv libbar2 [2.1-3]\nConf x\n"
    assert AutoremovableFact().parse(RawFact("libfoo1\nlibbar2\n", 0)) == ("libbar2", "libfoo1")
    done = subprocess.run(
        ["/bin/sh", "-c", AutoremovableFact().script().replace("apt-get -s -q autoremove", "cat")],
        input=simulated,
        capture_output=True,
        text=True,
        check=True,
    )
    assert AutoremovableFact().parse(RawFact(done.stdout, done.returncode)) == ("libbar2", "libfoo1")


def test_packages_of_a_batch_are_read_by_one_dpkg_query_and_one_apt_cache() -> None:
    wanted: list[Fact[Any]] = [
        PackageFact("bash"),
        PackageFact("dpkg"),
        PackageFact("no-such-package-deployctl"),
        CandidateFact("bash"),
    ]
    facts = batch(wanted)
    script = facts.script()
    assert script.count("dpkg-query -W") == 1 and script.count("apt-cache policy") == 1
    done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, check=True)
    values = facts.split(done.stdout)
    alone = {}
    for fact in wanted:
        one = subprocess.run(["/bin/sh", "-c", fact.script()], capture_output=True, text=True, check=True)
        alone[fact.key] = fact.parse(RawFact(one.stdout, one.returncode))
    assert values == alone
    assert values["package:bash"].installed and values["package:bash"].candidate is None
    assert values["package:no-such-package-deployctl"] == PackageInfo("no-such-package-deployctl", None, None)
    assert values["candidate:bash"]


def test_a_package_list_in_the_batch_serves_its_packages_with_one_dpkg_query() -> None:
    wanted: list[Fact[Any]] = [PackageFact("bash"), PackageFact("no-such-package-deployctl"), PackageListFact()]
    facts = batch(wanted)
    script = facts.script()
    assert script.count("dpkg-query -W") == 1
    done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, check=True)
    values = facts.split(done.stdout)
    listing = values["packages:installed"]
    assert values["package:bash"].installed == listing["bash"]
    assert values["package:no-such-package-deployctl"].installed is None
    assert len(listing) > 50 and "no-such-package-deployctl" not in listing


def test_apt_cache_age() -> None:
    age = AptCacheAgeFact().parse(captured("apt-cache-age"))
    assert isinstance(age, int) and age >= 0
    assert AptCacheAgeFact().parse(RawFact("never\n", 0)) is None


@pytest.mark.parametrize(
    ("name", "unit", "load", "active", "unit_file", "running", "enabled"),
    [
        ("service-running-enabled", "ssh", "loaded", "active", "enabled", True, True),
        ("service-alias", "sshd", "loaded", "active", "enabled", True, True),
        ("service-static", "dbus", "loaded", "active", "static", True, True),
        ("service-disabled", "debug-shell", "loaded", "inactive", "disabled", False, False),
        ("service-masked", "sudo", "masked", "inactive", "masked", False, False),
        ("service-not-found", "no-such-unit", "not-found", "inactive", "", False, False),
        ("service-no-systemd", "ssh", NO_SYSTEMD, "", "", False, False),
    ],
)
def test_services(name: str, unit: str, load: str, active: str, unit_file: str, running: bool, enabled: bool) -> None:
    info = ServiceFact(unit).parse(captured(name))
    assert (info.load_state, info.active_state, info.unit_file_state) == (load, active, unit_file)
    assert (info.running, info.enabled) == (running, enabled)
    assert info.found == (load not in ("not-found", NO_SYSTEMD))


def test_users() -> None:
    root = UserFact("root").parse(captured("user-root"))
    assert root is not None
    fields = (root.name, root.uid, root.gid, root.comment, root.home, root.shell, root.group, root.groups)
    assert fields == ("root", 0, 0, "root", "/root", "/bin/bash", "root", ())
    nobody = UserFact("nobody").parse(captured("user-nobody"))
    assert nobody is not None and (nobody.uid, nobody.group, nobody.groups) == (65534, "nogroup", ())
    postgres = UserFact("postgres").parse(captured("user-supplementary"))
    assert postgres is not None
    assert (postgres.comment, postgres.group, postgres.groups) == (
        "PostgreSQL administrator,,,",
        "postgres",
        ("ssl-cert",),
    )
    assert UserFact("no-such-user").parse(captured("user-absent")) is None


def test_groups() -> None:
    assert GroupFact("root").parse(captured("group-root")) == GroupInfo(name="root", gid=0, members=())
    assert GroupFact("0").parse(captured("group-by-gid")) == GroupInfo(name="root", gid=0, members=())
    assert GroupFact("ssl-cert").parse(captured("group-with-members")) == GroupInfo("ssl-cert", 103, ("postgres",))
    assert GroupFact("no-such-group").parse(captured("group-absent")) is None


def test_sysctl_values() -> None:
    assert SysctlFact("kernel.hostname").parse(captured("sysctl-single")) == "dev-vm1"
    assert SysctlFact("net.ipv4.tcp_rmem").parse(captured("sysctl-fields")) == "4096\t131072\t33554432"
    assert SysctlFact("no.such.key").parse(captured("sysctl-unknown")) is None


def test_fact_keys_are_unique_per_argument() -> None:
    facts: list[Any] = [
        FileFact("/a"),
        FileFact("/b"),
        PathExistsFact("/a"),
        PackageFact("a"),
        ServiceFact("a"),
        UserFact("a"),
        GroupFact("a"),
        SysctlFact("a"),
        AptCacheAgeFact(),
    ]
    assert len({fact.key for fact in facts}) == len(facts)
    assert FileFact("/a").key == "file:/a"


def test_fixture_values_match_parsed_values() -> None:
    parsed = file_info("file-link", f"{SCRATCH}/link")
    from_json = FileFact(f"{SCRATCH}/link").value_from_json(
        {
            "type": "link",
            "mode": "0777",
            "size": 9,
            "link_target": "text.conf",
            "resolved": {"path": f"{SCRATCH}/text.conf", "type": "file", "mode": "0640", "content": "hello\nworld\n"},
        }
    )
    assert from_json == parsed
    assert ServiceFact("ssh").value_from_json(
        {"load": "loaded", "active": "active", "sub": "running", "unit_file": "enabled"}
    ) == ServiceInfo("ssh", "loaded", "active", "running", "enabled")


def test_file_scripts_run_in_one_batch_under_dash(tmp_path: Path) -> None:
    odd = tmp_path / "a 'quoted' $(name) `x`"
    odd.write_bytes(b"line\n")
    (tmp_path / "link").symlink_to(odd.name)
    wanted: list[Fact[Any]] = [
        FileFact(str(odd)),
        FileFact(str(tmp_path / "link")),
        FileFact(str(tmp_path / "missing")),
        PathExistsFact(str(tmp_path / "*quoted*")),
        PathExistsFact(str(tmp_path / "nothing*")),
    ]
    facts = batch(wanted)
    done = subprocess.run(["/bin/sh", "-c", facts.script()], capture_output=True, text=True, check=True)
    values = facts.split(done.stdout)
    assert values[f"file:{odd}"].content == b"line\n"
    assert values[f"file:{tmp_path}/link"].followed().content == b"line\n"
    assert values[f"file:{tmp_path}/missing"].type == "absent"
    assert values[f"exists:{tmp_path}/*quoted*"] is True
    assert values[f"exists:{tmp_path}/nothing*"] is False


def test_exists_expands_a_leading_tilde_to_home(tmp_path: Path) -> None:
    (tmp_path / "marker.done").write_text("")
    wanted: list[Fact[Any]] = [PathExistsFact("~/*.done"), PathExistsFact("~/missing"), PathExistsFact("/~/x")]
    facts = batch(wanted)
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(["/bin/sh", "-c", facts.script()], capture_output=True, text=True, check=True, env=env)
    values = facts.split(done.stdout)
    assert (values["exists:~/*.done"], values["exists:~/missing"], values["exists:/~/x"]) == (True, False, False)


def _scratch_tree(root: Path) -> list[str]:
    """Every kind of path FileFact describes, under `root`; returns the paths to read."""
    (root / "text.conf").write_text("hello\nworld\n")
    (root / "text.conf").chmod(0o640)
    (root / "binary.bin").write_bytes(b"bin\x00\x01\xffary")
    (root / "empty").write_bytes(b"")
    (root / "large.bin").write_bytes(b"\0" * (CONTENT_LIMIT + 1))
    (root / "adir").mkdir()
    (root / "adir").chmod(0o2775)
    (root / "setuid").write_text("x\n")
    (root / "setuid").chmod(0o4755)
    (root / "it's a $name `x` here").write_text("quoted\n")
    (root / "link").symlink_to("text.conf")
    (root / "dirlink").symlink_to("adir")
    (root / "dangling").symlink_to("nowhere")
    (root / "loop1").symlink_to("loop2")
    (root / "loop2").symlink_to("loop1")
    subprocess.run(["mkfifo", str(root / "fifo")], check=True)
    names = [p.name for p in root.iterdir()] + ["missing", "text.conf/under-a-file", "adir/"]
    return [str(root / name) for name in sorted(names)]


def _read_alone_and_grouped(paths: list[str], env: dict[str, str] | None = None) -> tuple[dict, dict]:
    alone: dict[str, Any] = {}
    for path in paths:  # each FileFact on its own: the snippet the captured outputs test
        fact = FileFact(path)
        done = subprocess.run(["/bin/sh", "-c", fact.script()], capture_output=True, text=True, check=True)
        alone[fact.key] = fact.parse(RawFact(done.stdout, done.returncode))
    facts = batch([FileFact(path) for path in paths])
    script = facts.script()
    assert script.count("find / ") == 1, "the paths are read by one find"
    done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, check=True, env=env)
    return alone, facts.split(done.stdout)


def test_paths_read_together_are_described_as_each_alone(tmp_path: Path) -> None:
    paths = _scratch_tree(tmp_path)
    alone, grouped = _read_alone_and_grouped(paths)
    assert grouped == alone
    assert grouped[f"file:{tmp_path}/link"].followed().content == b"hello\nworld\n"
    assert grouped[f"file:{tmp_path}/adir"].mode == "2775"
    assert grouped[f"file:{tmp_path}/large.bin"].content is None
    assert grouped[f"file:{tmp_path}/fifo"].type == "other"
    assert grouped[f"file:{tmp_path}/missing"].type == "absent"


def _with_broken(tmp_path: Path, command: str, script: str) -> tuple[list[str], dict[str, str]]:
    """A scratch tree, and a PATH in which `command` is a stand-in that runs `script`."""
    tree = tmp_path / "tree"
    tree.mkdir()
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / command).write_text(f"#!/bin/sh\n{script}\n")
    (fake / command).chmod(0o755)
    return _scratch_tree(tree), {"PATH": f"{fake}:/usr/bin:/bin"}


def test_grouped_paths_take_their_metadata_from_find_not_stat(tmp_path: Path) -> None:
    paths, env = _with_broken(tmp_path, "stat", "exit 1")
    alone, grouped = _read_alone_and_grouped([p for p in paths if not Path(p).is_symlink()], env=env)
    assert grouped == alone


def test_paths_fall_back_to_one_by_one_without_gnu_find(tmp_path: Path) -> None:
    paths, env = _with_broken(tmp_path, "find", "echo 'find: unrecognized: -printf' >&2; exit 1")
    alone, grouped = _read_alone_and_grouped(paths, env=env)
    assert grouped == alone


def test_paths_find_cannot_take_are_read_alone() -> None:
    assert FileFact("/etc/app.conf").group is not None
    for path in ("relative/app.conf", "-name", "/etc/new\nline", "/etc/trailing "):
        assert FileFact(path).group is None


def test_service_table_as_ansible_lists_it() -> None:
    table = {entry.name: entry for entry in ServiceTableFact().parse(captured("service-table"))}
    assert table["ssh"] == ServiceEntry("ssh", "running", "sysv")
    assert table["ssh.service"] == ServiceEntry("ssh.service", "running", "systemd", "enabled")
    assert table["console-getty.service"].status == "masked"  # a bad state wins over the unit file's
    assert table["sshd.service"] == ServiceEntry("sshd.service", "active", "systemd", "alias")  # shown: its unit's
    assert table["getty@.service"] == ServiceEntry("getty@.service", "unknown", "systemd", "enabled")


def test_installed_packages_with_details() -> None:
    installed = InstalledPackagesFact().parse(captured("packages-installed-details"))
    by_name = {package.name: package for package in installed}
    assert by_name["adduser"] == InstalledPackage("adduser", "3.134", "all", "admin")
    assert by_name["openssh-server"].arch == "amd64" and ":" not in "".join(by_name)


def test_getent_output_and_exit_code() -> None:
    assert GetentFact("passwd", "root").parse(captured("getent-passwd-root")) == GetentOutput(
        0, ("root:x:0:0:root:/root:/bin/bash",)
    )
    assert GetentFact("passwd", "no-such-user").parse(captured("getent-key-missing")) == GetentOutput(2)
    hosts = GetentFact("hosts").parse(captured("getent-hosts-all"))
    assert hosts.exit_code == 0 and hosts.lines[0].split() == ["127.0.0.1", "localhost"]


def test_apt_sources_files_are_read_whole(tmp_path: Path) -> None:
    listing = tmp_path / "sources.list.d"
    listing.mkdir()
    (tmp_path / "sources.list").write_text("deb http://debian.example/debian bookworm main\n")
    (listing / "extra.list").write_text("# deb [trusted=yes] file:/srv/repo ./\n")
    (listing / "other.sources").write_text("Types: deb\n")
    (tmp_path / "sources.list").chmod(0o644)
    script = AptSourcesFact().script().replace("/etc/apt/sources.list.d", str(listing))
    script = script.replace("/etc/apt/sources.list", str(tmp_path / "sources.list"))
    done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, check=True)
    files = AptSourcesFact().parse(RawFact(done.stdout, 0))
    assert [(entry.path, entry.text, entry.link) for entry in files] == [
        (str(tmp_path / "sources.list"), "deb http://debian.example/debian bookworm main\n", False),
        (str(listing / "extra.list"), "# deb [trusted=yes] file:/srv/repo ./\n", False),
    ]
    assert files[0].mode == "0644"
