"""What stands in front of every console page: the session, sign-in, and the checks on every form.

``Guard.endpoint(handler)`` turns a page function into a Starlette endpoint that

1. reads the session cookie (a visitor without one gets a new, signed-out session);
2. for a POST: reads the URL-encoded form, refuses it (403) when the request's ``Origin`` is another
   site's or when its ``csrf`` field is not the session's form token: every form the console
   draws carries that token, no other site can read it, and the cookie itself is ``SameSite=Strict``;
3. unless the page is public (the sign-in page): sends a signed-out GET to the sign-in page (and
   back after it), and refuses a signed-out POST (403);
4. calls the page with a ``Visit`` and writes the session cookie back when it is new or changed;
5. turns a store that cannot be reached into a 503 page saying so.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import structlog
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gateway.config import Config
from gateway.errors import StoreError
from gateway.web.console.forms import Form, FormRefused, read_form
from gateway.web.console.layout import page
from gateway.web.console.markup import Markup, html
from gateway.web.console.session import COOKIE, MAX_AGE_S, Session, Signer
from gateway.web.console.stores import Stores

log = structlog.get_logger(__name__)


@dataclass
class Visit:
    """One request to a console page: the request, its session (which a page may replace, e.g. to
    sign in), its form (empty for a GET), and what pages need to answer."""

    request: Request
    session: Session
    form: Form
    config: Config
    stores: Stores

    @property
    def root(self) -> str:
        """The console's path prefix (``/console`` under the daemon's server; '' alone)."""
        return str(self.request.scope.get("root_path", "")).rstrip("/")

    @property
    def user(self) -> str:
        """The signed-in operator (pages that are not public are only called with one)."""
        assert self.session.user is not None
        return self.session.user

    def href(self, path: str, **query: object) -> str:
        """A link to the console's ``path`` with ``query`` (values None or '' left out)."""
        pairs = [(k, str(v)) for k, v in query.items() if v is not None and v != ""]
        return self.root + path + (f"?{urlencode(pairs)}" if pairs else "")

    def param(self, name: str) -> str:
        """A query parameter of the URL, trimmed ('' when absent)."""
        return self.request.query_params.get(name, "").strip()

    def token(self) -> Markup:
        """The hidden form field every form of the console carries."""
        return html('<input type="hidden" name="csrf" value="{csrf}">', csrf=self.session.csrf)

    def respond(self, title: str, body: Markup, *, here: str | None = None, status: int = 200) -> Response:
        return page(
            title,
            body,
            root=self.root,
            here=here,
            user=self.session.user,
            csrf=self.session.csrf,
            status=status,
        )

    def redirect(self, path: str, **query: object) -> Response:
        return RedirectResponse(self.href(path, **query), status_code=303)


Handler = Callable[[Visit], Awaitable[Response]]


class Guard:
    """Sessions, sign-in and form checks for the console's pages."""

    def __init__(self, config: Config, stores: Stores, signer: Signer) -> None:
        self.config = config
        self.stores = stores
        self.signer = signer

    def endpoint(self, handler: Handler, *, public: bool = False) -> Callable[[Request], Awaitable[Response]]:
        """The Starlette endpoint of page ``handler`` (``public``: served signed out too)."""
        if not public:
            handler = self.signed_in(handler)

        async def serve(request: Request) -> Response:
            cookie = request.cookies.get(COOKIE)
            loaded = self.signer.load(cookie)
            session = loaded or Session.fresh()
            visit = Visit(request, session, Form(), self.config, self.stores)
            refused = await self._refusal(visit)
            if refused is not None:
                response = refused
            else:
                try:
                    response = await handler(visit)
                except StoreError as exc:
                    log.warning("console store unavailable", error=str(exc))
                    body = html(
                        '<h1>The store cannot be read</h1><p class="notice error">{why}</p>'
                        "<p>The page will work again once the store is reachable.</p>",
                        why=str(exc),
                    )
                    response = visit.respond("Store unavailable", body, status=503)
            if loaded is None or visit.session != loaded:
                self._set_cookie(request, response, visit.session)
            return response

        return serve

    async def _refusal(self, visit: Visit) -> Response | None:
        """The answer instead of the page, or None to serve it."""
        request = visit.request
        if request.method == "POST":
            try:
                visit.form = await read_form(request)
            except FormRefused as exc:
                return _refused(visit, exc.status, str(exc))
            if not _same_origin(request):
                return _refused(visit, 403, "the form was sent from another site")
            given = visit.form.first("csrf")
            if not given or not hmac.compare_digest(given.encode(), visit.session.csrf.encode()):
                return _refused(visit, 403, "the form has expired or did not come from this console")
        return None

    def _set_cookie(self, request: Request, response: Response, session: Session) -> None:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        response.set_cookie(
            COOKIE,
            self.signer.dump(session),
            max_age=MAX_AGE_S,
            path=root or "/",
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )

    def signed_in(self, handler: Handler) -> Handler:
        """``handler`` for signed-in operators only: others are sent to sign in (GET) or refused (POST)."""

        async def guarded(visit: Visit) -> Response:
            if visit.session.user is not None:
                return await handler(visit)
            if visit.request.method != "GET":
                return _refused(visit, 403, "sign in first")
            url = visit.request.url
            back = url.path + (f"?{url.query}" if url.query else "")
            return visit.redirect("/login", next=back)

        return guarded


def _same_origin(request: Request) -> bool:
    """Whether the request's ``Origin`` (when the browser sent one) is the console's own."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin in (f"{request.url.scheme}://{host}",)


def _refused(visit: Visit, status: int, why: str) -> Response:
    log.info("console request refused", status=status, path=visit.request.url.path, why=why)
    body = html(
        '<h1>Refused</h1><p class="notice error" id="refused">{why}</p>'
        '<p><a href="{home}">Back to the console</a></p>',
        why=why,
        home=visit.href("/"),
    )
    return visit.respond("Refused", body, status=status)
