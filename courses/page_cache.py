"""Per-student page cache for the lesson page, the hottest page of the site.

A lesson page depends on the lesson's content, the student's progress and enrollment, their role and their
CSRF secret (forms embed a token for it). The cache key holds all of them: the content generation (changes
when an import changes any course), a per-user generation bumped by every write that changes what the
user sees (completion, enrollment, role), and a hash of the CSRF cookie. A stale page can therefore never be
served; there is nothing to invalidate, old keys just expire.

The per-user generation lives in the cache, so the cache must be shared by all web processes: Redis in
production (production settings require it); the embedded default runs a single web process.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

from .models import Course

PAGE_TTL_S = 3600
_CONTENT_CHECK_EVERY_S = 1.0
# Per process, the generation is re-read once a second; a change made by this process is seen at once.
_content_memo: dict[str, object] = {"at": -1e9, "value": ""}


def content_generation(now: float | None = None) -> str:
    """A token that changes whenever an import changes course content. Read from the database at most once
    a second per process, so an import is visible within a second without a query per request."""
    now = time.monotonic() if now is None else now
    if now - float(_content_memo["at"]) >= _CONTENT_CHECK_EVERY_S:
        versions = Course.objects.order_by("id").values_list("id", "content_version", "is_published")
        _content_memo["value"] = hashlib.sha1(
            repr(list(versions)).encode(), usedforsecurity=False
        ).hexdigest()[:16]
        _content_memo["at"] = now
    return str(_content_memo["value"])


def content_generation_forget() -> None:
    """Re-read the content generation on next use (called after this process changed content)."""
    _content_memo["at"] = -1e9


def _user_key(user_id: int) -> str:
    return f"usergen:{user_id}"


def _fresh_generation() -> int:
    # A counter that was evicted restarts from a new time-based value, never from a value an old page used.
    return time.time_ns()


def user_generation_bump(*, user_id: int) -> None:
    """Call after any write that changes what this user's pages show."""
    try:
        cache.incr(_user_key(user_id))
    except ValueError:
        cache.set(_user_key(user_id), _fresh_generation(), timeout=None)


def page_key(request, *parts: object) -> str | None:
    """The cache key of this request's personal page, or None when the page must not be cached (messages
    pending, or no CSRF cookie yet so the page would mint a new secret)."""
    csrf = request.COOKIES.get("csrftoken")
    if not csrf or "messages" in request.COOKIES or "_messages" in request.session:
        return None
    user_id = request.user.id
    generation = cache.get_or_set(_user_key(user_id), _fresh_generation, timeout=None)
    csrf_hash = hashlib.sha1(csrf.encode(), usedforsecurity=False).hexdigest()[:12]
    joined = ":".join(str(part) for part in parts)
    return f"page:{user_id}:{generation}:{content_generation()}:{csrf_hash}:{joined}"


def page_get(key: str | None) -> dict | None:
    return cache.get(key) if key else None


def page_set(key: str | None, entry: dict) -> None:
    if key:
        cache.set(key, entry, timeout=PAGE_TTL_S)
