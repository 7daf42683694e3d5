"""SDK and HTTP errors become the layer's own (deployctl.dockerapi.types): the rest of deployctl catches those."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from docker.errors import APIError, DockerException, NotFound
from requests.exceptions import RequestException

from deployctl.dockerapi.types import EngineError, EngineNotFoundError, EngineRefusedError


@contextmanager
def engine_errors() -> Iterator[None]:
    """Turn what docker-py and requests raise into EngineError (refused, not found) with the engine's words."""
    try:
        yield
    except NotFound as exc:
        raise EngineNotFoundError(str(exc.explanation or exc)) from exc
    except APIError as exc:
        raise EngineRefusedError(str(exc.explanation or exc)) from exc
    except (DockerException, RequestException) as exc:
        raise EngineError(str(exc)) from exc
