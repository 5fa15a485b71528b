"""Role or profile changes made anywhere (admin included) change what the user's cached pages show.

Accounts sit below the apps that cache per-user pages, so they do not call those caches: they forget the
cached user (``backends.forget_user``) and announce ``user_changed``; an app whose cached pages depend
on the user connects to it (courses: ``courses.apps``, which bumps the lesson-page cache's generation).
"""

from django.contrib.auth.models import User
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal

from .backends import forget_user

# Sent with ``user_id`` after a user's row, role (groups) or profile changed.
user_changed = Signal()


def _changed(user_id: int) -> None:
    forget_user(user_id)
    user_changed.send(sender=User, user_id=user_id)


def _user_saved(sender, instance: User, **kwargs) -> None:
    _changed(instance.pk)


def _user_deleted(sender, instance: User, **kwargs) -> None:
    forget_user(instance.pk)


def _groups_changed(sender, instance, action: str, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if isinstance(instance, User):
        _changed(instance.pk)
    else:  # a group's members changed from the group side
        for user_id in pk_set or User.objects.filter(groups=instance).values_list("pk", flat=True):
            _changed(user_id)


def connect() -> None:
    post_save.connect(_user_saved, sender=User, dispatch_uid="accounts.user_saved")
    post_delete.connect(_user_deleted, sender=User, dispatch_uid="accounts.user_deleted")
    m2m_changed.connect(_groups_changed, sender=User.groups.through, dispatch_uid="accounts.groups_changed")
