"""The public consent page (docs/coop.md, "Prospect consent"): no account, no bearer token.

GET shows what would be shared, with whom and until when, and two buttons in a plain form
(no script: it works with JavaScript off). POST decides once (`decision=yes|no`) or, on a
granted consent whose share is not complete, withdraws it (`decision=revoke`). A wrong, used
or expired token gets one neutral page: the same 404 and the same body in every case.
Nothing external is loaded; no cookies; the headers forbid caching, referrers, indexing,
framing and every script. The page is not part of the API, so it stays out of OpenAPI.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Annotated, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from prospecting.coop import consent
from prospecting.coop import service as coop
from prospecting.db import utcnow
from prospecting.edges.http.deps import TenantReadSession, TenantSession

router = APIRouter(prefix="/consent", include_in_schema=False)

CSS = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#111}button{font-size:1.1rem;padding:.6rem 1.2rem;margin:.3rem}"
    "dt{font-weight:bold;margin-top:.8rem}"
)
_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
}
ANSWERS: dict[str, tuple[Literal["yes", "no", "revoke"], Literal["yes", "no", "revoked"]]] = {
    "yes": ("yes", "yes"),
    "no": ("no", "no"),
    "revoke": ("revoke", "revoked"),
}
"""A form's `decision` → (what it decides, the thank-you page shown)."""


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=HEADERS)


NEUTRAL = consent.render_page(kind="invalid", css=CSS)
"""The one page for a wrong, used or expired token (English: nothing says whose link it was)."""


def _neutral() -> HTMLResponse:
    return _html(NEUTRAL, 404)


async def _decision(request: Request) -> str:
    """`decision` from a form-encoded body (the page's only field); '' when absent."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True)).get("decision", "")


@router.get("/{token}", response_class=HTMLResponse)
def show(token: str, session: TenantReadSession) -> HTMLResponse:
    page = consent.page(session=session, token=token, now=utcnow())
    if page is None:
        return _neutral()
    return _html(
        consent.render_page(
            kind="ask", language=page.language, page=page, action=f"/consent/{token}", css=CSS
        )
    )


@router.post("/{token}", response_class=HTMLResponse)
def decide(
    token: str, decision: Annotated[str, Depends(_decision)], session: TenantSession
) -> HTMLResponse:
    answer = ANSWERS.get(decision)
    if answer is None:
        return _neutral()
    now = utcnow()
    decided = coop.decide_by_token(session=session, token=token, decision=answer[0], now=now)
    if decided is None:
        return _neutral()
    kind = answer[1]
    revocable = kind == "yes" and consent.revocable(session=session, consent_id=decided.id, now=now)
    return _html(
        consent.render_page(
            kind=kind,
            language=decided.language,
            action=f"/consent/{token}",
            revocable=revocable,
            css=CSS,
        )
    )
