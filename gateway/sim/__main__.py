"""``python -m gateway.sim``: the same command as ``dvcgw portal-sim``."""

from __future__ import annotations

from gateway.sim.command import portal_sim

if __name__ == "__main__":
    portal_sim(prog_name="python -m gateway.sim")
