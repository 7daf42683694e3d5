"""A hostile base image: its facts are data, in the compiled recipe and in the deploy spec read back."""

from __future__ import annotations

from pathlib import Path

from deployctl.facts.ansible import ANSIBLE_FACTS_KEY
from deployctl.immutable.build import release_of, render_runtime_files
from deployctl.immutable.compile import base_facts_needed, compile_play
from deployctl.model.loading.plays import load_playbook
from deployctl.release.images import image_release_from_json, image_release_to_json
from tests.unit.immutable.conftest import BASE_IMAGE_ID, DISPLAY, captured_facts, make_playbook, stage_vars

MOTD = """
    - name: Write the message of the day
      copy:
        content: "{{ stage_name }} on {{ os_name }}\\n"
        dest: /etc/webapp/motd
        mode: "0644"
      vars:
        os_name: "{{ ansible_distribution }}"
"""


def test_base_image_facts_stay_literal_in_deploy_time_files(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    distribution = "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "').read() }}"
    make_playbook(tmp_path)
    book_path = tmp_path / "playbooks" / "webapp.yml"
    book_path.write_text(book_path.read_text(encoding="utf-8").rstrip("\n") + "\n" + MOTD, encoding="utf-8")
    playbook = load_playbook(book_path, DISPLAY)
    play = playbook.plays[0]
    variables = stage_vars(playbook)
    needed = [fact for fact in base_facts_needed(playbook, play, variables) if fact.key != ANSIBLE_FACTS_KEY]
    facts = {**captured_facts(needed), ANSIBLE_FACTS_KEY: {"distribution": distribution, "os_family": "Debian"}}
    recipe = compile_play(playbook, play, variables, facts, base_image_id=BASE_IMAGE_ID)
    spec = image_release_from_json(image_release_to_json(release_of(recipe, "sha256:" + "d" * 64)))
    files = render_runtime_files(spec, playbook, variables["dev-vm1"])
    (motd,) = [file for file in files if file.dest == "/etc/webapp/motd"]
    assert motd.content == f"dev on {distribution}\n".encode()
    assert not marker.exists()
