"""Brute-force protection: log-in lockout (django-axes, counted in the cache) and a sign-up rate limit.

Log-in failures are counted twice, per username and per client address, each with its own limit: a few
failures lock one account (someone guessing a student's password), while a classroom behind one NAT address
may mistype many times before the address is locked (someone trying many accounts). Each failure, including
one made while locked, restarts the cool-off, so the page can tell a locked-out user exactly how long to
wait. The counters live in the cache (Redis in production, shared by every web process), so a lockout
expires by itself when its cache entry does; nothing is written to the database.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_client_cache_keys, get_client_username, get_cool_off, get_credentials
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or, behind TRUSTED_PROXY_COUNT proxies that each append to
    X-Forwarded-For, the entry the outermost trusted proxy added (entries further left are the client's
    own claims and could be forged to dodge the per-address limits)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def wait_text(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses a log-in while its username or address is locked; the next backend checks the password.

    Without a request there is no address to count (the test client's ``login()``, a shell): such callers
    are in-process, never a browser, so they pass through instead of raising as axes' own backend does.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LoginThrottleHandler(AxesCacheHandler):
    """axes' cache handler with separate limits per username and per address.

    AXES_LOCKOUT_PARAMETERS is ``["username", "ip_address"]``, so the client's cache keys come in that
    order; AXES_FAILURE_LIMIT is the (larger) per-address limit, which axes itself applies to both counts,
    and this class adds the smaller per-username one.
    """

    def _over_limit(self, request, credentials) -> bool:
        username_key, address_key = get_client_cache_keys(request, credentials)
        if get_client_username(request, credentials) and self.cache.get(username_key, 0) >= (
            settings.LOGIN_FAILURES_PER_USERNAME
        ):
            return True
        return self.cache.get(address_key, 0) >= settings.LOGIN_FAILURES_PER_ADDRESS

    def is_locked(self, request, credentials=None) -> bool:
        return settings.AXES_LOCK_OUT_AT_FAILURE and self._over_limit(request, credentials)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        if self._over_limit(request, credentials):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            username = get_client_username(request, credentials)
            user_locked_out.send(
                "axes", request=request, username=username, ip_address=request.axes_ip_address
            )

    def user_logged_in(self, sender, request, user, **kwargs):
        """A correct password clears that username's failures, not the address's: logging in to one's own
        account must not reset the count of an address that is trying other people's."""
        super().user_logged_in(sender, request, user, **kwargs)
        username_key, _ = get_client_cache_keys(request, get_credentials(user.get_username()))
        self.cache.delete(username_key)


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The log-in page itself, with the reason and the wait, as 429 Too Many Requests (RFC 6585 section 4)
    with Retry-After; also used for the admin's log-in, which goes through the same backends."""
    cool_off = get_cool_off(request) or timedelta(0)
    wait = wait_text(cool_off.total_seconds())
    message = (
        "Too many failed log-in attempts for this account or from your network address. "
        f"For your security, logging in is paused: try again in {wait}. Each new attempt restarts the wait."
    )
    form = AuthenticationForm(request, data=None)
    context = {"form": form, "lockout_message": message, "next": request.POST.get("next", "")}
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


class SignupRateLimited(Exception):
    def __init__(self, retry_after_s: float):
        self.retry_after_s = retry_after_s
        super().__init__(
            "Too many accounts have been created from your network address recently "
            f"(the limit is {settings.SIGNUP_LIMIT_PER_ADDRESS} per hour). Try again in {wait_text(retry_after_s)}, "
            "or ask your instructor to create your account."
        )


SIGNUP_WINDOW_S = 3600


def _signup_key(address: str, now: float) -> tuple[str, float]:
    """Fixed hourly windows: the key names the current window, so a new hour starts a new count."""
    window = int(now // SIGNUP_WINDOW_S)
    return f"signup-rate:{address}:{window}", (window + 1) * SIGNUP_WINDOW_S - now


def signup_check(*, address: str, now: float | None = None) -> None:
    """Raises SignupRateLimited when this address has used up its sign-ups for the current hour."""
    now = time.time() if now is None else now
    key, remaining = _signup_key(address, now)
    if caches[settings.AXES_CACHE].get(key, 0) >= settings.SIGNUP_LIMIT_PER_ADDRESS:
        raise SignupRateLimited(remaining)


def signup_record(*, address: str, now: float | None = None) -> None:
    """Counts one account created from this address (atomic on Redis: add, then incr)."""
    now = time.time() if now is None else now
    key, remaining = _signup_key(address, now)
    cache = caches[settings.AXES_CACHE]
    if not cache.add(key, 1, timeout=math.ceil(remaining) + 1):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr: the window has just ended
            cache.add(key, 1, timeout=math.ceil(remaining) + 1)
