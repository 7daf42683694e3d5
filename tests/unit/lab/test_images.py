"""The build log as `build_image` reads Docker's stream: whole lines, whatever the chunks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from deployctl.lab.images import ImageBuildError, build_image
from tests.unit.dockerapi.fakeengine import FakeEngine


class _Engine(FakeEngine):
    """An engine whose builder streams the given chunks."""

    def __init__(self, chunks: list[dict[str, Any]]) -> None:
        super().__init__()
        self.chunks = chunks

    def build_image(
        self, context: Path, tag: str, labels: Mapping[str, str], buildargs: Mapping[str, str]
    ) -> Iterator[dict[str, Any]]:
        yield from self.chunks


def test_a_line_split_across_stream_chunks_reaches_the_tail_whole(tmp_path: Path) -> None:
    chunks: list[dict[str, Any]] = [
        {"stream": "Step 2/3 : RUN apt-get install -y nothing\n"},
        {"stream": "Reading package lists...\r\nBuilding dependency"},
        {"stream": " tree...\n\x1b[31mE"},
        {"stream": ": "},
        {"stream": "Unable to locate package nothing\x1b[0m"},
        {"error": "The command returned a non-zero code: 100"},
    ]
    said: list[str] = []
    with pytest.raises(ImageBuildError) as failure:
        build_image(_Engine(chunks), tmp_path, "t:1", {}, said.append)
    assert failure.value.step == "Step 2/3 : RUN apt-get install -y nothing"
    assert failure.value.tail == [
        "Reading package lists...",
        "Building dependency tree...",
        "E: Unable to locate package nothing",
    ]
    assert said == ["Step 2/3 : RUN apt-get install -y nothing"]
