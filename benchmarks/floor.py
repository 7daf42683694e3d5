"""The bare SSH floor: connect with the key and run `true` on every host at once, one thread per host.

No tool does less than this to reach its hosts: one SSH connection and one command each. The harness times
it in-process and as a fresh process (`python -c "...floor.main(...)"`), so that interpreter and paramiko
start-up count the same way as for the tools' CLIs.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence

import paramiko

SSH_USER = "vagrant"
LOOPBACK = "127.0.0.1"


class _TrustPolicy(paramiko.MissingHostKeyPolicy):
    """Accept the bench hosts' fresh host keys without recording them (as the tools are told to)."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        return None


def connect_and_run(port: int, key_file: str, pkey: paramiko.PKey | None = None) -> None:
    """Open one SSH connection to 127.0.0.1:`port`, run `true`, and raise unless it exits 0.

    With `pkey` (the key already loaded) the connection does not read and check the key file itself.
    """
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(_TrustPolicy())
    try:
        client.connect(
            LOOPBACK,
            port=port,
            username=SSH_USER,
            key_filename=None if pkey is not None else key_file,
            pkey=pkey,
            timeout=10,
            allow_agent=False,
            look_for_keys=False,
        )
        _, stdout, _ = client.exec_command("true")
        status = stdout.channel.recv_exit_status()
        if status != 0:
            raise RuntimeError(f"127.0.0.1:{port}: `true` exited {status}")
    finally:
        client.close()


def run_floor(ports: Sequence[int], key_file: str) -> None:
    """`connect_and_run` on every port in parallel (one thread each); raise if any host failed."""
    errors: list[str] = []

    def one(port: int) -> None:
        try:
            connect_and_run(port, key_file)
        except Exception as exc:
            errors.append(f"127.0.0.1:{port}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=one, args=(port,)) for port in ports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError("; ".join(sorted(errors)))


def main(argv: Sequence[str]) -> int:
    """`KEY_FILE PORT...`: run the floor once; exit 1 with the errors on stderr if a host failed."""
    key_file, *ports = argv
    try:
        run_floor([int(port) for port in ports], key_file)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
