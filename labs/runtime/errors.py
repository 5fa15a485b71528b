"""The runtime's own errors (AWS API errors are returned as AWS returns them, through boto3)."""

from __future__ import annotations

__all__ = ["InvalidCodeError", "LabsRuntimeError", "ProtocolError", "SandboxUnavailableError"]


class LabsRuntimeError(Exception):
    """Base class of every error the runtime raises itself; carries a message saying what and where."""


class SandboxUnavailableError(LabsRuntimeError):
    """No isolated execution environment can be created here: carries the reason (bubblewrap missing,
    user namespaces disabled, fork server gone) and how to enable the unsafe development mode."""


class InvalidCodeError(LabsRuntimeError):
    """A function's code or layer archive is unusable: carries the zip entry or limit at fault."""


class ProtocolError(LabsRuntimeError):
    """An execution environment broke the channel protocol: carries the frame field or size at fault."""
