"""The Celery application. Tasks live in each app's ``tasks.py`` and are found by autodiscovery."""

import os
import signal

from celery import Celery
from celery.signals import (
    worker_init,
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _sweep_abandoned_code(**_: object) -> None:
    """At worker start: remove the code stores and pids cgroups of worker processes that were killed
    (SIGKILL, a crash) before they could remove their own."""
    from labs.grading import worker_started

    worker_started()


@worker_shutdown.connect
@worker_process_shutdown.connect
def _close_sandboxes(**_: object) -> None:
    """When a worker process ends, its fork server goes and the unpacked student code with it. Prefork
    children leave with ``os._exit``, which skips ``atexit``; ``worker_process_shutdown`` runs before it."""
    from labs.grading import worker_stopping

    worker_stopping()


def _close_sandboxes_on_sigterm(signum: int, _frame: object) -> None:
    """SIGTERM sent to a pool child itself (billiard resets it to the default, which ends the process at
    once): remove the sandbox's files first, then end as the default action would."""
    _close_sandboxes()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


@worker_process_init.connect
def _close_sandboxes_on_termination(**_: object) -> None:
    signal.signal(signal.SIGTERM, _close_sandboxes_on_sigterm)


@worker_process_init.connect
def _warm_up_grading(**_: object) -> None:
    """Each worker process loads the runtime and the template tools before its first task, so the first
    student of a session does not wait seconds for them (a failure is logged; grading reports it later)."""
    import logging

    try:
        from labs.grading import warm_up

        warm_up()
    except Exception:  # noqa: BLE001 - warming is an optimisation; the task itself surfaces real problems
        logging.getLogger(__name__).exception("labs: warming up the grading runtime failed")


@worker_ready.connect
def _tell_the_launcher(**_: object) -> None:
    """config/launch.py prints its summary once the worker is ready, below the worker's start-up warnings."""
    ready_file = os.environ.get("PLATFORM_WORKER_READY_FILE")
    if ready_file:
        with open(ready_file, "w") as handle:
            handle.write(str(os.getpid()))
