"""Protections at the HTTP and websocket edges: headers, origins, CSRF tokens, rate limits.

Kept in one place so that docs/security.md can point at it, and every rule has one home.
"""

from __future__ import annotations

import hmac
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from app.game.refusal import Refusal
from app.rate_limits import Limit, Verdict
from app.tokens import new_token

# Scripts and styles only from files on this server: no inline script can run, whatever
# text a participant manages to smuggle into a page. Inline SVG attributes are not styles.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Facilitator and share links are secrets in the address: never send them to another
    # site. (Not "no-referrer": Chromium then sends "Origin: null" on this site's own forms.)
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class SecurityHeaders:
    """Pure ASGI middleware: the headers above on every HTTP response (and HSTS on https)."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        if https:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --- same origin ----------------------------------------------------------------------


def same_origin(connection: HTTPConnection, public_url: str | None = None) -> bool:
    """Does the Origin header name this server (as the browser reached it, or PUBLIC_URL)?

    Browsers always send Origin on websockets and on cross-site POSTs; programs such as
    tests and curl may leave it out, and they are not a cross-site threat.
    """
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    netloc = urlsplit(origin).netloc.lower()
    allowed = {connection.headers.get("host", "").lower()}
    if public_url:
        allowed.add(urlsplit(public_url).netloc.lower())
    return bool(netloc) and netloc in allowed


# --- CSRF: a token in every form, matched against a cookie ----------------------------

CSRF_COOKIE = "ks_csrf"


def csrf_token(request: Request) -> str:
    """The token for this browser: its cookie's value, or a fresh one render() will set."""
    existing = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(existing) <= 100:
        return existing
    cached = request.scope.setdefault("state", {}).get("csrf_new")
    if cached is None:
        cached = new_token()
        request.scope["state"]["csrf_new"] = cached
    return str(cached)


def set_csrf_cookie(request: Request, response: Response, secure: bool) -> None:
    token = request.scope.get("state", {}).get("csrf_new")
    if token:
        response.set_cookie(
            CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/"
        )


def check_form(request: Request, submitted: str, public_url: str | None) -> None:
    """Refuse a form post that another site made the browser send (token and origin)."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not same_origin(request, public_url):
        raise Refusal("bad_origin", "This form was sent from another site.", status=403)
    if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
        raise Refusal(
            "bad_csrf",
            "This form has expired. Go back, reload the page and try again.",
            status=403,
        )


# --- rate limits ----------------------------------------------------------------------


class TokenBucket:
    """``rate`` actions per second with bursts up to ``burst``: fair to people, hard on loops."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.stamp = burst, clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def has_token(self) -> bool:
        self._refill()
        return self.tokens >= 1

    def take(self) -> bool:
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class KeyedLimiter:
    """One bucket per key (a client address), forgetting the oldest keys past ``capacity``."""

    def __init__(self, rate: float, burst: float, capacity: int = 10_000) -> None:
        self.rate, self.burst, self.capacity = rate, burst, capacity
        self.buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, key: str) -> bool:
        bucket = self.buckets.pop(key, None) or TokenBucket(self.rate, self.burst)
        self.buckets[key] = bucket
        while len(self.buckets) > self.capacity:
            self.buckets.popitem(last=False)
        return bucket.take()


def client_key(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


class TooManyRequests(Exception):
    """A rate limit said no: answered 429 with Retry-After (main.py's error pages)."""

    def __init__(self, code: str, message: str, retry_after: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.retry_after = code, message, retry_after


# Workshops created per address (the start form and POST /api/workshops together): a room of
# facilitators trying the app behind one NAT fits, a script making hundreds does not.
WORKSHOP_CREATIONS = "30 per 10 minutes"


# --- join codes ------------------------------------------------------------------------

# Every route whose path holds a join code starts with one of these (tests/test_security.py
# walks the routes to keep it so); the code is the path segment that follows.
JOIN_PATHS = ("/j/", "/t/", "/api/tables/", "/ws/tables/", "/qr/")
CLOSE_TOO_MANY = 4429  # ours (RFC 6455 leaves 4000-4999 to applications)
# A venue NAT puts a whole room behind one address, so the bound is per address but high:
# a room of people mistyping now and then stays far below it, while guessing one of 2.8·10¹¹
# codes at 10 a minute stays hopeless.
JOIN_MISSES = "100 per 10 minutes"
TOO_MANY_TRIES = "Too many wrong codes from this address. Wait a few minutes and try again."


def join_code_in(path: str) -> str | None:
    """The join code a join path names (``/qr/ABCD.svg`` names ``ABCD``), else None."""
    for prefix in JOIN_PATHS:
        if path.startswith(prefix):
            return path[len(prefix) :].split("/", 1)[0].split(".", 1)[0]
    return None


class JoinGuard:
    """Slows down guessing join codes: only unknown codes count, per client address.

    Successful lookups never count. Shared by every process through `limits` (Redis when
    REDIS_URL is set); see JOIN_MISSES for the bound.
    """

    def __init__(self, limit: Limit) -> None:
        self.limit = limit

    async def blocked(self, key: str) -> Verdict:
        return await self.limit.check(key)

    async def failed(self, key: str) -> None:
        await self.limit.hit(key)


# Does this device cookie hold a seat at the table of this join code? (play/service.py)
SeatCheck = Callable[[str, str], Awaitable[bool]]


class JoinGuardGate:
    """Pure ASGI middleware: a client that guessed too many codes waits before trying more.

    A request carrying the device cookie of a seat at the table its path names is never
    refused: behind one NAT, a mistyping neighbour must not lock the seated phones out. The
    seat is looked up (in the database) only for addresses that are over the bound.
    """

    def __init__(self, app: ASGIApp, guard: JoinGuard, seated: SeatCheck, cookie: str) -> None:
        self.app, self.guard, self.seated, self.cookie = app, guard, seated, cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        code = join_code_in(scope["path"]) if scope["type"] in ("http", "websocket") else None
        if code is not None:
            client = scope.get("client")
            verdict = await self.guard.blocked(client[0] if client else "unknown")
            if not verdict.allowed and not await self._seated(scope, code):
                await self._refuse(scope, receive, send, verdict.retry_after)
                return
        await self.app(scope, receive, send)

    async def _seated(self, scope: Scope, code: str) -> bool:
        device = HTTPConnection(scope).cookies.get(self.cookie)
        return device is not None and await self.seated(code, device)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, retry: int) -> None:
        if scope["type"] == "websocket":
            # Accepted first, so that a browser sees the code (a refused handshake is 1006).
            if (await receive())["type"] == "websocket.connect":
                await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": CLOSE_TOO_MANY})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"retry-after", str(retry).encode()),
                ],
            }
        )
        body = {"error": {"code": "too_many_tries", "message": TOO_MANY_TRIES}}
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})
