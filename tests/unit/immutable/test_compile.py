"""compile_play on the demo webapp and its variants, against the base image's captured facts (no Docker).

What the Dockerfile bakes, what moves to deploy time (decided by what the templates read), what is
reported as not baked, and the content hash that makes an unchanged playbook build nothing.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from typing import Any

import pytest

from deployctl.facts.ansible import ANSIBLE_FACTS_KEY
from deployctl.immutable.build import render_runtime_files
from deployctl.immutable.compile import BuildRecipe, base_facts_needed, compile_play, context_hash
from deployctl.immutable.compileoutput import CompileError
from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import Playbook
from tests.unit.immutable.conftest import DISPLAY, captured_facts, stage_vars

Variant = Callable[..., Playbook]
Compile = Callable[..., BuildRecipe]
Variables = Callable[..., dict[str, dict[str, Any]]]

BASE_IMAGE_ID = "sha256:" + "b" * 64
"""The base image id the conftest compiles with."""
CMD = ["/usr/bin/python3", "/opt/webapp/webapp.py", "/etc/webapp/webapp.ini"]


def instructions(recipe: BuildRecipe) -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n", " ", recipe.dockerfile)
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def run_commands(line: str) -> list[str]:
    """The commands of a RUN instruction (shell form, joined with &&)."""
    return [part.strip() for part in line.removeprefix("RUN ").split(" && ")]


def notes(recipe: BuildRecipe) -> list[str]:
    return [str(note) for note in recipe.not_baked]


# --- the demo webapp ---------------------------------------------------------------------------------


def test_packages_are_installed_from_fresh_lists_and_the_lists_cleaned(webapp_recipe: BuildRecipe) -> None:
    (run,) = [line for line in instructions(webapp_recipe) if "apt-get" in line]
    commands = run_commands(run)
    assert commands[0] == "env DEBIAN_FRONTEND=noninteractive apt-get -q update"
    assert commands[1].startswith("env DEBIAN_FRONTEND=noninteractive apt-get -y -q")
    assert commands[1].endswith("install -- curl python3")
    assert commands[2] == "rm -rf /var/lib/apt/lists/*"


def test_accounts_and_directories_are_one_layer(webapp_recipe: BuildRecipe) -> None:
    (run,) = [line for line in instructions(webapp_recipe) if "groupadd" in line]
    commands = run_commands(run)
    assert commands[:2] == [
        "groupadd -r -- webapp",
        "useradd -g webapp -d /opt/webapp -s /usr/sbin/nologin -r -M -- webapp",
    ]
    for path, owner, mode in (
        ("/opt/webapp", "root:root", "0755"),
        ("/etc/webapp", "root:webapp", "0750"),
        ("/var/log/webapp", "webapp:webapp", "0750"),
    ):
        index = commands.index(f"mkdir -p -- {path}")
        assert commands[index + 1 : index + 3] == [f"chown -h -- {owner} {path}", f"chmod -- {mode} {path}"]


def test_the_application_file_is_copied_with_its_mode(webapp_recipe: BuildRecipe) -> None:
    lines = instructions(webapp_recipe)
    (copy,) = [line for line in lines if line.startswith("COPY ")]
    source, dest = json.loads(copy.removeprefix("COPY "))
    assert dest == "/opt/webapp/webapp.py"
    assert webapp_recipe.files[source].startswith(b"#!/usr/bin/env python3")
    after = lines[lines.index(copy) + 1]
    assert run_commands(after) == ["chown -h -- root:root /opt/webapp/webapp.py", "chmod -- 0755 /opt/webapp/webapp.py"]


def test_the_main_service_is_the_containers_process(webapp_recipe: BuildRecipe) -> None:
    lines = instructions(webapp_recipe)
    assert lines[0] == "FROM deployctl/base:bookworm"
    assert lines[-1] == f"CMD {json.dumps(CMD)}"
    assert "USER webapp" in lines
    assert "EXPOSE 8080" in lines
    (health,) = [line for line in lines if line.startswith("HEALTHCHECK ")]
    assert "--interval=30s" in health  # Docker's pace at rest; rollouts probe new replicas themselves
    assert health.endswith('CMD ["curl", "-fsS", "-o", "/dev/null", "--max-time", "2", "http://127.0.0.1:8080/health"]')
    service = webapp_recipe.service
    assert (service.name, service.command, service.port, service.user, service.group) == (
        "webapp",
        tuple(CMD),
        8080,
        "webapp",
        "webapp",
    )
    assert service.health_path == "/health"
    assert webapp_recipe.tag == f"deployctl/webapp:{webapp_recipe.context_hash[:12]}"
    assert webapp_recipe.labels == {
        "deployctl.app": "webapp",
        "deployctl.context": webapp_recipe.context_hash,
        "deployctl.role": "release",
    }


def test_the_stage_config_is_rendered_at_deploy_time_not_baked(webapp_recipe: BuildRecipe) -> None:
    (config,) = webapp_recipe.runtime_templates
    assert (config.src, config.dest, config.template) == ("templates/webapp.ini.j2", "/etc/webapp/webapp.ini", True)
    assert (config.owner, config.group, config.mode) == ("root", "webapp", "0640")
    assert "stage_name" in config.reason and "playbooks/webapp.yml:47" in config.reason
    assert not [line for line in instructions(webapp_recipe) if "webapp.ini" in line and not line.startswith("CMD ")]
    assert not any(b"stage = " in content for content in webapp_recipe.files.values())


def test_the_unit_file_only_describes_the_service(webapp_recipe: BuildRecipe) -> None:
    assert "systemd" not in webapp_recipe.dockerfile
    assert all("systemd" not in template.dest for template in webapp_recipe.runtime_templates)
    replaced = [str(note) for note in webapp_recipe.replaced_by_container]
    (unit,) = [note for note in replaced if "/etc/systemd/system/webapp.service" in note]
    assert unit.startswith("playbooks/webapp.yml:51: Install the systemd unit:")
    assert "neither baked nor mounted" in unit and "stage_name" in unit
    assert any("Start and enable the service" in note for note in replaced)
    assert any("restart webapp" in note and "handler" in note for note in replaced)
    assert webapp_recipe.not_baked == ()


def test_runtime_files_render_each_stage(
    webapp_recipe: BuildRecipe, demo_playbook: Playbook, variables: Variables
) -> None:
    per_host = variables(demo_playbook, ("dev", "qa"))
    (dev,) = render_runtime_files(webapp_recipe, demo_playbook, per_host["dev-vm1"])
    (qa,) = render_runtime_files(webapp_recipe, demo_playbook, per_host["qa-vm2"])
    assert dev.dest == qa.dest == "/etc/webapp/webapp.ini"
    assert b"stage = dev\n" in dev.content and b"stage = qa\n" in qa.content
    assert dev.mode == "0644"


# --- the context hash --------------------------------------------------------------------------------


def test_same_inputs_same_hash(webapp_recipe: BuildRecipe, compile_recipe: Compile, demo_playbook: Playbook) -> None:
    again = compile_recipe(demo_playbook)
    assert (again.dockerfile, again.files, again.context_hash) == (
        webapp_recipe.dockerfile,
        webapp_recipe.files,
        webapp_recipe.context_hash,
    )


@pytest.mark.parametrize("stages", [("qa", "dev"), ("dev", "qa", "uat", "prod"), ("prod", "uat")])
def test_every_stage_gets_the_same_image(
    webapp_recipe: BuildRecipe, compile_recipe: Compile, demo_playbook: Playbook, stages: tuple[str, ...]
) -> None:
    assert compile_recipe(demo_playbook, stages).context_hash == webapp_recipe.context_hash


def test_a_changed_file_changes_the_hash(webapp_recipe: BuildRecipe, compile_recipe: Compile, variant: Variant) -> None:
    changed = compile_recipe(variant(app_change=b"# a new release\n"))
    assert changed.context_hash != webapp_recipe.context_hash
    assert changed.dockerfile != webapp_recipe.dockerfile  # the context file is named by its content
    unchanged = compile_recipe(variant())
    assert unchanged.context_hash == webapp_recipe.context_hash


def test_a_new_base_image_changes_the_hash(
    webapp_recipe: BuildRecipe, compile_recipe: Compile, demo_playbook: Playbook
) -> None:
    rebuilt = compile_recipe(demo_playbook, base_image_id="sha256:" + "c" * 64)
    assert rebuilt.dockerfile == webapp_recipe.dockerfile
    assert rebuilt.context_hash != webapp_recipe.context_hash


# --- stage-specific values are decided by what they read ------------------------------------------------


def test_copied_content_reading_a_stage_variable_moves_to_deploy_time(
    compile_recipe: Compile, variant: Variant
) -> None:
    recipe = compile_recipe(variant("motd_per_stage"))
    motd = [template for template in recipe.runtime_templates if template.dest == "/etc/webapp/motd"]
    assert len(motd) == 1
    assert motd[0].content == "Welcome to {{ motd_place }}\n" and motd[0].template and motd[0].src == ""
    assert "stage_name" in motd[0].reason  # followed through the task's own variable
    assert "/etc/webapp/motd" not in recipe.dockerfile


def test_the_same_content_reading_a_common_variable_is_baked(compile_recipe: Compile, variant: Variant) -> None:
    recipe = compile_recipe(variant("motd_common"))
    assert all(template.dest != "/etc/webapp/motd" for template in recipe.runtime_templates)
    (copy,) = [line for line in instructions(recipe) if line.startswith("COPY ") and "/etc/webapp/motd" in line]
    source, _ = json.loads(copy.removeprefix("COPY "))
    assert recipe.files[source] == b"Welcome to webapp\n"


def test_lookups_run_on_the_controller_and_bake(compile_recipe: Compile, variant: Variant) -> None:
    recipe = compile_recipe(variant("lookups"))
    (copy,) = [line for line in instructions(recipe) if line.startswith("COPY ") and "/etc/webapp/motd" in line]
    source, _ = json.loads(copy.removeprefix("COPY "))
    assert recipe.files[source] == b"webapp.py #!/usr/bin/env python3\n"


def test_a_host_magic_variable_is_stage_specific_even_for_one_host(compile_recipe: Compile, variant: Variant) -> None:
    recipe = compile_recipe(variant("host_file"), ("dev",))
    (host,) = recipe.runtime_templates  # with one stage, only the host's own name differs
    assert host.dest == "/etc/webapp/host" and "inventory_hostname" in host.reason


def test_one_stage_alone_bakes_its_stage_variables(compile_recipe: Compile, demo_playbook: Playbook) -> None:
    recipe = compile_recipe(demo_playbook, ("dev",))
    assert recipe.runtime_templates == ()  # nothing differs: compile for every stage the image goes through
    assert any(line.startswith("COPY ") and "webapp.ini" in line for line in instructions(recipe))


def test_a_package_that_differs_per_stage_is_reported(compile_recipe: Compile, variant: Variant) -> None:
    recipe = compile_recipe(variant("package_per_stage"))
    (note,) = notes(recipe)
    assert note.startswith("playbooks/webapp.yml:58: Install a stage's tools: stage-specific (name reads stage_name)")
    assert "jq" not in recipe.dockerfile and "less" not in recipe.dockerfile


def test_a_condition_on_a_stage_variable_is_reported(compile_recipe: Compile, variant: Variant) -> None:
    recipe = compile_recipe(variant("when_per_stage"))
    (note,) = notes(recipe)
    assert note.startswith("playbooks/webapp.yml:58: Only in production: its condition reads stage-specific")
    assert "/var/lib/webapp" not in recipe.dockerfile
    assert "mkdir -p -- /var/cache/webapp" in recipe.dockerfile


def test_a_loop_bakes_every_item(compile_recipe: Compile, variant: Variant) -> None:
    recipe = compile_recipe(variant("loop_dirs"))
    for path in ("/var/lib/webapp", "/var/cache/webapp"):
        assert f"mkdir -p -- {path} \\\n && chown -h -- webapp {path} \\\n && chmod -- 0750 {path}" in recipe.dockerfile


def test_an_undefined_loop_whose_condition_is_false_is_skipped(compile_recipe: Compile, variant: Variant) -> None:
    recipe = compile_recipe(variant("undefined_loop"))
    assert "/home/" not in recipe.dockerfile
    assert "mkdir -p -- /var/lib/webapp \\\n && chown -h -- webapp /var/lib/webapp" in recipe.dockerfile
    assert "/var/cache/webapp" not in recipe.dockerfile


def test_an_undefined_loop_whose_condition_holds_fails(compile_recipe: Compile, variant: Variant) -> None:
    with pytest.raises(CompileError, match=r"webapp.yml:60: Set password ageing: 'regular_users' is undefined"):
        compile_recipe(variant("undefined_loop_error"))


# --- commands, modules that need a host, errors ------------------------------------------------------


def test_a_guarded_command_is_baked_and_an_unguarded_one_reported(compile_recipe: Compile, variant: Variant) -> None:
    recipe = compile_recipe(variant("commands"))
    assert (
        "RUN test -e /opt/webapp/.compiled || /bin/sh -c "
        "'python3 -m compileall -q /opt/webapp && touch /opt/webapp/.compiled'"
    ) in recipe.dockerfile
    (note,) = notes(recipe)
    assert note.startswith("playbooks/webapp.yml:63: Check the configuration: a command without `creates`")
    assert "--check" not in recipe.dockerfile


def test_a_kernel_parameter_is_reported(compile_recipe: Compile, variant: Variant) -> None:
    recipe = compile_recipe(variant("sysctl"))
    (note,) = notes(recipe)
    assert "Allow more connections" in note and "kernel parameters" in note
    assert "sysctl" not in recipe.dockerfile


def test_a_task_that_cannot_be_planned_fails_with_its_line(compile_recipe: Compile, variant: Variant) -> None:
    with pytest.raises(
        CompileError, match=r"playbooks/webapp.yml:58: Create an operator: Group operators does not exist"
    ):
        compile_recipe(variant("missing_group"))


def test_a_play_without_a_main_service_cannot_be_an_image(compile_recipe: Compile, variant: Variant) -> None:
    with pytest.raises(CompileError, match="no service or systemd task with state: started"):
        compile_recipe(variant(without_service=True))


def test_missing_base_facts_say_how_to_gather_them(demo_playbook: Playbook, variables: Variables) -> None:
    playbook = demo_playbook
    play = playbook.plays[0]
    per_host = variables(playbook)
    assert "apt_cache_age" in {fact.key for fact in base_facts_needed(playbook, play, per_host)}
    with pytest.raises(CompileError, match=r"was not gathered.*gather_base_facts"):
        compile_play(playbook, play, per_host, {})


def test_moving_or_renaming_a_task_builds_nothing(webapp_recipe: BuildRecipe) -> None:
    moved = webapp_recipe.dockerfile.replace("# playbooks/webapp.yml:21 Install curl", "# elsewhere.yml:99 Packages")
    assert moved != webapp_recipe.dockerfile
    assert context_hash(moved, webapp_recipe.files, BASE_IMAGE_ID) == webapp_recipe.context_hash


def test_runtime_content_renders_with_its_task_variables(
    compile_recipe: Compile, variant: Variant, variables: Variables
) -> None:
    playbook = variant("motd_per_stage")
    recipe = compile_recipe(playbook)
    per_host = variables(playbook, ("dev", "qa"))
    rendered = {
        host: {runtime.dest: runtime.content for runtime in render_runtime_files(recipe, playbook, per_host[host])}
        for host in ("dev-vm1", "qa-vm1")
    }
    assert rendered["dev-vm1"]["/etc/webapp/motd"] == b"Welcome to the dev stage\n"
    assert rendered["qa-vm1"]["/etc/webapp/motd"] == b"Welcome to the qa stage\n"


def test_validated_content_is_checked_in_the_build_and_reads_of_the_host_are_reported(
    compile_recipe: Compile, variant: Variant
) -> None:
    recipe = compile_recipe(variant("validated_and_read_only"))
    assert any("grep -q Welcome /etc/webapp/motd" in line for line in instructions(recipe))
    stat_note, getent_note = notes(recipe)
    assert "Look at the message" in stat_note and "reads a path of a running host" in stat_note
    assert "Read the accounts" in getent_note and "name services" in getent_note


def test_templates_reading_ansible_managed_compile_and_render_it(
    compile_recipe: Compile, variant: Variant, variables: Variables
) -> None:
    playbook = variant()
    for name in ("webapp.ini.j2", "webapp.service.j2"):
        template = playbook.base_dir / "templates" / name
        template.write_text("# {{ ansible_managed }}\n" + template.read_text())
    recipe = compile_recipe(playbook)
    assert recipe.service.command == tuple(CMD)  # the unit file, read for the service, renders too
    (config,) = recipe.runtime_templates  # stage-specific for its stage variables, not for ansible_managed
    assert "ansible_managed" not in config.reason
    (dev,) = render_runtime_files(recipe, playbook, variables(playbook, ("dev",))["dev-vm1"])
    assert dev.content.startswith(b"# Ansible managed\n")


def test_a_password_hash_is_not_baked(compile_recipe: Compile, variant: Variant) -> None:
    recipe = compile_recipe(variant("user_password"))
    (note,) = notes(recipe)
    assert "Give the service user a password" in note and "build history" in note
    assert "c2VjcmV0aGFzaA" not in recipe.dockerfile and "chpasswd" not in recipe.dockerfile


def test_a_download_is_reported_not_baked(compile_recipe: Compile, variant: Variant) -> None:
    recipe = compile_recipe(variant("get_url"))
    (note,) = notes(recipe)
    assert "Fetch the tool" in note and "build context" in note
    assert "example.org" not in recipe.dockerfile


def test_an_apt_key_is_reported_not_baked(compile_recipe: Compile, variant: Variant) -> None:
    recipe = compile_recipe(variant("apt_key"))
    (note,) = notes(recipe)
    assert "Trust the vendor key" in note and "signed-by" in note
    assert "apt-key" not in recipe.dockerfile and "vendor.gpg" not in recipe.dockerfile


def test_an_archive_is_reported_not_baked(compile_recipe: Compile, variant: Variant) -> None:
    recipe = compile_recipe(variant("unarchive"))
    (note,) = notes(recipe)
    assert "Unpack the tool" in note and "creates" in note
    assert "tool.tar.gz" not in recipe.dockerfile


def test_a_repository_is_baked_and_the_lists_refreshed_by_the_apt_step(
    compile_recipe: Compile, variant: Variant
) -> None:
    recipe = compile_recipe(variant("apt_repository"))
    assert not notes(recipe)
    lines = instructions(recipe)
    (copy,) = [index for index, line in enumerate(lines) if line.startswith("COPY") and "local.list" in line]
    updates = [index for index, line in enumerate(lines) if "apt-get -q update" in line]
    assert updates[-1] > copy and "rm -rf /var/lib/apt/lists/*" in lines[updates[-1]]
    assert len(updates) == 2  # the demo's install, then the refresh after the repository; none of its own


def test_a_tasks_environment_is_baked_into_its_run_step(compile_recipe: Compile, variant: Variant) -> None:
    recipe = compile_recipe(variant("environment"))
    (run,) = [line for line in instructions(recipe) if "compileall" in line]
    words = shlex.split(run.removeprefix("RUN "))
    assert words[:5] == ["env", "--", "PYTHONDONTWRITEBYTECODE=x", "QUOTED=a'b $(c)", "sh"]
    assert words[5] == "-c" and "compileall" in words[6]
    (note,) = notes(recipe)
    assert "An environment per stage: its environment reads stage-specific variables (stage_name)" in note
    assert "echo staged" not in recipe.dockerfile


# --- unsupported tasks: an error only where the image reaches them -----------------------------------


def compile_with_debian_facts(playbook: Playbook, tasks: str) -> BuildRecipe:
    """A variant's playbook with `tasks` appended, compiled for dev and qa on the captured facts, a Debian image."""
    webapp = playbook.base_dir / "webapp.yml"
    webapp.write_text(webapp.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + tasks, encoding="utf-8")
    playbook = load_playbook(webapp, DISPLAY)
    variables = stage_vars(playbook)
    play = playbook.plays[0]
    needed = [fact for fact in base_facts_needed(playbook, play, variables) if fact.key != ANSIBLE_FACTS_KEY]
    facts = {**captured_facts(needed), ANSIBLE_FACTS_KEY: {"os_family": "Debian", "distribution": "Debian"}}
    return compile_play(playbook, play, variables, facts, base_image_id=BASE_IMAGE_ID)


def test_an_unsupported_task_the_image_reaches_is_a_compile_error(variant: Variant) -> None:
    with pytest.raises(CompileError, match=r"playbooks/webapp\.yml:58: .*unknown module 'pacman'"):
        compile_with_debian_facts(variant(), "    - name: Arch tools\n      pacman: name=jq\n")


def test_an_unsupported_task_for_another_os_family_is_not_reached(variant: Variant) -> None:
    recipe = compile_with_debian_facts(
        variant(), "    - name: RedHat tools\n      yum: name=jq\n      when: ansible_os_family == 'RedHat'\n"
    )
    assert "jq" not in recipe.dockerfile and not notes(recipe)


def test_text_edits_are_planned_on_the_image_and_baked(compile_recipe: Compile, variant: Variant) -> None:
    recipe = compile_recipe(variant("text_edits"))
    copies = [line for line in instructions(recipe) if line.startswith("COPY ") and "/etc/webapp/motd" in line]
    source, _ = json.loads(copies[-1].removeprefix("COPY "))
    assert recipe.files[source] == (
        b"Welcome to webapp\nstage: image\n"
        b"# BEGIN ANSIBLE MANAGED BLOCK\nsupport: ops@example.org\n# END ANSIBLE MANAGED BLOCK\n"
    )
    assert len(copies) == 3 and notes(recipe) == []


def test_a_cron_job_is_reported(compile_recipe: Compile, variant: Variant) -> None:
    recipe = compile_recipe(variant("cron_job"))
    (note,) = notes(recipe)
    assert "Rotate the application's cache nightly" in note and "no cron daemon" in note
    assert "crontab" not in recipe.dockerfile


def test_a_debconf_password_is_not_baked(compile_recipe: Compile, variant: Variant) -> None:
    recipe = compile_recipe(variant("debconf_password"))
    (note,) = notes(recipe)
    assert "Set the database password" in note and "image's layers" in note
    assert "debconf" not in recipe.dockerfile and "s3cret" not in recipe.dockerfile
