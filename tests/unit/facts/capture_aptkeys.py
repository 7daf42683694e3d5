"""Re-capture the apt key facts' real output (by hand, under the lab lock: `python capture_aptkeys.py`).

Keys are made here with gpg (in a temporary home, never a real third party's key): one current ed25519
key, one RSA key with a subkey, and one made with a faked clock so that it has expired. They go to a
scratch folder in a lab node, into a scratch keyring there; the facts' snippets then run in the node
as the batch runs them (`( snippet ) 2>/dev/null` under /bin/sh) and their output goes to
captured_aptkeys/<case>.txt, the exit code to captured_aptkeys/<case>.rc. The node needs gnupg for every case but
`apt-keyring-no-gpg`, which is captured first when gpg is not there (it is left alone otherwise).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from deployctl.facts.aptkeys import AptKeyringFact, KeySourceFact
from deployctl.facts.base import Fact

CAPTURED = Path(__file__).parent / "captured_aptkeys"
LAB = os.environ.get("DEPLOYCTL_CAPTURE_CONTAINER", "deployctl-lab-dev-vm1")
SCRATCH = "/tmp/deployctl-capture-aptkey"
RING = f"{SCRATCH}/ring.gpg"


def _gpg(home: str, *args: str, stdin: bytes | None = None) -> bytes:
    done = subprocess.run(
        ["gpg", "--homedir", home, "--batch", "--passphrase", "", *args], input=stdin, capture_output=True, check=True
    )
    return done.stdout


def make_keys(home: str) -> dict[str, bytes]:
    """Three keys as their export: armored, binary (with a subkey), and an expired one (armored)."""
    _gpg(home, "--quick-gen-key", "capture current <current@debian.example>", "ed25519", "sign", "never")
    _gpg(home, "--quick-gen-key", "capture rsa <rsa@debian.example>", "rsa2048", "sign", "never")
    fingerprint = _gpg(home, "--with-colons", "--list-keys", "rsa@debian.example").decode()
    rsa = next(line.split(":")[9] for line in fingerprint.splitlines() if line.startswith("fpr"))
    _gpg(home, "--quick-add-key", rsa, "rsa2048", "encr", "never")
    _gpg(
        home,
        "--faked-system-time",
        "20200101T000000",
        "--quick-gen-key",
        "capture expired <expired@debian.example>",
        "ed25519",
        "sign",
        "1d",
    )
    return {
        "current.asc": _gpg(home, "--armor", "--export", "current@debian.example"),
        "rsa.gpg": _gpg(home, "--export", "rsa@debian.example"),
        "expired.asc": _gpg(home, "--armor", "--export", "expired@debian.example"),
    }


def run(fact: Fact[object]) -> subprocess.CompletedProcess[str]:
    """Run one snippet in the node as FactBatch does."""
    script = f"( {fact.script()}\n) 2>/dev/null"
    return subprocess.run(["docker", "exec", LAB, "/bin/sh", "-c", script], capture_output=True, text=True, check=False)


def save(name: str, fact: Fact[object]) -> None:
    result = run(fact)
    (CAPTURED / f"{name}.txt").write_text(result.stdout)
    (CAPTURED / f"{name}.rc").write_text(f"{result.returncode}\n")
    print(f"{name}: rc={result.returncode}, {len(result.stdout)} chars")


def main() -> int:
    """Capture every case."""
    has_gpg = subprocess.run(["docker", "exec", LAB, "sh", "-c", "command -v gpg"], capture_output=True).returncode == 0
    if not has_gpg:
        save("apt-keyring-no-gpg", AptKeyringFact())
        print(f"{LAB} has no gpg: install gnupg there to capture the other cases")
        return 1
    with tempfile.TemporaryDirectory() as home:
        keys = make_keys(home)
    subprocess.run(["docker", "exec", LAB, "sh", "-c", f"rm -rf {SCRATCH}; mkdir -p {SCRATCH}"], check=True)
    for name, content in keys.items():
        subprocess.run(["docker", "exec", "-i", LAB, "sh", "-c", f"cat > {SCRATCH}/{name}"], input=content, check=True)
    for name in keys:
        subprocess.run(
            ["docker", "exec", LAB, "apt-key", "--keyring", RING, "add", f"{SCRATCH}/{name}"],
            capture_output=True,
            check=True,
        )
    save("apt-keyring-three-keys", AptKeyringFact(RING))
    save("apt-keyring-default", AptKeyringFact())
    save("apt-keyring-missing-file", AptKeyringFact(f"{SCRATCH}/missing.gpg"))
    save("apt-keyring-a-folder", AptKeyringFact(SCRATCH))
    save("apt-key-source-armored-file", KeySourceFact("file", f"{SCRATCH}/current.asc"))
    save("apt-key-source-binary-file", KeySourceFact("file", f"{SCRATCH}/rsa.gpg"))
    save("apt-key-source-missing-file", KeySourceFact("file", f"{SCRATCH}/missing.asc"))
    save("apt-key-source-data", KeySourceFact("data", keys["current.asc"].decode()))
    save("apt-key-source-not-a-key", KeySourceFact("data", "not a key\n"))
    save("apt-key-source-url-refused", KeySourceFact("url", "http://127.0.0.1:9/key.asc"))
    subprocess.run(["docker", "exec", LAB, "rm", "-rf", SCRATCH], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
