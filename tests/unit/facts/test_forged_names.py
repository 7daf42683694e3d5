"""Link targets and resolved paths are host data: a name holding newlines cannot forge the lines after it."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from deployctl.facts.base import batch
from deployctl.facts.files import FileFact, parse_file_output
from deployctl.transport.local import LocalTransport

FORGED = "text.conf\nresolved /etc/passwd\nstat file 644 0 0 1 root root\ncontent-begin\nZm9yZ2Vk\ncontent-end"
"""A link target that, printed as a plain line, would describe /etc/passwd as the link's file."""


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_parser_decodes_a_target_holding_newlines_and_markers() -> None:
    output = f"stat link 777 0 0 9 root root\ntarget-b64 {b64(FORGED + chr(10))}\n"
    info = parse_file_output("/srv/link", output)
    assert (info.type, info.link_target, info.resolved) == ("link", FORGED, None)


def test_parser_decodes_a_resolved_path_holding_newlines() -> None:
    real = "/srv/a\nresolved /etc/passwd"
    output = (
        f"stat link 777 0 0 9 root root\ntarget-b64 {b64('a' + chr(10))}\n"
        f"resolved-b64 {b64(real)}\nstat file 600 0 0 2 root root\ncontent-begin\naGkK\ncontent-end\n"
    )
    resolved = parse_file_output("/srv/link", output).followed()
    assert (resolved.path, resolved.content) == (real, b"hi\n")


def test_plain_target_and_resolved_lines_are_refused() -> None:
    with pytest.raises(ValueError, match="link target missing"):
        parse_file_output("/l", "stat link 777 0 0 9 root root\ntarget x\n")
    with pytest.raises(ValueError, match="unexpected output"):
        parse_file_output("/l", f"stat link 777 0 0 9 root root\ntarget-b64 {b64('x')}\nresolved /etc/passwd\n")
    with pytest.raises(ValueError, match="bad name encoding"):
        parse_file_output("/l", "stat link 777 0 0 9 root root\ntarget-b64 !!\n")


def make_links(tmp_path: Path) -> tuple[Path, Path]:
    """A link whose target holds newlines and a forged description, and one that resolves to such a name."""
    forged = tmp_path / "forged"
    forged.symlink_to(FORGED)
    odd = tmp_path / "odd\nresolved etc-passwd"
    odd.write_bytes(b"real\n")
    resolving = tmp_path / "resolving"
    resolving.symlink_to(odd.name)
    return forged, resolving


@pytest.mark.parametrize("grouped", [True, False], ids=["find-printf", "per-path"])
def test_real_links_with_newlines_over_the_local_transport(
    tmp_path: Path, grouped: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    forged, resolving = make_links(tmp_path)
    monkeypatch.chdir(tmp_path)  # a relative path is never grouped: the per-path form reads it
    facts = [FileFact(str(link) if grouped else link.name) for link in (forged, resolving)]
    assert all((fact.group is not None) is grouped for fact in facts)
    facts_batch = batch(facts)
    done = LocalTransport().run(["sh", "-c", facts_batch.script()])
    values = facts_batch.split(done.stdout)
    first = values[facts[0].key]
    assert (first.type, first.link_target, first.followed().exists) == ("link", FORGED, False)
    second = values[facts[1].key].followed()
    assert (second.type, second.content) == ("file", b"real\n")
    assert second.path == str(tmp_path.resolve() / "odd\nresolved etc-passwd")
