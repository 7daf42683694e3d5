"""The pure parts compile builds on: image facts brought forward, unit files, Dockerfile text, stage scopes,
and how a failing build step is traced back to its task."""

from __future__ import annotations

from typing import Any

import pytest

from deployctl.facts.files import FileInfo
from deployctl.facts.packages import PackageInfo
from deployctl.facts.users import GroupInfo
from deployctl.immutable.build import describe_failure, instruction_origins
from deployctl.immutable.compile import BuildRecipe, context_hash
from deployctl.immutable.dockerfile import CopyStep, RunStep, Step, group_steps
from deployctl.immutable.imagefacts import ImageFacts, UnknownFactError
from deployctl.immutable.recipe import ServiceSpec
from deployctl.immutable.scopes import StageScopes
from deployctl.immutable.unitfile import UnitFileError, parse_service_unit
from deployctl.lab.images import ImageBuildError
from deployctl.modules.params import validate_params
from deployctl.modules.registry import find_module
from deployctl.templating import Templar

ABSENT_DIR = FileInfo(path="/opt/app", type="absent")
OPT_APP = FileInfo(path="/opt/app", type="directory", mode="0755", owner="root", group="root", uid=0, gid=0)

# --- image facts: apply a plan, re-plan on the facts after it, nothing is left to do ------------------

CASES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("group", "group", {"name": "app", "system": True}, {"group:app": None}),
    (
        "user with its group",
        "user",
        {"name": "app", "group": "app", "system": True, "shell": "/usr/sbin/nologin", "home": "/opt/app"},
        {"user:app": None, "group:app": GroupInfo(name="app", gid=999, members=())},
    ),
    (
        "directory",
        "file",
        {"path": "/opt/app", "state": "directory", "owner": "app", "group": "app", "mode": "0750"},
        {"file:/opt/app": ABSENT_DIR},
    ),
    (
        "copied file",
        "copy",
        {"content": "hello\n", "dest": "/opt/app/hello.txt", "owner": "root", "mode": "0640"},
        {"file:/opt/app/hello.txt": FileInfo(path="/opt/app/hello.txt", type="absent"), "file:/opt/app": OPT_APP},
    ),
    (
        "package",
        "apt",
        {"name": ["curl"], "update_cache": True, "cache_valid_time": 86400},
        {"package:curl": PackageInfo(name="curl", installed=None, candidate="7.88.1-10"), "apt_cache_age": 30},
    ),
    (
        "symlink",
        "file",
        {"path": "/opt/current", "src": "/opt/app", "state": "link"},
        {"file:/opt/current": FileInfo(path="/opt/current", type="absent"), "file:/opt/app": OPT_APP},
    ),
]


@pytest.mark.parametrize(("module_name", "args", "facts"), [case[1:] for case in CASES], ids=[c[0] for c in CASES])
def test_replanning_on_the_facts_after_a_step_changes_nothing(
    module_name: str, args: dict[str, Any], facts: dict[str, Any]
) -> None:
    module = find_module(module_name)
    assert module is not None
    params = validate_params(module, args)
    image = ImageFacts(facts)
    keys = [fact.key for fact in module.facts(params)]
    plan = module.plan(params, image.lookup(keys))
    assert plan.changed and plan.failed is None, plan.summary
    image.apply(module.name, params, plan, "step")
    again = module.plan(params, image.lookup(keys))
    assert again.failed is None and not again.changed, (again.summary, again.actions)


def test_an_unpredictable_change_makes_a_fact_unknown() -> None:
    image = ImageFacts({"file:/opt/app": OPT_APP, "file:/opt/app/data": FileInfo(path="/opt/app/data", type="file")})
    module = find_module("file")
    assert module is not None
    params = validate_params(module, {"path": "/opt/app", "owner": "app", "recurse": True, "state": "directory"})
    image.apply("file", params, module.plan(params, image.lookup(["file:/opt/app"])), "chown -R")
    with pytest.raises(UnknownFactError, match="file:/opt/app/data"):
        image.lookup(["file:/opt/app/data"])
    assert image.get("file:/opt/app").owner == "app"


def test_the_base_lists_are_never_trusted() -> None:
    assert ImageFacts({"apt_cache_age": 5}).lookup(["apt_cache_age"]) == {"apt_cache_age": None}


# --- unit files --------------------------------------------------------------------------------------


def test_a_unit_gives_the_process_and_its_context() -> None:
    unit = parse_service_unit(
        "[Unit]\nDescription=app (dev)\n\n[Service]\nUser=app\nGroup=staff\nWorkingDirectory=/opt/app\n"
        'Environment=A=1 "B=two words"\nEnvironment=C=3\nExecStart=-/usr/bin/python3 \\\n  /opt/app/app.py --port 80\n'
        "Restart=on-failure\nLimitNOFILE=4096\n\n[Install]\nWantedBy=multi-user.target\n"
    )
    assert unit.command == ("/usr/bin/python3", "/opt/app/app.py", "--port", "80")
    assert (unit.user, unit.group, unit.working_dir) == ("app", "staff", "/opt/app")
    assert unit.environment == {"A": "1", "B": "two words", "C": "3"}
    assert unit.ignored == ("LimitNOFILE=4096",)


def test_a_unit_without_execstart_is_refused() -> None:
    with pytest.raises(UnitFileError, match="no ExecStart"):
        parse_service_unit("[Service]\nUser=app\nExecStart=/bin/true\nExecStart=\n")


def test_a_forking_service_is_reported() -> None:
    unit = parse_service_unit("[Service]\nType=forking\nExecStart=/usr/sbin/daemon\n")
    assert unit.ignored == ("Type=forking (a container's main process must stay in the foreground)",)


# --- Dockerfile text ---------------------------------------------------------------------------------


def test_consecutive_commands_share_a_layer_but_packages_keep_theirs() -> None:
    steps: list[Step] = [
        RunStep(("apt-get install -y curl",), ("a:1 packages",), alone=True),
        RunStep(("groupadd app",), ("a:2 group",)),
        RunStep(("useradd app",), ("a:3 user",)),
        CopyStep("files/x/app.py", "/opt/app.py", ("a:4 app",)),
        RunStep(("chmod -- 0755 /opt/app.py",), ("a:4 app",)),
    ]
    assert group_steps(steps) == [
        steps[0],
        RunStep(("groupadd app", "useradd app"), ("a:2 group", "a:3 user")),
        steps[3],
        steps[4],
    ]


def recipe_of(dockerfile: str) -> BuildRecipe:
    service = ServiceSpec(name="app", command=("/app",), port=80)
    return BuildRecipe(
        "app", dockerfile, {}, service, (), (), (), context_hash(dockerfile, {}, ""), "base", "", "p", "p"
    )


DOCKERFILE = """# generated

FROM base

# play.yml:3 Install packages
RUN apt-get update \\
 && apt-get install -y nosuch

# play.yml:9 Create the group
# play.yml:12 Create the user
RUN groupadd app \\
 && useradd app
CMD ["/app"]
"""


def test_builder_steps_map_back_to_their_tasks() -> None:
    assert instruction_origins(DOCKERFILE) == [
        ("FROM base", ()),
        ("RUN apt-get update", ("play.yml:3 Install packages",)),
        ("RUN groupadd app", ("play.yml:9 Create the group", "play.yml:12 Create the user")),
        ('CMD ["/app"]', ()),
    ]
    error = ImageBuildError(
        "deployctl/app:abc",
        "The command '/bin/sh -c apt-get update  && apt-get install -y nosuch' returned a non-zero code: 100",
        "Step 2/5 : RUN apt-get update  && apt-get install -y nosuch",
        ["Reading package lists...", "E: Unable to locate package nosuch"],
    )
    recipe = recipe_of(DOCKERFILE)
    assert describe_failure(recipe, error) == (
        f"building {recipe.tag} failed at step 2/5 (play.yml:3 Install packages): "
        "RUN apt-get update  && apt-get install -y nosuch: exit code 100 "
        "(last output: Reading package lists... | E: Unable to locate package nosuch)"
    )


# --- stage scopes ------------------------------------------------------------------------------------


def test_what_differs_or_reads_what_differs_is_stage_specific() -> None:
    scopes = StageScopes(
        Templar(),
        {
            "dev": {"stage": "dev", "port": 80, "url": "http://{{ stage }}", "name": "app", "title": "{{ name }}"},
            "qa": {"stage": "qa", "port": 80, "url": "http://{{ stage }}", "name": "app", "title": "{{ name }}"},
        },
    )
    assert {"stage", "url", "inventory_hostname"} <= scopes.specific
    assert scopes.common == {"port": 80, "name": "app", "title": "{{ name }}"}
    assert scopes.specific_names("{{ title }} on {{ url }}") == {"url", "stage"}
    assert scopes.specific_names("{{ ansible_hostname }}") == {"ansible_hostname"}
    assert scopes.specific_names("{{ item }}", {"item": "x"}) == set()
    assert scopes.specific_names("{{ ansible_managed }} {{ role_path }} {{ ansible_role_name }}") == set()
    assert {"ansible_play_hosts_all", "ansible_play_batch"} <= scopes.specific
