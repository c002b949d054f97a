"""Reading the console's forms: URL-encoded bodies, bounded, parsed with the standard library.

Starlette's ``Request.form()`` needs ``python-multipart``, which is not a dependency, and the
console's forms are small and URL-encoded only (a password, a name, the ticked message ids), so the
body is read up to ``MAX_BODY`` bytes and parsed with ``urllib.parse``. Anything else (another
content type, a larger body) is refused before it is parsed.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request

MAX_BODY = 64 * 1024
MAX_FIELDS = 2000
FORM_TYPE = "application/x-www-form-urlencoded"


class FormRefused(Exception):
    """A body that is not one of the console's forms; ``status`` is the HTTP answer it deserves."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status


class Form:
    """A submitted form: every value of every field, as text."""

    def __init__(self, fields: dict[str, list[str]] | None = None) -> None:
        self._fields = fields or {}

    def first(self, name: str) -> str:
        """The field's first value ('' when absent)."""
        values = self._fields.get(name)
        return values[0] if values else ""

    def all(self, name: str) -> list[str]:
        return list(self._fields.get(name, []))


async def read_form(request: Request) -> Form:
    """The URL-encoded form of a POST; ``FormRefused`` for another type or a body over ``MAX_BODY``."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != FORM_TYPE:
        raise FormRefused(415, f"the console takes {FORM_TYPE} forms only")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise FormRefused(413, f"the form is larger than {MAX_BODY // 1024} KiB")
    try:
        fields = parse_qs(
            body.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS
        )
    except ValueError as exc:
        raise FormRefused(413, str(exc)) from None
    return Form(fields)
