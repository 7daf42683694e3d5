"""The SSH transport reads the private key once per run and reports an unreadable key as a connection error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deployctl.errors import ConnectionFailedError
from deployctl.model.connection import SshEndpoint
from deployctl.transport.ssh import SshTransport, _private_key, load_private_key
from deployctl.transport.sshlib import paramiko


def _endpoint(key_file: Path) -> SshEndpoint:
    return SshEndpoint(name="web1", address="127.0.0.1", port=1, user="u", key_file=str(key_file))


def _ed25519_key(path: Path, mode: int = 0o600) -> Path:
    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        )
    )
    path.chmod(mode)
    return path


def test_a_key_is_parsed_once_and_shared(tmp_path: Path) -> None:
    path = _ed25519_key(tmp_path / "id_ed25519")
    first = _private_key(str(path))
    assert first.get_name() == "ssh-ed25519"
    assert _private_key(str(path)) is first


def test_a_file_that_is_no_key_fails_before_any_connection(tmp_path: Path) -> None:
    path = tmp_path / "not-a-key"
    path.write_text("hello\n")
    path.chmod(0o600)
    with pytest.raises(ConnectionFailedError, match="not a private key"):
        SshTransport(_endpoint(path)).connect()


def test_a_missing_key_file_is_a_connection_error(tmp_path: Path) -> None:
    with pytest.raises(ConnectionFailedError, match="No such file"):
        SshTransport(_endpoint(tmp_path / "missing")).connect()


@pytest.mark.parametrize(
    "key_format", [serialization.PrivateFormat.TraditionalOpenSSL, serialization.PrivateFormat.OpenSSH]
)
def test_an_rsa_key_loads_in_either_format_and_signs(tmp_path: Path, key_format: serialization.PrivateFormat) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "id_rsa"
    path.write_bytes(private.private_bytes(serialization.Encoding.PEM, key_format, serialization.NoEncryption()))
    key = load_private_key(path)
    assert isinstance(key, paramiko.RSAKey)
    public = paramiko.RSAKey(key=private.public_key())
    assert public.verify_ssh_sig(b"data", paramiko.Message(key.sign_ssh_data(b"data").asbytes()))


def test_a_key_with_a_passphrase_is_refused_with_the_reason(tmp_path: Path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "id_rsa"
    path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    path.chmod(0o600)
    with pytest.raises(ConnectionFailedError, match="protected by a passphrase"):
        SshTransport(_endpoint(path)).connect()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_key_others_may_read_is_refused_as_openssh_refuses_it(tmp_path: Path, mode: int) -> None:
    path = _ed25519_key(tmp_path / "id_shared", mode)
    with pytest.raises(ConnectionFailedError) as refused:
        SshTransport(_endpoint(path)).connect()
    assert str(refused.value) == (
        f"web1: {path}: Permissions {mode:04o} for '{path}' are too open. It is required that your private key "
        "files are NOT accessible by others. This private key will be ignored."
    )


def test_a_key_owned_by_another_user_is_not_checked_as_openssh_does(tmp_path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("giving a file to another user needs root")
    path = _ed25519_key(tmp_path / "id_root_shared", 0o644)
    os.chown(path, 65534, 65534)
    assert _private_key(str(path)).get_name() == "ssh-ed25519"
