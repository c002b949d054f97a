"""The inbox folders and how a file travels through them.

Layout under the var directory, one folder per source (mapping name)::

    inbox/<source>/        where a provincial system drops its export files
    processing/<source>/   a file being ingested, renamed to ``<pid>~<name>`` by the process that took it
    archive/<source>/      ingested files, renamed to ``<yyyyMMddTHHmmss>~<sha8>~<name>``
    rejected/<source>/     files nothing usable came out of, each with ``<name>.errors.json``

The writing convention: a file appears in ``inbox/<source>/`` by a rename, never by being written
in place. Write it as ``.<name>`` (a dot file), ``<name>.part`` or ``<name>.tmp`` in the same folder,
then rename it; those names are never picked up, so a half-written file is never read.

Taking a file is an atomic rename into ``processing/``, so two daemons watching the same folder never
both take one. A file left in ``processing/`` by a process that died is taken again at start-up
(ingesting a record twice is a no-op, so a crash in the middle of a file loses and duplicates
nothing).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

_SKIPPED_SUFFIXES = (".part", ".tmp")
_SEP = "~"


@dataclass(frozen=True)
class InboxFile:
    """A file taken for ingestion: its source, its original name and where it is now."""

    source: str
    name: str
    path: Path


class Inbox:
    """The inbox folders of one var directory."""

    def __init__(self, var: Path) -> None:
        self.var = var

    def folder(self, kind: str, source: str) -> Path:
        return self.var / kind / source

    def ensure(self, sources: list[str]) -> None:
        """Create every folder of every source (operators drop files into ``inbox/<source>/``)."""
        for source in sources:
            for kind in ("inbox", "processing", "archive", "rejected"):
                self.folder(kind, source).mkdir(parents=True, exist_ok=True)

    def waiting(self, source: str) -> list[Path]:
        """Files waiting in ``inbox/<source>/``, oldest first; partial writes left out."""
        folder = self.folder("inbox", source)
        try:
            entries = [p for p in folder.iterdir() if _ready(p)]
        except FileNotFoundError:
            return []
        return sorted(entries, key=lambda p: (_mtime(p), p.name))

    def take(self, path: Path, source: str) -> InboxFile | None:
        """Move ``path`` into ``processing/`` for this process; None if another process took it first."""
        target = self.folder("processing", source) / f"{os.getpid()}{_SEP}{path.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.rename(target)
        except FileNotFoundError:
            return None
        return InboxFile(source, path.name, target)

    def orphans(self, source: str) -> list[InboxFile]:
        """Files in ``processing/`` whose process is gone, re-taken by this process."""
        taken: list[InboxFile] = []
        folder = self.folder("processing", source)
        if not folder.is_dir():
            return taken
        for path in sorted(folder.iterdir()):
            pid, sep, name = path.name.partition(_SEP)
            if not sep or not pid.isdigit() or (int(pid) != os.getpid() and _alive(int(pid))):
                continue
            target = folder / f"{os.getpid()}{_SEP}{name}"
            try:
                path.rename(target)
            except FileNotFoundError:
                continue
            taken.append(InboxFile(source, name, target))
        return taken

    def stamped_name(self, file: InboxFile, sha256: str) -> str:
        """The name a file keeps once ingested: ``<yyyyMMddTHHmmss>~<sha8>~<name>``, unique per content.

        Decided before ingestion, so that every stored record can name its file."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        return f"{stamp}{_SEP}{sha256[:8]}{_SEP}{file.name}"

    def finish(self, file: InboxFile, stamped: str, *, kind: str, errors: list[str]) -> Path:
        """Move ``file`` to ``archive/`` or ``rejected/`` under its stamped name; with ``errors``,
        write them beside it as ``<stamped>.errors.json``."""
        folder = self.folder(kind, file.source)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / stamped
        if errors:
            report = target.with_name(target.name + ".errors.json")
            report.write_bytes(
                orjson.dumps({"file": file.name, "errors": errors}, option=orjson.OPT_INDENT_2)
            )
        file.path.replace(target)
        return target


def file_sha256(path: Path) -> tuple[str, int]:
    """The SHA-256 and size of a file, read in blocks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _ready(path: Path) -> bool:
    return not path.name.startswith(".") and not path.name.endswith(_SKIPPED_SUFFIXES) and path.is_file()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
