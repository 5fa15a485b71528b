"""Role or profile changes made anywhere (admin included) change what the user's cached pages show."""

from django.contrib.auth.models import User
from django.db.models.signals import m2m_changed, post_delete, post_save

from courses.page_cache import user_generation_bump

from .backends import forget_user


def _user_saved(sender, instance: User, **kwargs) -> None:
    forget_user(instance.pk)
    user_generation_bump(user_id=instance.pk)


def _user_deleted(sender, instance: User, **kwargs) -> None:
    forget_user(instance.pk)


def _groups_changed(sender, instance, action: str, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if isinstance(instance, User):
        forget_user(instance.pk)
        user_generation_bump(user_id=instance.pk)
    else:  # a group's members changed from the group side
        for user_id in pk_set or User.objects.filter(groups=instance).values_list("pk", flat=True):
            forget_user(user_id)
            user_generation_bump(user_id=user_id)


def connect() -> None:
    post_save.connect(_user_saved, sender=User, dispatch_uid="accounts.user_saved")
    post_delete.connect(_user_deleted, sender=User, dispatch_uid="accounts.user_deleted")
    m2m_changed.connect(_groups_changed, sender=User.groups.through, dispatch_uid="accounts.groups_changed")
