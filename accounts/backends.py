"""Authentication backend that keeps the logged-in user in the shared cache.

Django loads the user from the database on every request. Under a class answering a poll at once that one
query is a large share of each request, so the user object is cached (in Redis in production) and removed
from the cache whenever the user is saved or deleted (``accounts.signals``): a password change, a
deactivation or a role change is seen on the next request. The TTL bounds the case of a bulk
``QuerySet.update`` that sends no signal.
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.core.cache import cache

USER_TTL_S = 300


def user_cache_key(user_id) -> str:
    return f"authuser:{user_id}"


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id):
        key = user_cache_key(user_id)
        user = cache.get(key)
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                cache.set(key, user, timeout=USER_TTL_S)
        return user if user is not None and self.user_can_authenticate(user) else None


def forget_user(user_id) -> None:
    cache.delete(user_cache_key(user_id))


__all__ = ["CachedModelBackend", "User", "forget_user"]
