"""Signing in and out of the console, and the page shown when it has no password to check against."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gateway.web.console.auth import MIN_PASSWORD, PASSWORD_ENV, Gate, operator_name
from gateway.web.console.guard import Handler, Visit
from gateway.web.console.layout import page
from gateway.web.console.markup import Markup, html
from gateway.web.console.session import Session

log = structlog.get_logger(__name__)


def _form(visit: Visit, *, name: str = "", problem: str | None = None) -> Markup:
    notice = html('<p class="notice error" id="login-error">{p}</p>', p=problem) if problem else Markup("")
    return html(
        '<div class="login"><h1>Sign in</h1>{notice}'
        '<form method="post" action="{action}">{token}'
        '<input type="hidden" name="next" value="{next}">'
        '<label for="name">Your name (recorded with what you replay)</label>'
        '<input type="text" id="name" name="name" value="{name}" autocomplete="username" required autofocus>'
        '<label for="password">Console password</label>'
        '<input type="password" id="password" name="password" autocomplete="current-password" required>'
        '<button type="submit" id="sign-in">Sign in</button></form></div>',
        notice=notice,
        action=visit.href("/login"),
        token=visit.token(),
        next=visit.param("next") or visit.form.first("next"),
        name=name,
    )


def _back(visit: Visit, wanted: str) -> str:
    """Where to go after signing in: ``wanted`` if it is a page of this console, else the dashboard."""
    root = visit.root
    inside = wanted.startswith(root + "/") and not wanted.startswith("//") and "\\" not in wanted
    return wanted if inside else visit.href("/")


def login_page(gate: Gate) -> Handler:
    """The sign-in page and form, checking passwords with ``gate``."""

    async def login(visit: Visit) -> Response:
        if visit.request.method == "GET":
            if visit.session.user is not None:
                return visit.redirect("/")
            return visit.respond("Sign in", _form(visit))
        name = operator_name(visit.form.first("name"))
        client = visit.request.client.host if visit.request.client else "-"
        if gate.locked():
            log.warning("console sign-in refused", why="too many failures", client=client)
            body = _form(visit, problem="Too many failed sign-ins: wait a minute and try again.")
            return visit.respond("Sign in", body, status=429)
        if name is None:
            problem = "Give your name: letters, digits, '.', '@', '_' or '-', up to 64 characters."
            return visit.respond("Sign in", _form(visit, problem=problem), status=400)
        if not gate.check(visit.form.first("password")):
            log.warning("console sign-in refused", why="wrong password", client=client)
            body = _form(visit, name=name, problem="That is not the console's password.")
            return visit.respond("Sign in", body, status=401)
        visit.session = Session.fresh(name)
        log.info("console sign-in", operator=name, client=client)
        return RedirectResponse(_back(visit, visit.form.first("next")), status_code=303)

    return login


async def logout(visit: Visit) -> Response:
    log.info("console sign-out", operator=visit.session.user)
    visit.session = Session.fresh()
    return visit.redirect("/login")


def unconfigured(why: str) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of every path when the console has no password: how to give it one."""

    async def explain(request: Request) -> Response:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        body = html(
            '<h1>The console is not configured</h1><p class="notice warn" id="unconfigured">{why}.</p>'
            "<p>The operator console opens only with a password. Set it in the daemon's environment "
            "(for systemd, in the unit's environment file) and restart the daemon:</p>"
            "<pre>{env}=&lt;a password of at least {min} characters&gt;</pre>"
            "<p>Operators then sign in with their name and that password. The daemon serves the console "
            "on the loopback interface only unless configured otherwise.</p>",
            why=why,
            env=PASSWORD_ENV,
            min=MIN_PASSWORD,
        )
        return page("Not configured", body, root=root, status=503)

    return explain
