"""The build log as `build_image` reads Docker's stream: whole lines, whatever the chunks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployctl.lab.images import ImageBuildError, build_image


class _Api:
    """The part of docker's APIClient that build_image uses: `build`, yielding the given chunks."""

    def __init__(self, chunks: list[dict[str, Any]]) -> None:
        self.chunks = chunks

    def build(self, **_: Any) -> Iterator[dict[str, Any]]:
        yield from self.chunks


class _Client:
    def __init__(self, chunks: list[dict[str, Any]]) -> None:
        self.api = _Api(chunks)


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
        build_image(_Client(chunks), tmp_path, "t:1", {}, said.append)  # type: ignore[arg-type]
    assert failure.value.step == "Step 2/3 : RUN apt-get install -y nothing"
    assert failure.value.tail == [
        "Reading package lists...",
        "Building dependency tree...",
        "E: Unable to locate package nothing",
    ]
    assert said == ["Step 2/3 : RUN apt-get install -y nothing"]
