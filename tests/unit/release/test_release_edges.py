"""A release image's deploy spec survives the ledger; the verify ssh-config names each host's endpoint."""

from __future__ import annotations

from deployctl.immutable.recipe import ImageRelease, RuntimeTemplate, ServiceSpec
from deployctl.model.connection import SshEndpoint
from deployctl.release.images import image_release_from_json, image_release_to_json
from deployctl.release.verification import ssh_config_text


def test_an_image_release_round_trips_through_json() -> None:
    release = ImageRelease(
        app="webapp",
        image="deployctl/webapp:0123456789ab",
        image_id="sha256:feed",
        context_hash="0123456789ab" * 5,
        service=ServiceSpec("webapp", ("/usr/bin/python3", "/opt/webapp/webapp.py"), 8080, user="webapp"),
        runtime_templates=(
            RuntimeTemplate(
                "config", "templates/webapp.ini.j2", "/etc/webapp/webapp.ini", True, "0640", variables={"a": 1}
            ),
        ),
        not_baked=("a note",),
    )
    assert image_release_from_json(image_release_to_json(release)) == release


def test_the_ssh_config_has_one_block_per_host() -> None:
    text = ssh_config_text(
        [
            SshEndpoint("qa-vm1", "127.0.0.1", 2211, "vagrant", "/keys/qa-vm1", host_key_checking=False),
            SshEndpoint("web01", "10.0.0.5", 22, "deploy"),
        ]
    )
    first, second = text.split("\n\n")
    assert first.splitlines()[:4] == ["Host qa-vm1", "  HostName 127.0.0.1", "  Port 2211", "  User vagrant"]
    assert "  IdentityFile /keys/qa-vm1" in first and "  StrictHostKeyChecking no" in first
    assert "StrictHostKeyChecking" not in second and "IdentityFile" not in second
