"""The daemon's web server: metrics, health and the operator console.

- ``app``: ``create_app(config)``, the Starlette application (``/metrics``, ``/healthz``,
  ``/readyz``, the console mounted at ``/console``);
- ``serve``: running it in the daemon's ``web`` child (loopback only unless ``web.allow_remote``);
- ``console``: the operator console, ``create_console(config)``.

Nothing is imported here, so that ``gateway.web.console`` can be imported on its own.
"""
