"""The facts last gathered on each host, kept under the project's state folder (`.deployctl/facts/`).

They only decide which facts a run reads in its first round trip: content that picks files by fact
(`include_vars: "{{ ansible_os_family }}.yml"`) can be looked ahead with last time's facts, so the files'
facts come in the same round trip as the gathering. Every task still renders with the facts gathered now;
a guess that turns out wrong costs a facts read more, never a wrong plan.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from deployctl.statedir import private_folder
from deployctl.unsafe import mark_unsafe

FACTS_FOLDER = "facts"


class FactCache:
    """One JSON file per host with the variables its last fact gathering gave (best effort: never fails a run)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def in_state_dir(cls, state_dir: Path) -> FactCache:
        """The project's cache: `<state_dir>/facts/`."""
        return cls(state_dir / FACTS_FOLDER)

    def _path(self, host: str) -> Path:
        return self.folder / f"{host}.json"

    def hint(self, host: str) -> dict[str, Any] | None:
        """What the host's facts were last time (data, never templated), or None (never gathered, or unreadable)."""
        try:
            data = json.loads(self._path(host).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return mark_unsafe(data) if isinstance(data, dict) else None

    def remember(self, host: str, gathered: Mapping[str, Any]) -> None:
        """Keep `gathered` for the host's next run (atomically; a write that fails is dropped)."""
        if not gathered:
            return
        try:
            private_folder(self.folder)
            text = json.dumps(gathered, sort_keys=True, default=str)
            if self.hint(host) == json.loads(text):
                return
            fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{host}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            Path(temporary).replace(self._path(host))
        except OSError:
            return
