"""The state folder is private: 0700 folders and owner-only files, created so and tightened when found open.

The ledger, release snapshots, the fact cache and the lab's connection facts say what runs where and how to
reach it; no other user of the controller may read them. Files a container mounts (`stages/*/config/`) keep
the mode their task declares: the folder above them is what keeps other users out.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
OPEN_BITS = 0o077
MOUNTED_CONFIG = "config"


def private_folder(folder: Path) -> Path:
    """Create `folder` and its missing parents with mode 0700 (an existing folder is left as it is); return it."""
    missing = [level for level in (folder, *folder.parents) if not level.exists()]
    for level in reversed(missing):
        level.mkdir(mode=PRIVATE_FOLDER, exist_ok=True)
    return folder


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` as an owner-only file (0600 from its creation, never readable by others)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    os.fchmod(descriptor, PRIVATE_FILE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def create_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists (SQLite gives its -wal and -shm the same mode)."""
    private_folder(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        return


def _tighten(path: Path, mode: int) -> bool:
    """Drop the group and other bits of `path` (a folder also gets its owner bits); True when it changed."""
    wanted = PRIVATE_FOLDER if stat.S_ISDIR(mode) else stat.S_IMODE(mode) & ~OPEN_BITS
    if stat.S_IMODE(mode) == wanted:
        return False
    path.chmod(wanted)
    return True


def _mounted_config(path: Path, state_dir: Path) -> bool:
    """True for what lies under `stages/<stage>/config/`: files mounted into containers keep their mode."""
    parts = path.relative_to(state_dir).parts
    return len(parts) > 3 and parts[0] == "stages" and parts[2] == MOUNTED_CONFIG


def tighten_state(state_dir: Path, ledger: Path) -> str | None:
    """Make an existing state folder (and the ledger, wherever it is) private; a one-line notice when it was not.

    Cheap when the folder is already private: the tree is walked only when the folder itself was open.
    """
    changed = 0
    if state_dir.is_dir() and stat.S_IMODE(state_dir.stat().st_mode) != PRIVATE_FOLDER:
        changed += _tighten(state_dir, state_dir.stat().st_mode)
        for folder, folders, files in os.walk(state_dir):
            for name in (*folders, *files):
                path = Path(folder) / name
                info = path.lstat()
                if not stat.S_ISLNK(info.st_mode) and not _mounted_config(path, state_dir):
                    changed += _tighten(path, info.st_mode)
    for path in (ledger, ledger.with_name(ledger.name + "-wal"), ledger.with_name(ledger.name + "-shm")):
        if path.is_file() and not path.is_symlink():
            changed += _tighten(path, path.stat().st_mode)
    if not changed:
        return None
    return (
        f"deployctl: {state_dir} was readable by other users: made it private "
        f"(folders 0700, files owner-only, {changed} changed)"
    )
