"""`deployctl apply` on this machine hides secrets (no_log, diff: false, secret-named values) everywhere."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from deployctl.cli.main import main
from deployctl.redaction import NO_LOG_TEXT, REDACTED
from deployctl.transport.local import LocalTransport
from deployctl.transport.retained import RetainedConnections

SECRET = "S3cret-Passw0rd-xyz"
"""The vault value that db_password is templated from: it must never be shown or stored."""

PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: config with the password
      template: src=app.conf.j2 dest={{ root }}/app.conf mode=0600
"""


def make_project(tmp_path: Path, playbook: str = PLAYBOOK, config: str = "") -> Path:
    root = tmp_path / "project"
    (root / "inventories").mkdir(parents=True)
    (root / "templates").mkdir()
    target = tmp_path / "target"
    target.mkdir()
    (root / "deployctl.yml").write_text("stages: [test]\n" + config)
    (root / "inventories" / "test.yml").write_text(
        f"all:\n  vars:\n    root: {target}\n    vault_db_password: {SECRET}\n"
        '    db_password: "{{ vault_db_password }}"\n    hide: true\n  hosts:\n    local1:\n'
    )
    (root / "templates" / "app.conf.j2").write_text("user=app\npassword={{ db_password }}\n")
    (root / "site.yml").write_text(playbook)
    return root


@pytest.fixture(autouse=True)
def local_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every host of the inventory is this machine (the local transport)."""
    monkeypatch.setattr(
        "deployctl.operations.converge.RetainedConnections",
        lambda: RetainedConnections(lambda endpoint: LocalTransport(endpoint.name)),
    )
    monkeypatch.setenv("NO_COLOR", "1")


def apply(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    try:
        main(["--project", str(root), "apply", str(root / "site.yml"), "--stage", "test", *args])
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def ledger_text(root: Path) -> str:
    """Every row of every table of the project's ledger, as text."""
    connection = sqlite3.connect(root / ".deployctl" / "ledger.db")
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return "\n".join(repr(row) for table in tables for row in connection.execute(f"SELECT * FROM {table}"))  # noqa: S608 (sqlite_master's names)
    finally:
        connection.close()


def test_a_templated_password_is_absent_from_the_terminal_json_and_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path)
    code, text = apply(root, capsys, "--diff")
    assert code == 0, text
    assert (tmp_path / "target" / "app.conf").read_text() == f"user=app\npassword={SECRET}\n"  # the host gets it
    assert "+password=" + REDACTED in text and SECRET not in text
    (tmp_path / "target" / "app.conf").write_text("user=app\npassword=old-password\n")
    code, text = apply(root, capsys, "--diff", "--format", "json")
    assert code == 0, text
    assert SECRET not in text and "old-password" not in text  # the old one by the `key=value` line rule
    [result] = json.loads(text)["results"]
    assert result["diffs"][0]["after"] == f"user=app\npassword={REDACTED}\n"
    assert SECRET not in ledger_text(root)


def test_json_carries_diffs_only_with_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(tmp_path)
    code, text = apply(root, capsys, "--format", "json")
    assert code == 0, text
    [result] = json.loads(text)["results"]
    assert result["status"] == "changed" and "diffs" not in result


def test_the_opt_out_shows_the_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(tmp_path, config="redact:\n  variables: false\n")
    code, text = apply(root, capsys, "--diff")
    assert code == 0, text
    assert f"+password={SECRET}" in text


def test_no_log_hides_a_failing_commands_output_but_register_keeps_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    playbook = """\
- hosts: all
  gather_facts: false
  no_log: false
  tasks:
    - name: print the token
      command: sh -c 'echo out-token-1234; echo err-token-5678 >&2; exit 3'
      register: printed
      ignore_errors: true
      no_log: "{{ hide }}"
    - name: the registered value is real
      assert:
        that: ["'out-token-1234' in printed.stdout", "printed.rc == 3"]
    - block:
        - name: loop over secrets
          debug: msg="{{ item }}"
          loop: [item-secret-1, item-secret-2]
      no_log: true
"""
    root = make_project(tmp_path, playbook)
    code, text = apply(root, capsys, "--format", "json")
    assert code == 0, text
    assert "token-1234" not in text and "token-5678" not in text and "item-secret" not in text
    results = json.loads(text)["results"]
    printed, judged, looped = results
    assert (printed["task"], printed["status"], printed["message"]) == ("print the token", "failed", NO_LOG_TEXT)
    assert printed["output"] == {"censored": NO_LOG_TEXT}
    assert judged["status"] == "ok"
    assert [item["message"] for item in looped["items"]] == [NO_LOG_TEXT, NO_LOG_TEXT]
    code, text = apply(root, capsys)
    assert "print the token" in text and NO_LOG_TEXT in text and "token-5678" not in text


def test_diff_false_shows_no_diff_even_with_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    playbook = PLAYBOOK + "      diff: false\n"
    root = make_project(tmp_path, playbook, config="redact:\n  variables: false\n")
    code, text = apply(root, capsys, "--diff", "--format", "json")
    assert code == 0, text
    [result] = json.loads(text)["results"]
    assert result["status"] == "changed" and result["diffs"] == [] and SECRET not in text
