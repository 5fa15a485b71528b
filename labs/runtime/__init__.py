"""The mock serverless runtime: one simulated AWS account per ``Cloud``, with Lambda functions run in
sandboxed execution environments. Pure Python; never imports Django (see README.md in this folder).

Importing this package is cheap: ``Cloud`` (and with it boto3 and moto) loads on first attribute access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labs.runtime.core.errors import (
    InvalidCodeError,
    LabsRuntimeError,
    ProtocolError,
    SandboxUnavailableError,
    TemplateError,
)

if TYPE_CHECKING:
    from labs.runtime.awslambda.invocation import Invocation
    from labs.runtime.cloud import Cloud

__all__ = [
    "Cloud",
    "Invocation",
    "InvalidCodeError",
    "LabsRuntimeError",
    "ProtocolError",
    "SandboxUnavailableError",
    "TemplateError",
]


def __getattr__(name: str) -> object:
    if name == "Cloud":
        from labs.runtime.cloud import Cloud

        return Cloud
    if name == "Invocation":
        from labs.runtime.awslambda.invocation import Invocation

        return Invocation
    raise AttributeError(f"module 'labs.runtime' has no attribute {name!r}")
