"""The metrics the daemon's processes count as they work, for Prometheus.

Counters and histograms updated where the work happens: the intake (records in), the outbox relay
(published), the sync workers (portal calls, acknowledged, retried, dead, superseded), the poison
drain (dead after the delivery limit), reconciliation (runs, portal calls). In the daemon they are kept in
prometheus_client's multiprocess mode (``gateway.observe.multiproc``): each child process writes
its values to files under ``<var>/metrics/``, and the ``web`` child sums them at every scrape.
Outside the daemon (``dvcgw ingest``, tests) they simply count in memory and nobody reads them.

What is best read at scrape time (queue depths, the store's state counts, replays, the last
delivery, the latest reconciliation) is not here: see ``gateway.observe.collectors``.

Label values are few and fixed (mapping names, retry tiers, error class names, portal operations),
never a dossier code or anything a record carries.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

NONE = "none"
"""The ``error_class`` label of an outcome without an error."""

RECORDS_INGESTED = Counter(
    "dvcgw_records_ingested",
    "Records of inbox files stored as new messages, per source (mapping).",
    ["source"],
)
RECORDS_DUPLICATE = Counter(
    "dvcgw_records_duplicate",
    "Records the store already held (same dossier, revision and content): nothing sent again.",
    ["source"],
)
RECORDS_REJECTED = Counter(
    "dvcgw_records_rejected",
    "Records rejected at intake (kept with their reasons and original bytes), per source.",
    ["source"],
)
FILES = Counter(
    "dvcgw_files",
    "Inbox files ingested, per source and outcome (archived, partial, rejected).",
    ["source", "outcome"],
)
PUBLISHED = Counter(
    "dvcgw_messages_published",
    "Messages the outbox relay published to RabbitMQ and the broker confirmed.",
)
ACKNOWLEDGED = Counter(
    "dvcgw_messages_acknowledged",
    "Messages the portal acknowledged (recorded in the store as acked).",
)
RETRIED = Counter(
    "dvcgw_messages_retried",
    "Messages moved to a retry tier after a transient failure, per tier and error class.",
    ["tier", "error_class"],
)
DEFERRED = Counter(
    "dvcgw_messages_deferred",
    "Messages deferred to the first retry tier because another worker was sending their dossier.",
)
DEAD = Counter(
    "dvcgw_messages_dead",
    "Messages given up on (store state dead, on the dead queue), per error class.",
    ["error_class"],
)
SUPERSEDED = Counter(
    "dvcgw_messages_superseded",
    "Deliveries dropped because a newer revision of the dossier exists.",
)
PORTAL_CALLS = Counter(
    "dvcgw_portal_calls",
    "Portal calls of the sync workers and reconciliation per operation and outcome (ok, or the error class).",
    ["operation", "outcome"],
)
PORTAL_CALL_SECONDS = Histogram(
    "dvcgw_portal_call_duration_seconds",
    "Duration of one portal call (sync workers, reconciliation), the client's short retries included.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
RECONCILE_RUNS = Counter(
    "dvcgw_reconcile_runs",
    "Reconciliation runs carried on by this daemon, per result (finished, interrupted).",
    ["result"],
)


def show_sources(sources: list[str]) -> None:
    """Make each source's intake counters exist at zero before its first file, so that a dashboard's
    ``rate()`` has a series from the start."""
    for source in sources:
        for counter in (RECORDS_INGESTED, RECORDS_DUPLICATE, RECORDS_REJECTED):
            counter.labels(source)
