"""Fault injection for the simulated portal: the spec, and the seeded dice that apply it.

Tests and benchmarks switch faults on to prove that the gateway loses nothing when the portal
misbehaves. The spec is JSON, given at start (``--faults``) or at run time (``PUT /_sim/faults``);
every key is optional, an unknown key is an error::

    {"seed": 7, "error_rate": 0.1, "latency_ms": [5, 50], "hang_rate": 0.01,
     "hang_phase": "before", "outage": false, "rate_limit_per_s": 200,
     "session_ttl_s": 60, "lose_rate": 0.02, "lose_codes": ["000.00.22.H33-240105-000001"]}

Each portal call (login, integration, SOAP) draws its dice in a fixed order from one
``random.Random(seed)``, and each accepted dossier draws its accept-then-lose die from a second
generator seeded from the same seed, so the same spec and the same sequence of calls give the same
faults, run after run. Setting a spec (even the same one) restarts both generators and re-arms
``lose_codes``: each listed MaHoSo loses its next accepted insert or update, once, whatever the dice.

The injector is used from the event loop's thread only, so it holds no lock.
"""

from __future__ import annotations

import dataclasses
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

from gateway.sim.codes import ErrorCode

HangPhase = Literal["before", "after"]

# The lose generator is seeded apart from the call generator so that adding records to a batch
# never shifts the call faults that follow (and vice versa).
_LOSE_SEED_SALT = 0x5EED_1055


class FaultSpecError(ValueError):
    """The fault spec is not valid; the message names the key."""


@dataclass(frozen=True)
class FaultSpec:
    """What the simulator does wrong, and how often. The default does nothing wrong."""

    seed: int = 0
    """Seeds the dice: the same seed and the same calls give the same faults."""
    error_rate: float = 0.0
    """Fraction of portal calls answered 500 or 503 (half each, by the dice) before processing."""
    latency_ms: tuple[int, int] = (0, 0)
    """Added to every portal call: ``min`` ms always, plus a uniform random part up to ``max``."""
    hang_rate: float = 0.0
    """Fraction of portal calls that never answer: held until the client gives up (disconnects)."""
    hang_phase: HangPhase = "before"
    """``before``: a hung call stores nothing. ``after``: it is processed and stored, then hangs,
    so the client cannot know the outcome (the harsh, realistic case)."""
    outage: bool = False
    """True: every portal call is answered 503 until set false; ``/_sim/`` stays reachable."""
    rate_limit_per_s: float = 0.0
    """Above this many portal calls per second, answer 429 with Retry-After. 0: no limit."""
    session_ttl_s: int | None = None
    """Session lifetime in seconds, applied to existing sessions too; None: the configured one."""
    lose_rate: float = 0.0
    """Fraction of dossier records answered as accepted but not stored (accept-then-lose)."""
    lose_codes: tuple[str, ...] = ()
    """Dossiers (MaHoSo) whose next accepted insert or update is answered OK but not stored, once
    each: a deterministic accept-then-lose for chosen dossiers."""

    def to_json(self) -> dict[str, Any]:
        """The spec as JSON-ready data; ``parse_spec`` of it gives the same spec back."""
        out = asdict(self)
        out["latency_ms"] = list(self.latency_ms)
        out["lose_codes"] = list(self.lose_codes)
        return out


def parse_spec(document: Any) -> FaultSpec:
    """Build a ``FaultSpec`` from decoded JSON, refusing unknown keys and wrong types."""
    if not isinstance(document, Mapping):
        raise FaultSpecError("the fault spec must be a JSON object")
    known = {f.name for f in dataclasses.fields(FaultSpec)}
    for key in document:
        if key not in known:
            raise FaultSpecError(f"unknown fault spec key {key!r} (known: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for key, raw in document.items():
        values[key] = _PARSERS[key](key, raw)
    return FaultSpec(**values)


def load_spec(text: str) -> FaultSpec:
    """Read a spec given on the command line: JSON text, or ``@path`` of a JSON file."""
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise FaultSpecError(f"cannot read the fault spec file {path}: {exc.strerror}") from exc
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise FaultSpecError(f"the fault spec is not valid JSON: {exc}") from exc
    return parse_spec(document)


def _rate(key: str, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0.0 <= raw <= 1.0:
        raise FaultSpecError(f"{key} must be a number between 0 and 1, got {raw!r}")
    return float(raw)


def _non_negative(key: str, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0 or not math.isfinite(raw):
        raise FaultSpecError(f"{key} must be a non-negative number, got {raw!r}")
    return float(raw)


def _seed(key: str, raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise FaultSpecError(f"{key} must be an integer, got {raw!r}")
    return raw


def _flag(key: str, raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise FaultSpecError(f"{key} must be true or false, got {raw!r}")
    return raw


def _latency(key: str, raw: Any) -> tuple[int, int]:
    if (
        not isinstance(raw, list)
        or len(raw) != 2
        or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in raw)
        or raw[0] > raw[1]
    ):
        raise FaultSpecError(f"{key} must be [min, max] in whole milliseconds, 0 <= min <= max, got {raw!r}")
    return (raw[0], raw[1])


def _ttl(key: str, raw: Any) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise FaultSpecError(f"{key} must be a whole number of seconds >= 0, or null, got {raw!r}")
    return raw


def _codes(key: str, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or len(raw) > _MAX_LOSE_CODES:
        raise FaultSpecError(f"{key} must be a list of at most {_MAX_LOSE_CODES} dossier codes, got {raw!r}")
    for code in raw:
        if not isinstance(code, str) or not code or len(code) > 100 or _SURROGATE.search(code):
            raise FaultSpecError(
                f"{key} must hold dossier codes (non-empty text of at most 100 characters), got {code!r}"
            )
    return tuple(raw)


def _phase(key: str, raw: Any) -> HangPhase:
    if raw == "before":
        return "before"
    if raw == "after":
        return "after"
    raise FaultSpecError(f'{key} must be "before" or "after", got {raw!r}')


_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "seed": _seed,
    "error_rate": _rate,
    "latency_ms": _latency,
    "hang_rate": _rate,
    "hang_phase": _phase,
    "outage": _flag,
    "rate_limit_per_s": _non_negative,
    "session_ttl_s": _ttl,
    "lose_rate": _rate,
    "lose_codes": _codes,
}
_MAX_LOSE_CODES = 10_000
_SURROGATE = re.compile("[\ud800-\udfff]")


FaultKind = Literal["none", "outage", "rate_limited", "error", "hang"]


@dataclass(frozen=True)
class Decision:
    """What to do to one portal call.

    ``kind`` none: process it (after ``latency_s``); outage / rate_limited / error: answer
    ``code`` without processing; hang: hold it (before or after processing, per ``hang_phase``).
    """

    kind: FaultKind
    latency_s: float = 0.0
    code: ErrorCode = ErrorCode.OK
    retry_after_s: int | None = None
    hang_phase: HangPhase = "before"

    @property
    def counter(self) -> str:
        """The name this fault is counted under in ``faults_by_kind``."""
        if self.kind == "error":
            return f"error_{self.code.http_status}"
        return self.kind


@dataclass
class _Bucket:
    """Token bucket: ``rate`` tokens per second, holding at most ``max(rate, 1)``."""

    rate: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take a token; return 0.0 when one was available, else seconds until one will be."""
        capacity = max(self.rate, 1.0)
        self.tokens = min(capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class FaultInjector:
    """Holds the current spec and decides, call by call and record by record, what goes wrong."""

    def __init__(self, spec: FaultSpec | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.spec = spec or FaultSpec()
        self._calls = random.Random()  # noqa: S311 - fault dice, not secrets
        self._loses = random.Random()  # noqa: S311 - fault dice, not secrets
        self._bucket: _Bucket | None = None
        self._lose_pending: set[str] = set()
        self.set_spec(self.spec)

    def set_spec(self, spec: FaultSpec) -> None:
        """Replace the spec and restart the dice from its seed."""
        self.spec = spec
        self._calls = random.Random(spec.seed)  # noqa: S311 - reproducible by design
        self._loses = random.Random(spec.seed ^ _LOSE_SEED_SALT)  # noqa: S311
        self._lose_pending = set(spec.lose_codes)
        rate = spec.rate_limit_per_s
        self._bucket = _Bucket(rate, max(rate, 1.0), self.clock()) if rate > 0 else None

    def decide(self) -> Decision:
        """Roll the dice for one portal call.

        Every call draws the same four numbers in the same order, whatever the spec, so the
        faults of call N depend only on the seed and on N.
        """
        spec = self.spec
        u_error, u_kind, u_hang, u_latency = (self._calls.random() for _ in range(4))
        low, high = spec.latency_ms
        latency_s = (low + (high - low) * u_latency) / 1000.0
        if spec.outage:
            return Decision("outage", code=ErrorCode.UNAVAILABLE)
        if self._bucket is not None:
            wait = self._bucket.take(self.clock())
            if wait > 0.0:
                return Decision(
                    "rate_limited", code=ErrorCode.RATE_LIMITED, retry_after_s=max(1, math.ceil(wait))
                )
        if u_error < spec.error_rate:
            code = ErrorCode.SERVER_ERROR if u_kind < 0.5 else ErrorCode.UNAVAILABLE
            return Decision("error", latency_s=latency_s, code=code)
        if u_hang < spec.hang_rate:
            return Decision("hang", latency_s=latency_s, hang_phase=spec.hang_phase)
        return Decision("none", latency_s=latency_s)

    def lose(self, ma_ho_so: str) -> bool:
        """Whether to lose one dossier record the portal would store: once for a dossier of
        ``lose_codes`` not lost yet, else by the accept-then-lose die.

        The die is rolled either way, so listing codes never shifts the dice of other records.
        """
        by_die = self._loses.random() < self.spec.lose_rate
        if ma_ho_so in self._lose_pending:
            self._lose_pending.discard(ma_ho_so)
            return True
        return by_die
