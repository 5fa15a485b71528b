"""Log-in lockout and sign-up rate limit (issue 17, review MEDIUM-3): django-axes counting in the cache."""

import time
from datetime import timedelta

import pytest
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import reverse

from accounts.services import user_create
from accounts.throttling import SignupRateLimited, signup_check, signup_record

pytestmark = pytest.mark.django_db

A = {"REMOTE_ADDR": "203.0.113.7"}
B = {"REMOTE_ADDR": "198.51.100.9"}


def attempt(client, username, password, address=A, url=None):
    return client.post(url or reverse("login"), {"username": username, "password": password}, **address)


def assert_locked(response):
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed log-in attempts" in page and "try again in 15 minutes" in page
    assert '<form method="post"' in page and "<html" in page  # the site's log-in page, not a bare 403
    assert response["Retry-After"] == "900"


def test_five_wrong_passwords_lock_the_username_even_with_the_right_one(client, student):
    for _ in range(4):
        assert attempt(client, "stu", "wrong").status_code == 200
    assert_locked(attempt(client, "stu", "wrong"))
    assert_locked(attempt(client, "stu", "stu-pass-123"))
    assert "_auth_user_id" not in client.session
    # the username is locked whatever the address; another user at the same address is not
    assert_locked(attempt(client, "stu", "stu-pass-123", address=B))
    user_create(username="ann", password="ann-pass-123")
    assert attempt(client, "ann", "ann-pass-123").status_code == 302


def test_thirty_failures_from_one_address_lock_the_address_not_other_addresses(client, student):
    for number in range(29):
        assert attempt(client, f"guess{number}", "wrong").status_code == 200
    assert_locked(attempt(client, "guess-last", "wrong"))
    assert_locked(attempt(client, "stu", "stu-pass-123"))
    assert attempt(client, "stu", "stu-pass-123", address=B).status_code == 302


def test_a_correct_password_clears_the_usernames_failures_but_not_the_addresses(client, student):
    for _ in range(4):
        attempt(client, "stu", "wrong")
    assert attempt(client, "stu", "stu-pass-123").status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):  # would be the 8th failure without the reset
        assert attempt(client, "stu", "wrong").status_code == 200
    for number in range(21):  # 8 + 21 = 29 from this address so far
        attempt(client, f"guess{number}", "wrong")
    assert_locked(attempt(client, "someone", "wrong"))


def test_the_admin_log_in_is_locked_with_the_same_page(client, instructor):
    instructor.is_staff = True
    instructor.save()
    url = reverse("admin:login")
    for _ in range(4):
        assert attempt(client, "teach", "wrong", url=url).status_code == 200
    assert_locked(attempt(client, "teach", "wrong", url=url))
    assert_locked(attempt(client, "teach", "teach-pass-123", url=url))


@override_settings(AXES_COOLOFF_TIME=timedelta(seconds=1))
def test_the_lock_lifts_after_the_cool_off(client, student):
    for _ in range(5):
        attempt(client, "stu", "wrong")
    locked = attempt(client, "stu", "stu-pass-123")
    assert locked.status_code == 429 and "try again in 1 minute." in locked.content.decode()
    time.sleep(1.2)  # the cache entries expire with the cool-off: axes' own handling, no clock to fake
    assert attempt(client, "stu", "stu-pass-123").status_code == 302


@pytest.fixture
def redis_cache(redis_url):
    caches = {"default": {"BACKEND": "config.redis_cache.ReusingRedisCache", "LOCATION": redis_url}}
    with override_settings(CACHES=caches):
        from django.core.cache import cache

        cache.clear()
        AxesProxyHandler.get_implementation(force=True)
        yield cache
        cache.clear()
    AxesProxyHandler.get_implementation(force=True)


@override_settings(AXES_COOLOFF_TIME=timedelta(seconds=1))
def test_on_redis_the_lock_is_shared_and_expires(client, student, redis_cache):
    for _ in range(5):
        attempt(client, "stu", "wrong")
    assert any(key.startswith(b":1:axes-") for key in redis_cache._cache.get_client().keys("*"))
    assert attempt(client, "stu", "stu-pass-123").status_code == 429
    time.sleep(1.2)
    assert attempt(client, "stu", "stu-pass-123").status_code == 302


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(client, student):
    for _ in range(30):
        attempt(
            client,
            "x",
            "wrong",
            address={"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "forged, 1.2.3.4"},
        )
    other_client = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "5.6.7.8"}
    assert attempt(client, "stu", "stu-pass-123", address=other_client).status_code == 302


def signup(client, username, address=A):
    data = {"username": username, "email": "", "password1": "a-Long-pass-42", "password2": "a-Long-pass-42"}
    response = client.post(reverse("signup"), data, **address)
    client.post(reverse("logout"))
    return response


@override_settings(SIGNUP_LIMIT_PER_ADDRESS=2)
def test_sign_up_is_limited_per_address_with_a_clear_message(client):
    assert signup(client, "one").status_code == 302
    assert signup(client, "two").status_code == 302
    refused = signup(client, "three")
    assert refused.status_code == 429 and int(refused["Retry-After"]) <= 3601
    page = refused.content.decode()
    assert "Too many accounts have been created from your network address" in page
    assert "the limit is 2 per hour" in page and '<form method="post"' in page
    assert not User.objects.filter(username="three").exists()
    assert signup(client, "three", address=B).status_code == 302


@override_settings(SIGNUP_LIMIT_PER_ADDRESS=2)
def test_the_sign_up_limit_resets_each_hour():
    start = 7200.0 * 1000 + 60  # one minute into an hour
    signup_record(address="a", now=start)
    signup_record(address="a", now=start + 1)
    with pytest.raises(SignupRateLimited) as refused:
        signup_check(address="a", now=start + 2)
    assert refused.value.retry_after_s == pytest.approx(3600 - 62)
    assert "try again in 59 minutes" in str(refused.value).lower()
    signup_check(address="b", now=start + 2)
    signup_check(address="a", now=start + 3540)  # the next hour


def test_an_invalid_sign_up_is_not_counted(client):
    with override_settings(SIGNUP_LIMIT_PER_ADDRESS=1):
        bad = client.post(reverse("signup"), {"username": "ada", "password1": "x", "password2": "y"}, **A)
        assert bad.status_code == 400
        assert signup(client, "ada").status_code == 302
