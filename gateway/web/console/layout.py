"""The console's page shell: the header with its menu, the style sheet (inline), the security headers.

Every page is one self-contained HTML document: the style sheet is in the page, there is no script
at all, no font and no image from elsewhere (charts are inline SVG). The Content-Security-Policy
says so to the browser too, so a value that escaped escaping still could not run or fetch anything.
Pages are never cached (they hold personal data) and never framed.
"""

from __future__ import annotations

from datetime import datetime

from starlette.responses import HTMLResponse

from gateway.ops.times import OPERATOR_TZ, shown
from gateway.web.console.markup import Markup, html

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Not no-referrer: with it Chromium sends "Origin: null" on the console's own forms, which the
    # guard's origin check must refuse; same-origin still tells other sites nothing (codes in URLs).
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

MENU = (
    ("dashboard", "/", "Dashboard"),
    ("dead", "/dead", "Dead letters"),
    ("dossier", "/dossier", "Dossier"),
    ("reconciliation", "/reconciliation", "Reconciliation"),
)

STYLE = """
:root { color-scheme: light; --ink: #1d2433; --muted: #5b6475; --rule: #d8dde6; --band: #f4f6fa;
  --accent: #1d4ed8; --bad: #b3261e; --good: #1b7f3b; --warn: #a05a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans",
  "Liberation Sans", Arial, sans-serif; color: var(--ink); background: #fff; }
header { display: flex; align-items: center; gap: 28px; padding: 0 32px; height: 52px;
  background: #14213d; color: #fff; }
header .brand { font-weight: 700; white-space: nowrap; }
header nav { display: flex; gap: 4px; flex: 1; }
header nav a { color: #d6ddf0; text-decoration: none; padding: 6px 12px; border-radius: 6px; }
header nav a:hover { background: #23345c; color: #fff; }
header nav a.here { background: #fff; color: #14213d; font-weight: 600; }
header .who { display: flex; align-items: center; gap: 10px; color: #d6ddf0; font-size: 13px;
  white-space: nowrap; }
header .who button { background: transparent; color: #fff; border: 1px solid #5d6b8f; }
main { padding: 24px 32px 48px; max-width: 1440px; }
h1 { font-size: 22px; margin: 0 0 16px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--rule); }
a { color: var(--accent); }
p.meta, .muted { color: var(--muted); font-size: 13px; }
.cards { display: flex; flex-wrap: wrap; gap: 16px; }
.card { padding: 14px 20px; border-radius: 8px; background: var(--band); min-width: 180px; }
.card .value { font-size: 32px; font-weight: 700; line-height: 1.15; font-variant-numeric: tabular-nums; }
.card .what { color: var(--muted); font-size: 13px; max-width: 260px; }
.card.bad .value { color: var(--bad); } .card.good .value { color: var(--good); }
table { border-collapse: collapse; margin: 4px 0; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
th { background: var(--band); font-weight: 600; font-size: 13px; white-space: nowrap; }
td.n, th.n { text-align: right; }
td.code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; }
td.code, td.when { white-space: nowrap; }
td.reason { min-width: 280px; max-width: 520px; overflow-wrap: break-word; }
td.error { max-width: 320px; overflow-wrap: anywhere; font-size: 13px; }
td.file { max-width: 380px; overflow-wrap: anywhere; font-size: 13px; }
td.nowrap { white-space: nowrap; }
td.agency { min-width: 130px; }
#attention th { white-space: normal; }
#attention td.reason { min-width: 200px; }
#timeline td.what { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 13px; }
table.wide { width: 100%; }
table.facts th { text-align: left; width: 160px; background: none; }
pre { background: var(--band); padding: 12px 14px; border-radius: 6px; overflow: auto; max-height: 480px;
  font: 13px/1.45 ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; white-space: pre-wrap;
  overflow-wrap: anywhere; }
form.filters { display: flex; flex-wrap: wrap; gap: 10px 14px; align-items: flex-end; margin: 0 0 16px;
  padding: 12px 14px; background: var(--band); border-radius: 8px; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
form.filters input[type=text] { width: 150px; min-width: 0; }
form.filters input.short { width: 70px; }
form.filters input.long { width: 300px; }
.spans a { margin: 0 4px; }
input[type=text], input[type=password], input[type=number], select { font: inherit; padding: 5px 8px;
  border: 1px solid #b9c1cf; border-radius: 5px; background: #fff; min-width: 120px; }
button, .button { font: inherit; font-weight: 600; padding: 6px 14px; border-radius: 6px;
  border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer;
  text-decoration: none; display: inline-block; }
button.secondary, .button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
.actions { display: flex; gap: 10px; align-items: center; margin: 12px 0; }
.notice { padding: 10px 14px; border-radius: 8px; margin: 0 0 16px; }
.notice.error { background: #fdecea; color: var(--bad); }
.notice.ok { background: #e7f6ec; color: var(--good); }
.notice.warn { background: #fff4e5; color: var(--warn); }
.state { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
  color: #fff; background: #6c757d; white-space: nowrap; }
.state.acked { background: #2b8a3e; } .state.dead { background: #c92a2a; }
.state.pending, .state.queued { background: #1c7ed6; } .state.retrying { background: #e67700; }
.state.superseded { background: #868e96; }
.login { max-width: 380px; margin: 64px auto; padding: 28px 32px; border: 1px solid var(--rule);
  border-radius: 10px; }
.login label { display: block; margin: 12px 0 4px; font-size: 13px; color: var(--muted); }
.login input { width: 100%; }
.login button { margin-top: 18px; width: 100%; }
svg text { font-family: inherit; fill: var(--ink); font-size: 11px; }
svg .grid line { stroke: #e6e9ef; }
svg .axis line { stroke: #8a93a3; }
.legend { display: flex; gap: 16px; font-size: 13px; color: var(--muted); margin: 4px 0 0; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
"""


def when(moment: datetime | None) -> Markup:
    """A time as the console shows it: Asia/Ho_Chi_Minh to the second, without the offset (every time
    on the console is in that zone); the full ISO 8601 form, as the commands print it, on hover."""
    if moment is None:
        return Markup("-")
    local = moment.astimezone(OPERATOR_TZ)
    return html(
        '<time datetime="{iso}" title="{iso}">{text}</time>',
        iso=shown(moment),
        text=local.strftime("%Y-%m-%d %H:%M:%S"),
    )


def page(
    title: str,
    body: Markup,
    *,
    root: str,
    here: str | None = None,
    user: str | None = None,
    csrf: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The whole document for one page (``here``: the menu entry to highlight)."""
    menu = Markup("")
    who = Markup("")
    if user is not None:
        menu = Markup(
            "".join(
                html(
                    '<a href="{href}"{cls}>{label}</a>',
                    href=root + path,
                    cls=Markup(' class="here" aria-current="page"') if key == here else Markup(""),
                    label=label,
                )
                for key, path, label in MENU
            )
        )
        who = html(
            '<div class="who"><span>signed in as <strong id="operator">{user}</strong></span>'
            '<form method="post" action="{action}"><input type="hidden" name="csrf" value="{csrf}">'
            '<button type="submit">Sign out</button></form></div>',
            user=user,
            action=root + "/logout",
            csrf=csrf or "",
        )
    document = html(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{title} · dvc-gateway console</title><style>{style}</style></head><body>"
        '<header><span class="brand">dvc-gateway console</span><nav>{menu}</nav>{who}</header>'
        "<main>{body}</main></body></html>\n",
        title=title,
        style=Markup(STYLE),
        menu=menu,
        who=who,
        body=body,
    )
    return HTMLResponse(document, status_code=status, headers=HEADERS)
