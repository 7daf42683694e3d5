"""`deployctl release create | list`: a release is made once (snapshot + images) and promoted as exactly that."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.deploy import FormatOption, default_playbook, engine
from deployctl.cli.render import OutputFormat, print_json, print_table, say

app = typer.Typer(help="Releases: content-hashed snapshots of a playbook, its files and variables, with their images.")


@app.command("create")
def create(
    ctx: typer.Context,
    playbook: Annotated[Path | None, typer.Option(help="The playbook (default playbooks/webapp.yml).")] = None,
    note: Annotated[str, typer.Option(help="A note kept with the release.")] = "",
    output: FormatOption = OutputFormat.table,
) -> None:
    """Snapshot the playbook, its files and every stage's variables, and build the image of each container play.

    The same content gives the same release (and builds nothing). Prints the id, the content hash and the
    image digests.
    """
    from deployctl.ledger.db import open_ledger
    from deployctl.operations.deploy import check_vm_input, stage_targets
    from deployctl.release.images import build_release_images, container_scopes, load_release
    from deployctl.release.store import make_release

    project = cli_context(ctx).project()
    connection = open_ledger(project.ledger)
    try:
        row = make_release(connection, project, default_playbook(project, playbook), note)
        loaded = load_release(project, row)
        for stage in project.stages:  # invalid input is reported before anything is built
            check_vm_input(loaded, stage_targets(loaded, stage))
        images = []
        if any(container_scopes(loaded, play) for play in loaded.playbook.plays):
            from deployctl.lab.images import ensure_base_image

            client = engine(project)()
            ensure_base_image(client, project.root / "images", say)
            images = build_release_images(client, connection, loaded, say)
    finally:
        connection.close()
    if output is OutputFormat.json:
        found = asdict(row)
        found["images"] = [{k: v for k, v in asdict(i).items() if k != "spec"} for i in images]
        print_json(found)
        return
    print_table(
        f"release {row.id}",
        ["CONTENT HASH", "PLAYBOOK", "CREATED", "BY"],
        [[row.content_hash, row.playbook, row.created_at, row.created_by]],
    )
    if images:
        print_table(None, ["PLAY", "IMAGE", "DIGEST"], [[i.play, i.image, i.image_id] for i in images])


@app.command("list")
def list_releases(ctx: typer.Context, output: FormatOption = OutputFormat.table) -> None:
    """Every release in the ledger, oldest first, with its images."""
    from deployctl.ledger.db import open_ledger
    from deployctl.ledger.records import list_releases as releases
    from deployctl.ledger.records import release_images

    project = cli_context(ctx).project()
    connection = open_ledger(project.ledger)
    try:
        rows = [(row, release_images(connection, row.id)) for row in releases(connection)]
    finally:
        connection.close()
    if output is OutputFormat.json:
        print_json(
            [
                {**asdict(row), "images": [{k: v for k, v in asdict(i).items() if k != "spec"} for i in images]}
                for row, images in rows
            ]
        )
        return
    print_table(
        "releases",
        ["RELEASE", "CONTENT HASH", "PLAYBOOK", "IMAGES", "CREATED", "BY"],
        [
            [
                r.id,
                r.content_hash[:16],
                r.playbook,
                ", ".join(i.image_id[:19] for i in imgs) or "-",
                r.created_at,
                r.created_by,
            ]
            for r, imgs in rows
        ],
    )
