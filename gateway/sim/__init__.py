"""The simulated national portal (``dvcgw portal-sim``): a real HTTP server with the national
dossier API in JSON and SOAP, login sessions, a persistent store, fault injection and a truth API
for tests. See ``docs/portal-sim.md``.

Modules: ``command`` (CLI), ``app`` (ASGI app factory), ``rest`` / ``soap`` / ``admin`` (routes),
``portal`` (what the routes share), ``service`` (the operations), ``store`` (SQLite), ``auth``
(sessions), ``faults`` (fault spec and dice), ``catalogue`` (the procedure catalogue),
``transitions`` (status regressions), ``codes``
(error codes), ``wire`` (bodies and JSON), ``process`` (run a sim as a child process),
``samples`` (valid synthetic records).
"""
