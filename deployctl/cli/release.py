"""`deployctl release create | list`: a release is made once (snapshot + images) and promoted as exactly that."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.deploy import FormatOption
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
    from deployctl.operations.context import engine_factory
    from deployctl.operations.release import create_release

    project = cli_context(ctx).project()
    created = create_release(project, playbook, engine_factory(project, say), say, note=note)
    row, images = created.row, created.images
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
    from deployctl.operations.release import listed_releases

    rows = [(listed.row, listed.images) for listed in listed_releases(cli_context(ctx).project())]
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
