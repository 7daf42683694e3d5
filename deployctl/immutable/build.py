"""Build a compiled play into a release image with the Docker SDK, and render its per-stage files (the edge).

Build once, promote everywhere: the image is tagged by the hash of its build context, so an unchanged
playbook builds nothing (the tag exists) and every stage runs the same image id. A failing step
raises BuildError naming the step, the task it came from and the build log's tail; a build never
touches a running container. The base image's facts are read for real, in one throwaway container.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployctl.dockerapi.types import EngineApi, EngineError
from deployctl.errors import DeployctlError
from deployctl.facts.base import Fact, RawFact, batch
from deployctl.immutable.compile import BuildRecipe, base_facts_needed, compile_play
from deployctl.immutable.recipe import ImageRelease, RuntimeFile, RuntimeTemplate
from deployctl.lab.images import BASE_IMAGE, ImageBuildError, build_image
from deployctl.model.playbook import Play, Playbook
from deployctl.model.runvars import template_variables
from deployctl.templating import TemplateError

Say = Callable[[str], None]
ROLE_LABEL = "deployctl.role"
FACTS_ROLE = "build-facts"
"""The role label of the throwaway containers that read the base image's facts."""
RUNTIME_FILE_MODE = "0644"
"""Mode of a rendered per-stage file on the deploy host: the container's user (whose uid the host does not
know) must be able to read it through the read-only mount. Keep secrets out of mounted templates."""


STEP_SHOWN = 160
"""At most this much of a failing step's instruction is shown."""
_COMMAND_FAILED = re.compile(r"^The command .* returned a non-zero code: (\d+)$", re.DOTALL)


class BuildError(DeployctlError):
    """An image could not be built (a failing step, the engine refused) or its facts read."""


@dataclass(frozen=True)
class _Raw:
    """A fact whose parse keeps the raw output: to capture fixtures, and to parse after the batch."""

    fact: Fact[Any]

    @property
    def key(self) -> str:
        return self.fact.key

    def script(self) -> str:
        return self.fact.script()

    def parse(self, raw: RawFact) -> RawFact:
        return raw


def read_base_facts(client: EngineApi, facts: Sequence[Fact[Any]], image: str = BASE_IMAGE) -> dict[str, RawFact]:
    """Run the facts' batch script once in a throwaway container of `image`; each fact's raw output."""
    facts_batch = batch([_Raw(fact) for fact in facts])
    try:
        output = client.run_once(image, ["sh", "-c", facts_batch.script()], labels={ROLE_LABEL: FACTS_ROLE})
    except EngineError as exc:
        raise BuildError(f"reading the facts of {image} failed: {exc}") from exc
    text = output.decode("utf-8", "replace")
    try:
        return facts_batch.split(text)
    except ValueError as exc:
        raise BuildError(f"reading the facts of {image} failed: {exc}") from None


def gather_base_facts(client: EngineApi, facts: Sequence[Fact[Any]], image: str = BASE_IMAGE) -> dict[str, Any]:
    """The base image's facts (key -> parsed value), read in one throwaway container (`--rm`, labelled)."""
    raw = read_base_facts(client, facts, image)
    unique = {fact.key: fact for fact in facts}
    return {key: fact.parse(raw[key]) for key, fact in unique.items()}


def base_image_id(client: EngineApi, image: str = BASE_IMAGE) -> str:
    """The id (sha256:...) of the base image; it must exist (this never pulls)."""
    found = client.find_image(image)
    if found is None:
        raise BuildError(f"the base image {image} is missing: run `deployctl lab up` to build it")
    return found.id


def compile_with_base(
    client: EngineApi,
    playbook: Playbook,
    play: Play,
    stage_vars: Mapping[str, Mapping[str, Any]],
    image: str = BASE_IMAGE,
) -> BuildRecipe:
    """Read the base image's facts for the play (one container run), then compile the play against them."""
    identity = base_image_id(client, image)
    facts = gather_base_facts(client, base_facts_needed(playbook, play, stage_vars), image)
    more = base_facts_needed(playbook, play, stage_vars, facts)  # tasks chosen by the image's OS facts
    if more:
        facts.update(gather_base_facts(client, more, image))
    return compile_play(playbook, play, stage_vars, facts, base_image=image, base_image_id=identity)


def release_of(recipe: BuildRecipe, image_id: str) -> ImageRelease:
    """The release record of a recipe built as `image_id`."""
    return ImageRelease(
        app=recipe.app,
        image=recipe.tag,
        image_id=image_id,
        context_hash=recipe.context_hash,
        service=recipe.service,
        runtime_templates=recipe.runtime_templates,
        not_baked=tuple(str(note) for note in recipe.not_baked),
        replaced_by_container=tuple(str(note) for note in recipe.replaced_by_container),
    )


def write_context(recipe: BuildRecipe, folder: Path) -> None:
    """Write the build context (Dockerfile and files, mode 0644: COPY keeps it, the recipe's chmod follows)."""
    (folder / "Dockerfile").write_text(recipe.dockerfile, encoding="utf-8")
    for name, content in recipe.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        path.chmod(0o644)


def instruction_origins(dockerfile: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each Dockerfile instruction (as the builder numbers its steps) with the comment lines just before it."""
    instructions: list[tuple[str, tuple[str, ...]]] = []
    comments: list[str] = []
    continued = False
    for line in dockerfile.splitlines():
        stripped = line.strip()
        if continued:
            continued = stripped.endswith("\\")
            continue
        if not stripped:
            comments = []
        elif stripped.startswith("#"):
            comments.append(stripped.lstrip("# "))
        else:
            instructions.append((stripped.rstrip("\\ "), tuple(comments)))
            comments = []
            continued = stripped.endswith("\\")
    return instructions


def describe_failure(recipe: BuildRecipe, error: ImageBuildError) -> str:
    """One line: the failing step, the tasks it came from, the reason (the exit code) and the log's tail."""
    where = ""
    if error.step is not None:
        number, _, instruction = error.step.removeprefix("Step ").partition(" : ")
        shown = instruction if len(instruction) <= STEP_SHOWN else instruction[: STEP_SHOWN - 3] + "..."
        where = f" at step {number}{_step_tasks(recipe, number)}: {shown}"
    exit_code = _COMMAND_FAILED.match(error.reason)
    reason = f"exit code {exit_code.group(1)}" if exit_code else error.reason
    tail = " | ".join(error.tail) or "none"
    return f"building {recipe.tag} failed{where}: {reason} (last output: {tail})"


def _step_tasks(recipe: BuildRecipe, number: str) -> str:
    """The tasks a builder step (`N/M`) came from, from the Dockerfile's comments."""
    index = number.split("/", 1)[0]
    if not index.isdigit():
        return ""
    instructions = instruction_origins(recipe.dockerfile)
    position = int(index) - 1
    if not 0 <= position < len(instructions) or not instructions[position][1]:
        return ""
    return f" ({'; '.join(instructions[position][1])})"


def build_release(client: EngineApi, recipe: BuildRecipe, say: Say) -> ImageRelease:
    """Build the recipe's image unless its content-addressed tag exists; stream progress to `say`."""
    existing = client.find_image(recipe.tag)
    if existing is not None:
        say(f"{recipe.tag} is up to date (image {existing.id}): nothing to build")
        return release_of(recipe, existing.id)
    if recipe.base_image_id:
        current = base_image_id(client, recipe.base_image)
        if current != recipe.base_image_id:
            raise BuildError(
                f"{recipe.base_image} changed since the play was compiled ({recipe.base_image_id} -> {current}): "
                "compile again"
            )
    say(f"Building {recipe.tag} from {recipe.playbook} (play {recipe.play!r}), context {recipe.context_hash[:12]}")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="deployctl-build-") as folder:
        write_context(recipe, Path(folder))
        try:
            image_id = build_image(client, Path(folder), recipe.tag, recipe.labels, say)
        except ImageBuildError as exc:
            raise BuildError(describe_failure(recipe, exc)) from exc
    say(f"Built {recipe.tag} (image {image_id}) in {time.monotonic() - started:.1f}s")
    return release_of(recipe, image_id)


def _render_one(template: RuntimeTemplate, playbook: Playbook, stage_variables: Mapping[str, Any]) -> bytes:
    templar = playbook.templar()
    variables = {**stage_variables, **template.variables}
    if template.content is not None:
        return str(templar.render(template.content, variables)).encode("utf-8")
    source = playbook.base_dir / template.src
    if not template.template:
        return source.read_bytes()
    variables = template_variables(template.src, source, template.dest, variables)
    return templar.render_file(source, variables, playbook.display(source)).encode("utf-8")


def render_runtime_files(
    release: ImageRelease | BuildRecipe, playbook: Playbook, variables: Mapping[str, Any]
) -> list[RuntimeFile]:
    """Render a release's per-stage files with one stage's (or host's) variables, ready to mount read-only.

    `variables` are merged as compile's `stage_vars` entries are (inventory, magic and play variables:
    `stages.stage_variables` gives them); each template's own task variables go on top.
    """
    files: list[RuntimeFile] = []
    for template in release.runtime_templates:
        try:
            content = _render_one(template, playbook, variables)
        except TemplateError as exc:
            raise BuildError(f"rendering {template.dest} ({template.task}) failed: {exc}") from None
        except OSError as exc:
            raise BuildError(f"rendering {template.dest} ({template.task}) failed: {exc}") from None
        files.append(RuntimeFile(dest=template.dest, content=content, mode=RUNTIME_FILE_MODE))
    return files
