"""Parse the output of `vagrant ssh-config` into SSH endpoints (pure)."""

from __future__ import annotations

from deployctl.model.connection import SshEndpoint


def parse_ssh_config(text: str) -> dict[str, SshEndpoint]:
    """Endpoints by machine name, from OpenSSH client config text as `vagrant ssh-config` prints it."""
    blocks: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, value = line.partition(" ")
        keyword, value = keyword.lower(), value.strip().strip('"')
        if keyword == "host":
            current = blocks.setdefault(value, {})
        elif current is not None:
            current.setdefault(keyword, value)
    endpoints = {}
    for name, options in blocks.items():
        checking = options.get("stricthostkeychecking", "yes").lower() not in ("no", "off")
        endpoints[name] = SshEndpoint(
            name=name,
            address=options.get("hostname", name),
            port=int(options.get("port", "22")),
            user=options.get("user", "vagrant"),
            key_file=options.get("identityfile"),
            host_key_checking=checking,
        )
    return endpoints
