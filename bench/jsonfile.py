"""A record saved as one JSON file in a run's directory, dumped and loaded by its own class
(pyperf's way): the raw records (bench/raw.py) and the summary (bench/summary.py)."""

from pathlib import Path
from typing import ClassVar, Self

from pydantic import BaseModel


class JsonFile(BaseModel):
    FILE: ClassVar[str]

    def dump(self, directory: Path) -> Path:
        path = directory / self.FILE
        path.write_text(self.model_dump_json(indent=2))
        return path

    @classmethod
    def load(cls, directory: Path) -> Self:
        return cls.model_validate_json((directory / cls.FILE).read_text())
