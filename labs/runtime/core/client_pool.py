"""Host boto3 clients lent to one Cloud at a time, so a grading does not pay for creating them.

Creating a boto3 client costs 3-4 ms of CPU (botocore builds a class with a method per operation and copies
the session's event handlers), 7-12 ms of wall time on a loaded machine, and every grading makes at least
two (IAM and Lambda). A client holds no account state of its own: where its requests go is decided by its
``before-send`` handler. A pooled client's handler sends to whichever Cloud holds its lease, and refuses
(``LabsRuntimeError``) when none does, so a client kept past its Cloud's ``close()`` can never reach another
account or the network.

Clients of services whose botocore client keeps per-client caches that depend on an account's resources are
never pooled: S3 remembers which region each bucket answered from (its redirector cache), and a bucket name
is any account's to reuse. Pools are per thread, as boto3 sessions are (see ``boto3_session``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import boto3
import botocore.loaders
import botocore.session

from labs.runtime.core.errors import LabsRuntimeError

__all__ = ["ClientLease", "boto3_session", "lease", "release"]

_NOT_POOLED = frozenset({"s3", "s3control", "s3outposts"})
_MAX_IDLE_PER_SERVICE = 8  # nested Clouds in one thread need several; more would only hold memory
_POOLS = threading.local()
# One botocore data loader for every Cloud of the process: it caches the service models and endpoint data it
# has parsed, which a fresh boto3 session would otherwise parse again (~0.2 s per client on these machines).
_DATA_LOADER = botocore.loaders.create_loader()
_SESSIONS = threading.local()


def boto3_session(region: str) -> boto3.session.Session:
    """The boto3 session of this thread for ``region``, shared by its Clouds. Making one costs ~40 ms
    (botocore registers its built-in handlers); the clients made from it are independent, each Cloud
    hooking its own. boto3 sessions are not thread-safe, hence one per thread."""
    sessions = _SESSIONS.__dict__.setdefault("by_region", {})
    session = sessions.get(region)
    if session is None:
        core = botocore.session.Session()
        core.register_component("data_loader", _DATA_LOADER)
        session = sessions[region] = boto3.session.Session(
            botocore_session=core,
            aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
            aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  # noqa: S106 - AWS's documented example key
            region_name=region,
        )
        # boto3 appends its own data folder to the loader's search path for every session: keep it once.
        paths = _DATA_LOADER.search_paths
        paths[:] = list(dict.fromkeys(paths))
    return session


class ClientLease:
    """One pooled client and the Cloud it currently sends for (None between leases)."""

    def __init__(self, client: Any, pool: list[ClientLease], prepare: Callable) -> None:
        self.client = client
        self.cloud = None
        self._pool = pool
        client.meta.events.register_first("before-send", self._send)
        prepare(client, lambda: self.cloud)

    def _send(self, request, **_: object):
        cloud = self.cloud
        if cloud is None:
            raise LabsRuntimeError("this boto3 client belonged to a simulated account that has been closed")
        return cloud._send_from_host(request)


def lease(cloud, session, region: str, service_name: str, prepare: Callable) -> ClientLease | None:
    """A client of ``service_name`` bound to ``cloud`` until ``release``; None for services never pooled.
    A new client is passed to ``prepare(client, cloud_of)`` once, ``cloud_of()`` giving its holder."""
    if service_name in _NOT_POOLED:
        return None
    pools = _POOLS.__dict__.setdefault("by_key", {})
    pool = pools.setdefault((region, service_name), [])
    leased = pool.pop() if pool else ClientLease(session.client(service_name), pool, prepare)
    leased.cloud = cloud
    return leased


def release(leases: list[ClientLease]) -> None:
    """End ``leases``: their clients refuse to send until lent again, and go back to their thread's pool."""
    for leased in leases:
        leased.cloud = None
        if len(leased._pool) < _MAX_IDLE_PER_SERVICE:
            leased._pool.append(leased)
    leases.clear()
