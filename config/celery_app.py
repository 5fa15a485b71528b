"""The Celery application. Tasks live in each app's ``tasks.py`` and are found by autodiscovery."""

import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
