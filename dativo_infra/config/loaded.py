"""What loading a job file returns: everything later stages need, read once.

Synth, tags, tfvars and render are pure functions of a :class:`LoadedJob`; none of them reads or
validates the job file, its asset definition or the platform settings again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dativo_infra.config.assets import AssetDefinition
from dativo_infra.config.dialects import Dialect, dialect_of
from dativo_infra.config.schema import JobConfig
from dativo_infra.config.settings import PlatformSettings
from dativo_infra.config.yamlpos import PositionedDocument
from dativo_infra.naming import stack_name


@dataclass(frozen=True)
class LoadedJob:
    """A validated job file."""

    path: Path
    #: The path as messages show it.
    file: str
    config: JobConfig
    #: The canonical data (older or seed 004 dialect mapped), with the line of every path the user wrote.
    document: PositionedDocument
    #: The file as written (before any mapping; the same object as ``document`` when nothing was mapped).
    source: PositionedDocument
    #: The file's text exactly as read (a byte-order mark removed; ``bom`` says whether there was one).
    text: str
    bom: bool
    #: The asset definition ``asset_path`` names (None: the job names none).
    asset: AssetDefinition | None
    #: The platform settings the job was validated with (they record the file they came from).
    settings: PlatformSettings

    @property
    def dialect(self) -> Dialect:
        """The dialect the file is written in (:func:`~dativo_infra.config.dialects.dialect_of`)."""
        return dialect_of(self.source.value)

    @property
    def legacy(self) -> bool:
        """Whether the file is written in the older dialect."""
        return self.dialect == "older"

    @property
    def stack_name(self) -> str:
        return stack_name(self.config.tenant_id, self.config.job_name)

    @property
    def job_name_line(self) -> int:
        """The line of the job's name (where a message about its stack points)."""
        return self.document.line_of(("infrastructure", "tags", "job_name"))

    @property
    def asset_file(self) -> Path | None:
        """The asset definition file the job names (symbolic links resolved), None when it names none."""
        if self.asset is None or self.config.asset_path is None:
            return None
        return (self.path.parent / self.config.asset_path).resolve()

    @property
    def data(self) -> dict[str, Any]:
        """The canonical data of the whole file (keys outside ``infrastructure`` included)."""
        return self.document.value
