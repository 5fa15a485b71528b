"""Grading: the one place the Django side meets the runtime (``labs.runtime``). Pure Python: no Django.

- ``catalog``: a lab's folder (``labs/content/<slug>/``) loaded and validated into a ``LabSpec``.
- ``checks``: the API that graders are written in (``@check``, ``CheckFailed``).
- ``files``: the rule for submitted files, which the web process applies against the ``Lab`` row.
- ``session``: the ``Session`` a check works with (the student's files and a fresh simulated account).
- ``runner``: ``grade`` (a submission's report), ``invoke_draft`` (the playground's one invocation),
  ``warm_up`` (each worker process, once), ``worker_started`` / ``worker_stopping`` (the sandbox's files of
  dead and ending worker processes removed).

Django code imports from this package, never from ``labs.runtime``; graders, being trusted grading code,
may use the runtime's helpers directly.
"""

from labs.grading.catalog import CATALOG_DIR, VISIBILITIES, LabError, LabSpec, load_catalog, load_lab
from labs.grading.checks import Check, CheckFailed, check
from labs.grading.files import MAX_FILE_BYTES, validate_files
from labs.grading.runner import execute_draft, grade, invoke_draft, warm_up, worker_started, worker_stopping
from labs.grading.session import InfrastructureError, InvocationResult, Session
from labs.runtime.events import EVENTS as SAMPLE_EVENT_KINDS
from labs.runtime.events import generate_event

__all__ = [
    "CATALOG_DIR",
    "MAX_FILE_BYTES",
    "SAMPLE_EVENT_KINDS",
    "VISIBILITIES",
    "Check",
    "CheckFailed",
    "InfrastructureError",
    "InvocationResult",
    "LabError",
    "LabSpec",
    "Session",
    "check",
    "execute_draft",
    "generate_event",
    "grade",
    "invoke_draft",
    "load_catalog",
    "load_lab",
    "validate_files",
    "warm_up",
    "worker_started",
    "worker_stopping",
]
