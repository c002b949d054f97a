"""Reconciliation: proof that the national portal holds the latest status of every dossier.

A delivery acknowledgement is not proof: the portal can acknowledge and lose a record, and other
systems write to it too. A run compares the portal's view (``DanhSachHoSoThayDoi``, ``TraCuuHoSo``)
with the store's latest revision of every dossier active in a window, classifies each, re-sends
the latest revision of those the portal does not hold right, and reports. One concept per module:

* ``classify``: the classes and the pure rule that assigns them;
* ``finding``: one dossier's finding, from the store's revisions and the portal's view;
* ``window``: the window of activity a run compares, and the portal's time format;
* ``pacing``: the token bucket that keeps a run under ``reconcile.rate_per_s`` portal calls;
* ``run``: a run's two phases (the listing, then look-ups), resumable, under a lease in the store;
* ``report``: the run's report, built from its findings in the store (``to_json``);
* ``table``: the report on the console;
* ``schedule``: the daemon's thread that runs it every ``reconcile.interval_min`` minutes.

``dvcgw reconcile`` (``gateway.cli_ops``) stands on top; the HTML page is ``html``.
"""
