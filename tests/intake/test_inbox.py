"""The inbox convention: files appear by rename, are taken once, and are never lost in between."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gateway.intake import Inbox


def drop(inbox: Inbox, source: str, name: str, data: bytes = b"[]") -> Path:
    folder = inbox.folder("inbox", source)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{name}"
    partial.write_bytes(data)
    return partial.rename(folder / name)


def test_files_being_written_are_not_picked_up(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path)
    inbox.ensure(["igate-json"])
    folder = inbox.folder("inbox", "igate-json")
    for name in (".hidden.json", "half.json.part", "half.json.tmp"):
        (folder / name).write_bytes(b"[")
    ready = drop(inbox, "igate-json", "ready.json")
    assert inbox.waiting("igate-json") == [ready]


def test_a_file_is_taken_by_one_process_only(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path)
    path = drop(inbox, "igate-json", "a.json")
    first = inbox.take(path, "igate-json")
    assert first is not None
    assert first.path.exists()
    assert first.name == "a.json"
    assert inbox.take(path, "igate-json") is None
    assert inbox.waiting("igate-json") == []


def test_a_file_left_by_a_dead_process_is_taken_again(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    folder = inbox.folder("processing", "igate-json")
    folder.mkdir(parents=True)
    (folder / f"{int(dead.stdout)}~left.json").write_bytes(b"[]")
    (folder / f"{os.getppid()}~busy.json").write_bytes(b"[]")  # a live process's file stays its own
    taken = inbox.orphans("igate-json")
    assert [f.name for f in taken] == ["left.json"]
    assert taken[0].path.name == f"{os.getpid()}~left.json"


def test_a_finished_file_keeps_its_errors_beside_it(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path)
    taken = inbox.take(drop(inbox, "legacy-csv", "x.csv", b"garbage"), "legacy-csv")
    assert taken is not None
    stamped = inbox.stamped_name(taken, "ab" * 32)
    target = inbox.finish(taken, stamped, kind="rejected", errors=["no records found in the file"])
    assert target.read_bytes() == b"garbage"
    assert target.parent == inbox.folder("rejected", "legacy-csv")
    assert b"no records found" in target.with_name(target.name + ".errors.json").read_bytes()
    assert stamped.endswith("~abababab~x.csv")
