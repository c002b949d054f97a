"""The simulated national portal (``dvcgw portal-sim``): a real HTTP server with the national
dossier API in JSON and SOAP, login sessions, a persistent store, fault injection and a truth API
for tests. See ``docs/portal-sim.md``.

It is the gateway's peer, not part of it: it shares only the contract files in ``schemas/`` and
imports nothing of ``gateway`` outside ``gateway.sim``, so that it can catch the gateway's bugs
instead of sharing them.

Modules: ``command`` (CLI), ``settings`` (its configuration), ``logs`` (its log output), ``app``
(ASGI app factory), ``rest`` / ``soap`` / ``admin`` (routes), ``portal`` (what the routes share),
``service`` (the operations), ``contract`` (the schema files: validators and record shapes),
``records`` (completion, XML form, content hash), ``xmlinput`` (hardened XML parsing), ``store``
(SQLite), ``auth`` (sessions), ``faults`` (fault spec and dice), ``catalogue`` (the procedure
catalogue), ``transitions`` (status regressions), ``codes`` (error codes), ``wire`` (bodies and
JSON), ``process`` (run a sim as a child process), ``samples`` (valid synthetic records).
"""
