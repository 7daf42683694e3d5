"""The stat fact's snippet, run on this machine, against Python's own os.stat (as Ansible's stat module reads it)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from deployctl.facts.base import RawFact
from deployctl.facts.stat import PathStat, StatFact, StatOptions, parse_stat_output


def read(path: Path | str, options: StatOptions) -> PathStat:
    fact = StatFact(str(path), options)
    done = subprocess.run(["sh", "-c", fact.script()], capture_output=True, text=True, check=False)
    return fact.parse(RawFact(done.stdout, done.returncode))


def test_a_file_reads_as_python_stats_it(tmp_path: Path) -> None:
    path = tmp_path / "app.conf"
    path.write_bytes(b"listen 80\n")
    path.chmod(0o640)
    info = read(path, StatOptions(checksum="sha256", mime=False, attributes=False))
    seen = os.lstat(path)
    assert (info.st_mode, info.uid, info.size, info.inode, info.dev) == (
        seen.st_mode,
        seen.st_uid,
        seen.st_size,
        seen.st_ino,
        seen.st_dev,
    )
    assert (info.mtime, info.blocks, info.block_size) == (seen.st_mtime, seen.st_blocks, seen.st_blksize)
    assert info.checksum == hashlib.sha256(b"listen 80\n").hexdigest()
    assert info.readable and info.writeable and not info.executable


def test_a_link_gives_its_target_unless_followed(tmp_path: Path) -> None:
    target = tmp_path / "real"
    target.write_text("x")
    link = tmp_path / "line\nbreak"
    link.symlink_to(target)
    plain = read(link, StatOptions(mime=False, attributes=False))
    assert plain.link_target == str(target) and plain.link_source == str(target) and plain.checksum is None
    followed = read(link, StatOptions(follow=True, mime=False, attributes=False))
    assert followed.link_target is None and followed.checksum == hashlib.sha1(b"x").hexdigest()  # noqa: S324


def test_missing_and_unreadable_paths_differ() -> None:
    assert parse_stat_output("/nope", "absent\n") == PathStat(path="/nope", exists=False)
    refused = parse_stat_output("/root/x", "error Permission denied\n")
    assert refused.error == "Permission denied" and not refused.exists
