"""``dvcgw run``: the daemon. A supervisor process and its children (intake + relay, sync workers)."""

from __future__ import annotations
