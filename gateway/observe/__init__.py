"""Watching the gateway: Prometheus metrics and reachability checks, for the daemon's web server.

- ``metrics``: the counters and histograms the daemon's processes update as they work;
- ``multiproc``: prometheus_client's multiprocess mode in the daemon (the children write, the
  ``web`` child reads);
- ``portal``: a portal client that times and counts its calls (the sync workers and the daemon's
  reconciliation use it);
- ``bounded``: reads of a service on a thread of its own, waited for with a deadline;
- ``ledger``, ``queues``: the store's figures and RabbitMQ's queue depths, read at scrape time;
- ``collectors``: those two as metric families;
- ``probe``: whether the portal answers, asked as its API generation allows;
- ``readiness``: RabbitMQ, the store and the portal, reachable or not, and why.

``gateway.web.app`` serves them (``/metrics``, ``/healthz``, ``/readyz``).
"""
