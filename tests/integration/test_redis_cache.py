"""The render cache and cached sessions against a real Redis server (production's cache)."""

import pytest
from django.core.cache import caches
from django.test import override_settings

from courses import rendering

pytestmark = pytest.mark.integration


@pytest.fixture
def redis_cache(redis_url):
    config = {
        "default": {
            "BACKEND": "config.redis_cache.ReusingRedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "test-render",
        }
    }
    with override_settings(CACHES=config):
        cache = caches["default"]
        cache.clear()
        yield cache
        cache.clear()


def test_rendered_lesson_is_stored_in_redis_and_reused(redis_cache, monkeypatch):
    text = "## Heading\n\n```python\nprint('hi')\n```"
    first = rendering.render_cached(text)
    assert redis_cache.get(rendering.content_key(text)) == first
    monkeypatch.setattr(rendering, "render_markdown", lambda _: pytest.fail("rendered again on a warm cache"))
    assert rendering.render_cached(text) == first


@pytest.mark.django_db
def test_login_session_survives_in_redis_backed_cached_sessions(redis_cache, client, student):
    assert client.login(username="stu", password="stu-pass-123")
    response = client.get("/")
    assert response.context["user"].username == "stu"
    key = client.session.session_key
    assert redis_cache.get(f"django.contrib.sessions.cached_db{key}") is not None


def test_reusing_client_is_built_once_per_pool(redis_cache):
    client = redis_cache._cache
    first = client.get_client(write=True)
    assert client.get_client(write=True) is first
    redis_cache.set("k", {"a": 1})
    assert redis_cache.get("k") == {"a": 1}
