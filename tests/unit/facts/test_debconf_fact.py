"""DebconfFact's script, run by /bin/sh against stand-in debconf-show and debconf-get-selections, and its parser."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from deployctl.facts.base import RawFact
from deployctl.facts.debconf import DebconfFact, DebconfSelections, PasswordLine

SHOW = """#!/bin/sh
[ "$1" = broken ] && { echo "debconf: cannot read the database" >&2; exit 1; }
echo "debconf: DbDriver passwords warning: could not open passwords.dat" >&2
printf '* mysql-server/root_password: (password omitted)\\n  mysql-server/start_on_boot: true\\n'
"""
GET_SELECTIONS = """#!/bin/sh
printf 'mysql-server\\tmysql-server/root_password\\tpassword\\ts3cret\\n'
printf 'mysql-server\\tmysql-server/start_on_boot\\tboolean\\ttrue\\n'
printf 'other\\tother/password\\tpassword\\tnope\\n'
"""


def run(name: str, tools: dict[str, str], tmp_path: Path) -> DebconfSelections:
    for tool, text in tools.items():
        (tmp_path / tool).write_text(text, encoding="utf-8")
        (tmp_path / tool).chmod(0o755)
    for tool in ("awk", "base64", "cut", "sha256sum", "tr"):  # and nothing else of the machine's
        if not (tmp_path / tool).exists():
            (tmp_path / tool).symlink_to(str(shutil.which(tool)))
    fact = DebconfFact(name)
    env = {**os.environ, "PATH": str(tmp_path)}
    done = subprocess.run(["/bin/sh", "-c", fact.script()], capture_output=True, text=True, env=env, check=False)
    return fact.parse(RawFact(done.stdout, done.returncode))


def test_answers_and_hashed_passwords(tmp_path: Path) -> None:
    tools = {"debconf-show": SHOW, "debconf-get-selections": GET_SELECTIONS}
    selections = run("mysql-server", tools, tmp_path)
    assert selections.answers == {
        "mysql-server/root_password": "(password omitted)",
        "mysql-server/start_on_boot": "true",
    }
    digest = hashlib.sha256(b"s3cret").hexdigest()
    assert selections.password_lines == (PasswordLine(4, "mysql-server/root_password", "password", digest),)


def test_without_debconf_utils_and_when_debconf_show_fails(tmp_path: Path) -> None:
    assert run("mysql-server", {"debconf-show": SHOW}, tmp_path).password_lines is None
    failed = run("broken", {"debconf-show": SHOW}, tmp_path)
    assert failed.answers is None and failed.error == "debconf: cannot read the database"
