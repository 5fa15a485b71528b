"""Saved test events: a student keeps the Test box's event under a name and picks it again later, as the
Lambda console's private test events (https://docs.aws.amazon.com/lambda/latest/dg/testing-functions.html:
"You can create up to 10 test events per function"). Saved events belong to one student and one lab; only
their owner lists, loads or deletes them. The event is checked by the playground's own parser, so a saved
event is always one the Test button accepts."""

from __future__ import annotations

import re

from django.db import transaction

from labs import jobs
from labs.models import Lab, SavedEvent
from labs.playground import parse_event

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_SAVED_EVENTS",
    "SavedEventRejected",
    "saved_event_delete",
    "saved_event_save",
    "saved_events_of",
]

MAX_SAVED_EVENTS = 10  # the console's limit per function (page above)
# The console's event-name form: letters, numbers, dots, hyphens and underscores, at most 25 characters.
MAX_NAME_LENGTH = 25
_NAME = re.compile(r"[A-Za-z0-9._-]+")


class SavedEventRejected(jobs.JobRejected):
    """A save or delete was refused; ``message`` (and ``status``) are for the student."""


def saved_events_of(user, lab: Lab) -> list[SavedEvent]:
    return list(SavedEvent.objects.filter(user=user, lab=lab).order_by("name"))


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise SavedEventRejected("Give the event a name, for example big-number.")
    if len(name) > MAX_NAME_LENGTH:
        raise SavedEventRejected(
            f"The name {name[:MAX_NAME_LENGTH]}… is {len(name)} characters long; the most is {MAX_NAME_LENGTH}."
        )
    if not _NAME.fullmatch(name):
        raise SavedEventRejected(
            f"The name {name!r} may hold only letters, numbers, dots (.), hyphens (-) and underscores (_)."
        )
    return name


def saved_event_save(*, user, lab: Lab, name: str, event_text: str) -> SavedEvent:
    """Save ``event_text`` under ``name`` for ``user`` and ``lab``; an event of that name is replaced (as
    the console's "Save" does for the event being edited). Raises ``SavedEventRejected`` saying what is
    wrong: a bad name, invalid JSON (the playground's messages, with line and column), or the limit."""
    name = _checked_name(name)
    try:
        event = parse_event(event_text)
    except jobs.JobRejected as error:
        raise SavedEventRejected(f"Not saved. {error.message}") from None
    with transaction.atomic():
        # Lock the student's events for this lab, so two tabs saving at once cannot pass the limit.
        names = list(
            SavedEvent.objects.select_for_update().filter(user=user, lab=lab).values_list("name", flat=True)
        )
        if name not in names and len(names) >= MAX_SAVED_EVENTS:
            raise SavedEventRejected(
                f"You already have {MAX_SAVED_EVENTS} saved events for this lab, the most there can be; "
                "delete one first, or save under the name of one you have."
            )
        saved, _ = SavedEvent.objects.update_or_create(
            user=user, lab=lab, name=name, defaults={"event": event}
        )
    return saved


def saved_event_delete(*, user, lab: Lab, name: str) -> None:
    """Delete the student's saved event ``name``. Raises ``SavedEventRejected`` if there is none."""
    deleted, _ = SavedEvent.objects.filter(user=user, lab=lab, name=name).delete()
    if not deleted:
        raise SavedEventRejected(f"You have no saved event named {name!r} for this lab.", 404)
