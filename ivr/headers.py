"""Security headers on every answer: what a browser may load, frame, sniff, send on and keep."""

from __future__ import annotations

from flask import Flask, Response, request

from ivr.config import settings

# Everything comes from this origin: no inline script or style, no plugins, no framing.
# Pages keep their script and style in ivr/web/static (see base.html).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "media-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    app.after_request(security_headers)


def security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if _over_https():
        headers.setdefault("Strict-Transport-Security", HSTS)
    # Pages, JSON, exports and TwiML hold people's data: no cache keeps them. Static assets
    # (stylesheet, script) are public and keep their own caching.
    if not (request.endpoint or "").endswith("static"):
        headers["Cache-Control"] = _no_store(headers.get("Cache-Control"))
    return response


def _over_https() -> bool:
    """HSTS only means something over https: when this request came so (directly or, with
    PROXY_COUNT, as the proxy reports it) or the public address is https."""
    public = settings().public_base_url or ""
    return request.is_secure or public.startswith("https://")


def _no_store(current: str | None) -> str:
    if current and "no-store" in current:
        return current
    return "no-store"
