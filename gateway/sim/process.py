"""Run a simulated portal as a child process, for tests, benchmarks and demos.

``SimProcess`` starts ``python -m gateway.sim`` on a free loopback port with its own store file
(and, if given, a fault spec and a procedure catalogue file), waits (polling ``/_sim/health`` with
a deadline) until it answers, and stops it with SIGTERM, returning its exit code. The child's
output goes to a log file, shown when it fails to start.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

HOST = "127.0.0.1"
_POLL_S = 0.02


def free_port(host: str = HOST) -> int:
    """A port nothing listens on right now (the OS's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class SimProcess:
    """One simulator child process; use as a context manager or call ``start``/``stop``."""

    def __init__(
        self,
        db: Path,
        *,
        port: int | None = None,
        faults: str | None = None,
        catalogue: Path | None = None,
        strict: bool = False,
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.db = db
        self.port = port or free_port()
        self.faults = faults
        self.catalogue = catalogue
        self.strict = strict
        self.env = dict(env or {})
        self.log_path = log_path or db.with_suffix(".log")
        self.startup_s: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout_s: float = 15.0) -> str:
        """Start the child and return its base URL once ``/_sim/health`` answers."""
        command = [
            sys.executable,
            "-m",
            "gateway.sim",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--db",
            str(self.db),
        ]
        if self.faults is not None:
            command += ["--faults", self.faults]
        if self.catalogue is not None:
            command += ["--catalogue", str(self.catalogue)]
        if self.strict:
            command.append("--strict")
        self._log = self.log_path.open("ab")
        started = time.monotonic()
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **self.env}
        )
        deadline = started + timeout_s
        with httpx.Client(timeout=1.0) as client:
            while True:
                if self._process.poll() is not None:
                    code = self._process.returncode
                    self.stop()
                    raise RuntimeError(f"portal-sim exited with code {code} at start:\n{self.log_tail()}")
                try:
                    if client.get(f"{self.base_url}/_sim/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"portal-sim did not answer within {timeout_s} s:\n{self.log_tail()}")
                time.sleep(_POLL_S)  # polling interval of a deadline-bounded readiness check
        self.startup_s = time.monotonic() - started
        return self.base_url

    def stop(self, timeout_s: float = 10.0, sig: signal.Signals = signal.SIGTERM) -> int | None:
        """Signal the child (SIGTERM by default), wait for it (kill it after ``timeout_s``);
        return its exit code."""
        process, self._process = self._process, None
        code: int | None = None
        if process is not None:
            if process.poll() is None:
                process.send_signal(sig)
            try:
                code = process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise RuntimeError(
                    f"portal-sim ignored {sig.name} for {timeout_s} s:\n{self.log_tail()}"
                ) from None
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(
                self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            )
        except OSError:
            return "(no log)"

    def __enter__(self) -> SimProcess:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
