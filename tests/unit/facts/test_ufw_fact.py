"""ufw's facts read by their real scripts (sh) from a fake `ufw`: outputs keep their bytes, words stay words."""

from __future__ import annotations

import subprocess
from pathlib import Path

from deployctl.facts.base import RawFact
from deployctl.facts.ufw import CommandOutput, UfwDryRunFact, UfwFact, UfwState

FAKE_UFW = """\
#!/bin/sh
case "$*" in
  "status verbose") printf 'Status: active\\nLogging: on (low)\\n\\n' ;;
  "--version") printf 'ufw 0.36.2\\nCopyright 2008-2023 Canonical Ltd.\\n' ;;
  "status numbered") printf '[ 1] 22/tcp ALLOW IN Anywhere\\n' ;;
  *) for word do printf '<%s>' "$word"; done; printf '\\n'; echo "ERROR: Bad port" >&2; exit 1 ;;
esac
"""


def _read(script: str, bin_dir: Path) -> RawFact:
    done = subprocess.run(
        ["sh", "-c", script], capture_output=True, text=True, env={"PATH": f"{bin_dir}:/usr/bin:/bin"}, check=False
    )
    return RawFact(done.stdout, done.returncode)


def _fake(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    ufw = bin_dir / "ufw"
    ufw.write_text(FAKE_UFW)
    ufw.chmod(0o755)
    return bin_dir


def test_status_rules_and_version_keep_their_bytes(tmp_path: Path) -> None:
    fact = UfwFact(numbered=True)
    state = fact.parse(_read(fact.script(), _fake(tmp_path)))
    assert state == UfwState(
        installed=True,
        status=CommandOutput(0, "Status: active\nLogging: on (low)\n\n", ""),
        rules="",
        version="ufw 0.36.2\nCopyright 2008-2023 Canonical Ltd.\n",
        numbered="[ 1] 22/tcp ALLOW IN Anywhere\n",
    )


def test_dry_run_passes_each_word_and_reports_failure(tmp_path: Path) -> None:
    fact = UfwDryRunFact(("allow", "from", "any", "comment", "ssh 'from' $HOME"))
    output = fact.parse(_read(fact.script(), _fake(tmp_path)))
    assert output == CommandOutput(1, "<--dry-run><allow><from><any><comment><ssh 'from' $HOME>\n", "ERROR: Bad port\n")


def test_without_ufw_it_is_missing(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert UfwFact().parse(_read(UfwFact().script(), empty)) == UfwState(installed=False)
    assert UfwDryRunFact(("allow", "22")).parse(_read(UfwDryRunFact(("allow", "22")).script(), empty)) is None
