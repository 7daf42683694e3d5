"""Fixtures of the immutable compile tests: the demo webapp (and variants of it), the variables of its
stages, and the base image's facts captured for real in fixtures/base_facts.json (each fact's raw output
and exit code; re-capture with `python tests/unit/immutable/capture_base_facts.py`).

A variant is the demo playbook copied to a temporary folder with the tasks of variants/<name>.yml
appended, so each case reads as the few tasks it adds.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from deployctl.facts.base import Fact, RawFact
from deployctl.immutable.compile import BuildRecipe, base_facts_needed, compile_play
from deployctl.immutable.stages import stage_variables
from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import Playbook
from deployctl.model.project import load_project

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
BASE_FACTS = HERE / "fixtures" / "base_facts.json"
VARIANTS = HERE / "variants"
STAGES = ("dev", "qa")
BASE_IMAGE_ID = "sha256:" + "b" * 64
"""Stands for the base image's id in unit tests (the real one goes into the hash at build time)."""
DISPLAY = "playbooks/webapp.yml"
SERVICE_TASK = "    - name: Start and enable the service\n"


def variant_names() -> list[str]:
    """Every variant under variants/."""
    return sorted(path.stem for path in VARIANTS.glob("*.yml"))


def make_playbook(
    folder: Path, variant: str | None = None, *, app_change: bytes = b"", without_service: bool = False
) -> Playbook:
    """The demo playbook copied into `folder`, with a variant's tasks appended and webapp.py changed if asked."""
    target = folder / "playbooks"
    shutil.copytree(REPO / "playbooks", target)
    text = (target / "webapp.yml").read_text(encoding="utf-8")
    if without_service:
        text = text[: text.index(SERVICE_TASK)]
    if variant is not None:
        text = text.rstrip("\n") + "\n\n" + (VARIANTS / f"{variant}.yml").read_text(encoding="utf-8")
    (target / "webapp.yml").write_text(text, encoding="utf-8")
    if app_change:
        app = target / "files" / "webapp.py"
        app.write_bytes(app.read_bytes() + app_change)
    return load_playbook(target / "webapp.yml", DISPLAY)


def webapp_playbook() -> Playbook:
    """The demo playbook itself."""
    return load_playbook(REPO / "playbooks" / "webapp.yml", DISPLAY)


def stage_vars(playbook: Playbook, stages: Sequence[str] = STAGES) -> dict[str, dict[str, Any]]:
    """The variables of every host the play targets in `stages`, from the project's inventories."""
    return stage_variables(load_project(REPO), playbook, playbook.plays[0], list(stages))


def captured_facts(facts: Sequence[Fact[Any]]) -> dict[str, Any]:
    """The base image's facts from the captured fixture, parsed by the facts' own parsers."""
    data: Mapping[str, Any] = json.loads(BASE_FACTS.read_text(encoding="utf-8"))
    missing = sorted({fact.key for fact in facts} - set(data))
    assert not missing, f"facts not captured: {missing}; run python tests/unit/immutable/capture_base_facts.py"
    return {fact.key: fact.parse(RawFact(data[fact.key]["output"], data[fact.key]["exit_code"])) for fact in facts}


def compile_for(playbook: Playbook, stages: Sequence[str] = STAGES, base_image_id: str = BASE_IMAGE_ID) -> BuildRecipe:
    """Compile the playbook's play for `stages` against the captured base facts."""
    variables = stage_vars(playbook, stages)
    play = playbook.plays[0]
    facts = captured_facts(base_facts_needed(playbook, play, variables))
    return compile_play(playbook, play, variables, facts, base_image_id=base_image_id)


@pytest.fixture(scope="session")
def demo_playbook() -> Playbook:
    """The demo playbook (playbooks/webapp.yml)."""
    return webapp_playbook()


@pytest.fixture(scope="session")
def webapp_recipe() -> BuildRecipe:
    """The demo webapp compiled for dev and qa."""
    return compile_for(webapp_playbook())


Variant = Callable[..., Playbook]
Compile = Callable[..., BuildRecipe]


@pytest.fixture
def variant(tmp_path: Path) -> Variant:
    """Make a variant of the demo playbook (`variant("commands")`, keyword options of make_playbook)."""
    made: list[Path] = []

    def make(name: str | None = None, **options: Any) -> Playbook:
        folder = tmp_path / f"variant-{len(made)}"
        folder.mkdir()
        made.append(folder)
        return make_playbook(folder, name, **options)

    return make


@pytest.fixture(scope="session")
def compile_recipe() -> Compile:
    """compile_for: compile a playbook for stages (default dev and qa) against the captured base facts."""
    return compile_for


@pytest.fixture(scope="session")
def variables() -> Callable[..., dict[str, dict[str, Any]]]:
    """stage_vars: the variables of every targeted host of the given stages."""
    return stage_vars
