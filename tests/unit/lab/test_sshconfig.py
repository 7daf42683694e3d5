"""`vagrant ssh-config` output becomes SSH endpoints."""

from __future__ import annotations

from deployctl.lab.sshconfig import parse_ssh_config

CAPTURED = """Host dev-vm1
  HostName 127.0.0.1
  User vagrant
  Port 2201
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  PasswordAuthentication no
  IdentityFile /work/main/.vagrant/machines/dev-vm1/docker/private_key
  IdentitiesOnly yes
  LogLevel FATAL

Host qa-vm1
  HostName 127.0.0.1
  User vagrant
  Port 2211
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  PasswordAuthentication no
  IdentityFile "/work/my project/.vagrant/machines/qa-vm1/docker/private_key"
  IdentitiesOnly yes
  LogLevel FATAL
"""


def test_parses_every_host() -> None:
    endpoints = parse_ssh_config(CAPTURED)
    assert list(endpoints) == ["dev-vm1", "qa-vm1"]
    dev = endpoints["dev-vm1"]
    assert (dev.address, dev.port, dev.user, dev.host_key_checking) == ("127.0.0.1", 2201, "vagrant", False)
    assert dev.key_file == "/work/main/.vagrant/machines/dev-vm1/docker/private_key"
    assert endpoints["qa-vm1"].key_file == "/work/my project/.vagrant/machines/qa-vm1/docker/private_key"
