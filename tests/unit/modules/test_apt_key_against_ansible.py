"""apt_key's parsers beside ansible-core's own functions: the key ids read from the captured apt-key and gpg
output, and the three forms of a key id (or its refusal), are Ansible's."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible.modules import apt_key as ansible_apt_key

from deployctl.facts.aptkeys import parse_key_ids, parse_tool_run
from deployctl.modules.apt_key import KeyId

CAPTURED = Path(__file__).parent.parent / "facts" / "captured_aptkeys"
OUTPUTS = sorted(CAPTURED.glob("*.txt"))
IDS = [
    "0123ABCD",
    "0x0123abcd",
    "89ABCDEF0123ABCD",
    "0X89ABCDEF0123ABCD",
    "0123456789ABCDEF0123456789ABCDEF89ABCDEF",
    "0123456789AB",
    "0x123",
    "12345678901234567",
]


@pytest.mark.parametrize("path", OUTPUTS, ids=[path.stem for path in OUTPUTS])
def test_key_ids_read_from_real_output_are_ansibles(path: Path) -> None:
    run, _ = parse_tool_run(path.read_text())
    assert list(parse_key_ids(run.output)) == ansible_apt_key.parse_output_for_keys(run.output)


@pytest.mark.parametrize("value", IDS)
def test_key_id_forms_are_ansibles(value: str) -> None:
    try:
        short, fingerprint, full = ansible_apt_key.parse_key_id(value)
    except ValueError:
        assert KeyId.parse(value) is None
        return
    assert KeyId.parse(value) == KeyId(short, fingerprint, full)
