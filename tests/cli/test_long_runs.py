"""Long runs of ``dvcgw translate`` and ``validate``: interruption by SIGINT and SIGTERM leaves no
output that looks complete, write failures name the path (exit 2), standard input is read, a
file of another format than the mapping is one file error, and ``validate`` counts packets."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.synthetic import igate_file
from tests.polling import wait_until

# More than the adapters' first read (1 MiB): the command translates these and then waits for
# the rest of standard input, which the test never sends before the signal.
RECORDS = igate_file(range(1500))


def dvcgw(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *map(str, args)], capture_output=True, input=stdin, timeout=120
    )


@pytest.fixture
def running() -> Iterator[list[subprocess.Popen[bytes]]]:
    """The translate processes a test starts; killed if the test ends before they do."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def start(
    running: list[subprocess.Popen[bytes]], *args: str | Path, stdout: object = subprocess.PIPE
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "translate", "--source", "igate-json", *map(str, args), "-"],
        stdin=subprocess.PIPE,
        stdout=stdout,  # type: ignore[arg-type]
        stderr=subprocess.PIPE,
    )
    running.append(process)
    assert process.stdin is not None
    process.stdin.write(RECORDS)
    process.stdin.flush()
    return process


def stop(process: subprocess.Popen[bytes], signum: int) -> str:
    """Send ``signum`` mid-run, then let the process end; its stderr."""
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    return err.decode()


def partial_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if ".partial" in p.name]


def test_sigint_mid_run_exits_130_and_leaves_the_output_file_unwritten(
    tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    target = tmp_path / "packets.json"
    process = start(running, "-o", target)
    wait_until(
        lambda: any(p.stat().st_size > 0 for p in partial_files(tmp_path)),
        "translate never started writing its output",
        timeout=60,
    )
    err = stop(process, signal.SIGINT)
    assert process.returncode == 130, err
    assert "interrupted by SIGINT" in err
    assert f"{target} was not written" in err
    assert "Traceback" not in err
    assert not target.exists()
    assert partial_files(tmp_path) == []


def test_sigterm_mid_run_exits_143_and_adds_no_packet_file_to_the_folder(
    tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    out = tmp_path / "out"
    process = start(running, "--out", out)
    wait_until(
        lambda: any(any(folder.iterdir()) for folder in partial_files(out)),
        "translate never wrote a packet file",
        timeout=60,
    )
    err = stop(process, signal.SIGTERM)
    assert process.returncode == 143, err
    assert "interrupted by SIGTERM" in err
    assert list(out.iterdir()) == []


def test_an_interrupted_document_on_stdout_is_refused_by_validate(
    tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    document = tmp_path / "stdout.json"
    with document.open("wb") as stdout:
        process = start(running, stdout=stdout)
        wait_until(lambda: document.stat().st_size > 0, "translate never wrote to stdout", timeout=60)
        err = stop(process, signal.SIGINT)
    assert process.returncode == 130, err
    assert "incomplete" in err
    checked = dvcgw("validate", document)
    assert checked.returncode == 1
    assert b"not valid JSON" in checked.stderr


def test_the_output_file_is_written_whole_on_success(tmp_path: Path) -> None:
    target = tmp_path / "packets.json"
    result = dvcgw("translate", "--source", "igate-json", "-o", target, "-", stdin=igate_file(range(3)))
    assert result.returncode == 0, result.stderr
    assert len(json.loads(target.read_bytes())) == 3
    assert partial_files(tmp_path) == []


def test_a_full_disk_on_stdout_is_exit_2_naming_stdout(tmp_path: Path) -> None:
    export = tmp_path / "export.ndjson"
    export.write_bytes(igate_file(range(50)))
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [sys.executable, "-m", "gateway.cli", "translate", "--source", "igate-json", str(export)],
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert "cannot write <stdout>: No space left on device" in err
    assert "Traceback" not in err
    assert "Exception ignored" not in err


@pytest.mark.parametrize("option", ["-o", "--out"])
def test_an_output_path_under_a_regular_file_is_exit_2_naming_the_path(tmp_path: Path, option: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = dvcgw(
        "translate", "--source", "igate-json", option, blocker / "packets", "-", stdin=igate_file([1])
    )
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert f"cannot write {blocker / 'packets'}" in err or f"cannot write {blocker}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("source", "content", "found"),
    [
        ("igate-json", b"<?xml version='1.0'?>\n<DanhSachHoSo><HoSo/></DanhSachHoSo>\n", "an XML file"),
        ("motcua-xml", b'[{"code": "A-1"}]\n', "a JSON file"),
        ("legacy-csv", b'{"code": "A-1"}\n{"code": "A-2"}\n', "a JSON file"),
    ],
)
def test_a_file_of_another_format_than_the_mapping_is_one_file_error(
    tmp_path: Path, source: str, content: bytes, found: str
) -> None:
    export = tmp_path / "export.dat"
    export.write_bytes(content)
    result = dvcgw("translate", "--source", source, export)
    err = result.stderr.decode()
    assert result.returncode == 1
    [line] = [line for line in err.splitlines() if line.startswith("rejected:")]
    assert f"this looks like {found}" in line
    assert "--source" in line


def test_validate_counts_packets_not_files(tmp_path: Path) -> None:
    target = tmp_path / "packets.json"
    dvcgw("translate", "--source", "igate-json", "-o", target, "-", stdin=igate_file(range(4)))
    result = dvcgw("validate", target)
    assert result.returncode == 0, result.stderr
    assert b"4 valid packets, 0 invalid" in result.stderr


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("export.json", b'[{"code": "000.00.22.H33-210604-0001"}]'),
        ("export.ndjson", igate_file(range(2))),
        ("export.xml", b"<?xml version='1.0'?>\n<DanhSachHoSo><HoSo/></DanhSachHoSo>\n"),
        ("export.csv", b"SO_HO_SO;TRANG_THAI\nA-1;0\n"),
    ],
)
def test_validate_says_a_raw_export_is_not_a_packet(tmp_path: Path, name: str, content: bytes) -> None:
    file = tmp_path / name
    file.write_bytes(content)
    result = dvcgw("validate", file)
    assert result.returncode == 1
    assert b"this is not a packet; translate it first" in result.stderr
