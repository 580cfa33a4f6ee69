"""A record saved as one JSON file in a run's directory, dumped and loaded by its own class
(pyperf's way): the raw records (bench/raw.py), the summary (bench/summary.py) and the
replication (bench/replication.py). A record of a version its class does not know is
refused: read as this version, it would say what it did not mean."""

import json
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel


class UnknownVersion(ValueError):
    """A record of a version this harness does not read (a newer harness wrote it)."""


class JsonFile(BaseModel):
    FILE: ClassVar[str]
    VERSIONS: ClassVar[tuple[int, ...]]  # the versions this harness reads

    def dump(self, directory: Path) -> Path:
        path = directory / self.FILE
        path.write_text(self.model_dump_json(indent=2))
        return path

    @classmethod
    def load(cls, directory: Path) -> Self:
        path = directory / cls.FILE
        text = path.read_text()
        cls.check_version(json.loads(text), path)
        return cls.model_validate_json(text)

    @classmethod
    def check_version(cls, data: dict[str, Any], path: Path) -> None:
        """UnknownVersion naming the file, unless it has no version (an older record, which
        its class reads as such) or one of VERSIONS."""
        version = data.get("version")
        if version is not None and version not in cls.VERSIONS:
            known = ", ".join(map(str, cls.VERSIONS))
            raise UnknownVersion(f"{path} is version {version}; this harness reads {known}")
