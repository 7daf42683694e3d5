"""The one atomic put: its exact script, and a put as root into a folder an unprivileged user controls."""

from __future__ import annotations

import base64
import os
import pwd
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from deployctl.modules.base import PutFile
from deployctl.strategies.actions import compose_steps
from deployctl.transport.base import put_command, render_command
from deployctl.transport.local import LocalTransport

STDIN_SCRIPT = """set -e
mode=${2:-$(printf %04o $((0666 & ~$(umask))))}
umask 077
tmp=$(mktemp -u -- "$(dirname -- "$1")/.deployctl.XXXXXXXXXX")
trap 'rm -f -- "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
set -C
exec 3>"$tmp"
cat >&3
if [ -n "$3" ]; then chown -- "$3${4:+:$4}" /proc/self/fd/3; elif [ -n "$4" ]; then chgrp -- "$4" /proc/self/fd/3; fi
chmod -- "$mode" /proc/self/fd/3
mv -fT -- "$tmp" "$1"
trap - EXIT"""

INLINE_SCRIPT = STDIN_SCRIPT.replace("cat >&3", 'printf %s "$5" | base64 -d >&3')


def test_stdin_put_is_the_golden_script() -> None:
    assert put_command("/etc/app.conf", "0640", owner="app", group="adm") == [
        "sh",
        "-c",
        STDIN_SCRIPT,
        "deployctl-put",
        "/etc/app.conf",
        "0640",
        "app",
        "adm",
    ]
    no_attributes = put_command("/etc/app.conf", None)
    assert no_attributes == ["sh", "-c", STDIN_SCRIPT, "deployctl-put", "/etc/app.conf", "", "", ""]


def test_inline_put_is_the_same_script_with_the_content_in_base64() -> None:
    encoded = base64.b64encode(b"secret\n").decode()
    assert put_command("/etc/app.conf", "0600", content=b"secret\n") == [
        "sh",
        "-c",
        INLINE_SCRIPT,
        "deployctl-put",
        "/etc/app.conf",
        "0600",
        "",
        "",
        encoded,
    ]


def test_plans_inline_and_stdin_puts_use_the_one_builder() -> None:
    small = PutFile("/etc/a", b"x", "0600", owner="app", group="app")
    (step,) = compose_steps([small])
    inline = render_command(put_command("/etc/a", "0600", owner="app", group="app", content=b"x"))
    assert step.command == ("sh", "-c", f"set -e\n{inline}")
    big = PutFile("/etc/b", b"y" * (70 * 1024), None, group="adm")
    (step,) = compose_steps([big])
    assert list(step.command) == put_command("/etc/b", None, group="adm")
    assert step.stdin == big.content


def test_the_temporary_file_is_private_from_creation_to_rename() -> None:
    """umask 077 before the file exists; content, owner, mode through the descriptor; the rename last."""
    lines = STDIN_SCRIPT.splitlines()
    order = [
        "umask 077",
        'tmp=$(mktemp -u -- "$(dirname -- "$1")/.deployctl.XXXXXXXXXX")',
        "set -C",
        'exec 3>"$tmp"',
        "cat >&3",
    ]
    assert [lines.index(line) for line in order] == sorted(lines.index(line) for line in order)
    chown = next(i for i, line in enumerate(lines) if "chown" in line)
    chmod = lines.index('chmod -- "$mode" /proc/self/fd/3')
    rename = lines.index('mv -fT -- "$tmp" "$1"')
    assert lines.index("cat >&3") < chown < chmod < rename
    assert ".deployctl.$$" not in STDIN_SCRIPT and '> "$tmp"' not in STDIN_SCRIPT


# --- a put as root into a folder owned by an unprivileged user --------------------------------------

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (chown to nobody)")


def snapshot(path: Path) -> tuple[bytes | None, int, int, int, list[str]]:
    """A file's content, mode, owner and group, or a directory's entries (nothing is followed)."""
    info = path.lstat()
    content = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
    entries = sorted(p.name for p in path.iterdir()) if stat.S_ISDIR(info.st_mode) else []
    return content, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid, entries


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A folder owned by `nobody`, and a root-owned folder outside it holding files worth stealing."""
    nobody = pwd.getpwnam("nobody")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shadow").write_bytes(b"root:secret\n")
    (outside / "shadow").chmod(0o600)
    (outside / "dir").mkdir()
    folder = tmp_path / "home"
    folder.mkdir()
    os.chown(folder, nobody.pw_uid, nobody.pw_gid)
    yield folder, outside


def plant(folder: Path, name: str, target: Path) -> None:
    """A symlink `folder/name` -> `target`, owned by nobody as if nobody had made it."""
    link = folder / name
    link.symlink_to(target)
    nobody = pwd.getpwnam("nobody")
    os.lchown(link, nobody.pw_uid, nobody.pw_gid)


@needs_root
def test_links_planted_at_every_predictable_name_are_never_followed(hostile: tuple[Path, Path]) -> None:
    folder, outside = hostile
    first = os.getpid()
    for pid in range(first, first + 2000):  # the old predictable names of the next shells
        plant(folder, f".deployctl.{pid}.tmp", outside / "shadow")
    plant(folder, "app.conf", outside / "dir")  # the destination: a link to a directory outside
    plant(folder, "other.conf", outside / "shadow")  # the destination: a link to a file outside
    before = {p.name: snapshot(p) for p in outside.rglob("*")}
    transport = LocalTransport()

    for name in ("app.conf", "other.conf"):
        done = transport.put(b"mine\n", str(folder / name), mode="0600")
        assert done.ok, done.stderr
        assert not (folder / name).is_symlink()
        assert (folder / name).read_bytes() == b"mine\n"
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600

    assert {p.name: snapshot(p) for p in outside.rglob("*")} == before
    assert not [p for p in folder.iterdir() if p.name.startswith(".deployctl.") and not p.is_symlink()]


@needs_root
def test_a_planted_directory_at_the_destination_fails_the_put_and_stays_empty(hostile: tuple[Path, Path]) -> None:
    folder, _ = hostile
    (folder / "app.conf").mkdir()
    done = LocalTransport().put(b"mine\n", str(folder / "app.conf"), mode="0644")
    assert not done.ok
    assert list((folder / "app.conf").iterdir()) == []
    assert [p.name for p in folder.iterdir()] == ["app.conf"], "the temporary file is removed on failure"


@needs_root
def test_owner_and_mode_are_set_on_the_temporary_file(hostile: tuple[Path, Path]) -> None:
    folder, _ = hostile
    nobody = pwd.getpwnam("nobody")
    steps = compose_steps([PutFile(str(folder / "tool"), b"#!/bin/sh\n", "4755", owner="nobody", group="root")])
    transport = LocalTransport()
    for step in steps:
        assert transport.run(step.command, stdin=step.stdin).ok
    info = (folder / "tool").lstat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (nobody.pw_uid, 0, 0o4755)


def test_a_secret_is_never_readable_by_others_while_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chmod on PATH records the file's mode when the put sets the final one: it is still private."""
    tools = tmp_path / "bin"
    tools.mkdir()
    log = tmp_path / "modes"
    spy = tools / "chmod"
    spy.write_text(f'#!/bin/sh\nfor a; do last=$a; done\nstat -L -c %a "$last" >> {log}\nexec /bin/chmod "$@"\n')
    spy.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}:{os.environ['PATH']}")
    old = os.umask(0o022)
    try:
        done = LocalTransport().put(b"password\n", str(tmp_path / "secret"), mode="0600")
        plain = LocalTransport().put(b"public\n", str(tmp_path / "public"), mode=None)
    finally:
        os.umask(old)
    assert done.ok and plain.ok, done.stderr + plain.stderr
    assert log.read_text().split() == ["600", "600"]
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "public").stat().st_mode) == 0o644, "a new file without a mode: 0666 & ~umask"


def test_a_put_with_validate_renames_only_content_that_passes(tmp_path: Path) -> None:
    """The command runs on the temporary file (its path in place of `%s`, `%%` a percent sign), before the rename."""
    target = tmp_path / "my dir" / "sudoers"
    target.parent.mkdir()
    target.write_bytes(b"old\n")
    check = 'sh -c \'grep -q "^good" "$1" && echo 100%% >&2 || { echo "bad line" >&2; exit 3; }\' sh %s'
    refused = subprocess.run(put_command(str(target), "0440", content=b"evil\n", validate=check), capture_output=True)
    assert refused.returncode == 1 and refused.stderr == b"failed to validate (exit 3): bad line\n"
    assert target.read_bytes() == b"old\n" and sorted(p.name for p in target.parent.iterdir()) == ["sudoers"]
    stdin_form = put_command(str(target), "0440", validate=check)
    accepted = subprocess.run(stdin_form, input=b"good\n", capture_output=True, check=True)
    assert accepted.stderr == b"" and target.read_bytes() == b"good\n"
    assert oct(target.stat().st_mode & 0o777) == "0o440"
