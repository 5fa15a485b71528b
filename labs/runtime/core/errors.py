"""The runtime's own errors (AWS API errors are returned as AWS returns them, through boto3)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "InvalidCodeError",
    "LabsRuntimeError",
    "ProtocolError",
    "SandboxUnavailableError",
    "TemplateError",
    "TemplateProblem",
]


class LabsRuntimeError(Exception):
    """Base class of every error the runtime raises itself; carries a message saying what and where."""


class SandboxUnavailableError(LabsRuntimeError):
    """No isolated execution environment can be created here: carries the reason (bubblewrap missing,
    user namespaces disabled, fork server gone) and how to enable the unsafe development mode."""


class InvalidCodeError(LabsRuntimeError):
    """A function's code or layer archive is unusable: carries the zip entry or limit at fault."""


class ProtocolError(LabsRuntimeError):
    """An execution environment broke the channel protocol: carries the frame field or size at fault."""


@dataclass(frozen=True)
class TemplateProblem:
    """One finding about a CloudFormation/SAM template: the rule id (cfn-lint's, ``Transform`` for SAM's
    translator, None for the deployment's own checks), the message, the path in the template
    (``Resources/Queue/Properties/VisibilityTimeout``), the 1-based line and the file, where known."""

    rule_id: str | None
    message: str
    path: str = ""
    line: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = f"{self.file or 'template'}:{self.line}" if self.line else self.file or "template"
        rule = f" {self.rule_id}" if self.rule_id else ""
        at = f" (at {self.path})" if self.path else ""
        return f"{where}:{rule} {self.message}{at}"


class TemplateError(LabsRuntimeError):
    """A template that cannot be deployed: carries ``problems`` (every ``TemplateProblem`` found) and,
    from the first one, ``file``, ``line``, ``path`` and ``rule_id``."""

    def __init__(self, problems: list[TemplateProblem]) -> None:
        self.problems = list(problems)
        first = self.problems[0]
        self.file, self.line, self.path, self.rule_id = first.file, first.line, first.path, first.rule_id
        count = len(self.problems)
        heading = "the template cannot be deployed" if count == 1 else f"the template has {count} errors"
        super().__init__(heading + ":\n" + "\n".join(f"  {problem}" for problem in self.problems))
