"""apt key facts against real output captured in a lab node (Debian 12's apt-key and gpg).

captured_aptkeys/*.txt come from `python tests/unit/facts/capture_aptkeys.py`, with keys made by gpg at
capture time: the expectations are read from the listing's own fingerprint lines, not written here.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from deployctl.facts.aptkeys import (
    AptKeyring,
    AptKeyringFact,
    KeySource,
    KeySourceFact,
    parse_key_ids,
    parse_keyring_output,
)
from deployctl.facts.base import RawFact

CAPTURED = Path(__file__).parent / "captured_aptkeys"


def captured(name: str) -> RawFact:
    return RawFact((CAPTURED / f"{name}.txt").read_text(), int((CAPTURED / f"{name}.rc").read_text()))


def listing(name: str) -> str:
    """The apt-key listing part of a captured keyring fact."""
    return captured(name).output.split("\n", 2)[2]


def unexpired_pub_fingerprints(text: str) -> list[str]:
    """The fingerprint line under every `pub` line without `expired`, read from the listing itself."""
    lines = text.splitlines()
    return [lines[n + 1].strip() for n, line in enumerate(lines) if line.startswith("pub") and "expired" not in line]


def test_three_keys_listed_by_long_id_without_the_expired_one() -> None:
    found = AptKeyringFact("/tmp/deployctl-capture-aptkey/ring.gpg").parse(captured("apt-keyring-three-keys"))
    text = listing("apt-keyring-three-keys")
    pubs = [fingerprint[-16:] for fingerprint in unexpired_pub_fingerprints(text)]
    subs = re.findall(r"^sub +\w+/([0-9A-F]{16}) ", text, re.MULTILINE)
    expired = re.findall(r"^pub +\w+/([0-9A-F]{16}) .*\[expired", text, re.MULTILINE)
    assert len(pubs) == 2 and len(subs) == 1 and len(expired) == 1
    assert found == AptKeyring(ids=(pubs[0], pubs[1], subs[0]))
    assert expired[0] not in found.ids


def test_default_keyrings_list_debian_archive_keys_with_subkeys() -> None:
    found = AptKeyringFact().parse(captured("apt-keyring-default"))
    text = listing("apt-keyring-default")
    pubs = [fingerprint[-16:] for fingerprint in unexpired_pub_fingerprints(text)]
    assert pubs and found.missing is None and found.exit_code == 0
    assert [item for item in found.ids if item in pubs] == pubs
    assert len(found.ids) == text.count("\npub ") + text.count("\nsub ")


def test_missing_tool_missing_keyring_and_failing_listing() -> None:
    assert AptKeyringFact().parse(captured("apt-keyring-no-gpg")) == AptKeyring(missing="gpg")
    assert AptKeyringFact("/x").parse(captured("apt-keyring-missing-file")) == AptKeyring()
    failed = AptKeyringFact("/tmp/deployctl-capture-aptkey").parse(captured("apt-keyring-a-folder"))
    assert failed.exit_code == 2 and failed.ids == ()
    assert failed.error.endswith("Is a directory"), failed.error


def test_key_source_ids_match_the_keyring_listing() -> None:
    ring = AptKeyringFact("/r").parse(captured("apt-keyring-three-keys"))
    armored = KeySourceFact("file", "/k.asc").parse(captured("apt-key-source-armored-file"))
    binary = KeySourceFact("file", "/k.gpg").parse(captured("apt-key-source-binary-file"))
    data = KeySourceFact("data", "...").parse(captured("apt-key-source-data"))
    assert armored == data == KeySource(key_id=ring.ids[0])
    assert binary == KeySource(key_id=ring.ids[1])


def test_key_source_failures() -> None:
    missing = KeySourceFact("file", "/k").parse(captured("apt-key-source-missing-file"))
    assert missing.exit_code == 2 and missing.key_id is None
    assert missing.error is not None and "can't open" in missing.error
    garbage = KeySourceFact("data", "x").parse(captured("apt-key-source-not-a-key"))
    assert garbage.exit_code == 2 and garbage.error == "gpg: processing message failed: Unknown system error"
    refused = KeySourceFact("url", "http://127.0.0.1:9/k").parse(captured("apt-key-source-url-refused"))
    assert refused.key_id is None and refused.error is not None and "Connection refused" in refused.error


def test_parser_reads_both_formats_as_ansible_does() -> None:
    text = "pub   rsa2048/AAAABBBBCCCCDDDD 2020-01-01 [SC]\npub:-:255:22:1111222233334444:1::\nsub \nuid x\n"
    assert parse_key_ids(text) == ("AAAABBBBCCCCDDDD", "1111222233334444")
    assert parse_keyring_output("garbage") == AptKeyring(exit_code=-1, error="unexpected output 'garbage'")


def test_data_fact_script_decodes_the_key_the_host_reads(tmp_path: Path) -> None:
    fake = tmp_path / "gpg"
    fake.write_text('#!/bin/sh\nfor a do f=$a; done\nprintf "pub:-:1:1:%s:1::\\n" "$(cat "$f")"\n')
    fake.chmod(0o755)
    fact = KeySourceFact("data", "0123456789ABCDEF")
    done = subprocess.run(
        ["sh", "-c", fact.script()], capture_output=True, text=True, env={"PATH": f"{tmp_path}:/usr/bin:/bin"}
    )
    assert fact.parse(RawFact(done.stdout, done.returncode)) == KeySource(key_id="0123456789ABCDEF")
