"""A docker-py container and network behind the layer's `Container` and `Network` protocols."""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Mapping, Sequence
from typing import cast

from docker.models.containers import Container as SdkContainer
from docker.models.networks import Network as SdkNetwork

from deployctl.dockerapi.errors import engine_errors
from deployctl.dockerapi.types import Attrs, Container, EngineError, ExecResult


class DockerContainer:
    """A container of the engine: inspect data read from the SDK's, calls mapped to the layer's errors."""

    def __init__(self, container: SdkContainer) -> None:
        self.sdk = container

    @property
    def id(self) -> str:
        return str(self.sdk.id)

    @property
    def name(self) -> str:
        return str(self.sdk.name)

    @property
    def labels(self) -> Mapping[str, str]:
        return cast(Mapping[str, str], self.sdk.labels)

    @property
    def status(self) -> str:
        return str(self.sdk.status)

    @property
    def attrs(self) -> Attrs:
        return self.sdk.attrs

    def reload(self) -> None:
        with engine_errors():
            self.sdk.reload()

    def start(self) -> None:
        with engine_errors():
            self.sdk.start()

    def stop(self, timeout: int) -> None:
        with engine_errors():
            self.sdk.stop(timeout=timeout)

    def remove(self, *, force: bool = False) -> None:
        with engine_errors():
            self.sdk.remove(force=force)

    def exec(self, command: Sequence[str], *, user: str | None = None) -> ExecResult:
        with engine_errors():
            result = self.sdk.exec_run(list(command), user=user or "", demux=True)
        stdout, stderr = cast(tuple[bytes | None, bytes | None], result.output)  # demux: (stdout, stderr)
        code = -1 if result.exit_code is None else int(result.exit_code)
        return ExecResult(code, stdout or b"", stderr or b"")

    def logs(self, tail: int) -> str:
        with engine_errors():
            return bytes(self.sdk.logs(tail=tail)).decode("utf-8", "replace")

    def put_file(self, folder: str, name: str, content: bytes, mode: int = 0o644) -> None:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = mode
            info.mtime = int(time.time())
            archive.addfile(info, io.BytesIO(content))
        with engine_errors():
            written = self.sdk.put_archive(folder, buffer.getvalue())
        if not written:
            raise EngineError(f"could not write {folder}/{name} into {self.name}")

    def read_file(self, path: str) -> bytes:
        with engine_errors():
            chunks, _ = self.sdk.get_archive(path)
            data = b"".join(chunks)
        try:
            with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                member = archive.extractfile(path.rstrip("/").rsplit("/", 1)[-1])
                if member is None:
                    raise EngineError(f"{path} in {self.name} is not a file")
                return member.read()
        except (tarfile.TarError, KeyError) as exc:
            raise EngineError(f"could not read {path} in {self.name}: {exc}") from exc

    def changes(self) -> list[tuple[str, int]]:
        with engine_errors():
            found = self.sdk.diff() or ()
        return [(str(c["Path"]), int(c["Kind"])) for c in found]


class DockerNetwork:
    """A network of the engine."""

    def __init__(self, network: SdkNetwork) -> None:
        self.sdk = network

    @property
    def id(self) -> str:
        return str(self.sdk.id)

    @property
    def name(self) -> str:
        return str(self.sdk.name)

    @property
    def attrs(self) -> Attrs:
        return self.sdk.attrs

    def connect(self, container: Container) -> None:
        with engine_errors():
            self.sdk.connect(container.id)

    def disconnect(self, container: Container) -> None:
        with engine_errors():
            self.sdk.disconnect(container.id)

    def remove(self) -> None:
        with engine_errors():
            self.sdk.remove()
