"""IAM policy evaluation: identity policies of an execution role, and resource-based policies of functions.

A pure function over plain data (policy documents as dicts). It follows AWS's evaluation logic for one
account: an explicit Deny wins; otherwise any Allow allows; otherwise the request is implicitly denied.
Supported: Action/NotAction, Resource/NotResource, Principal (for resource policies), ``*`` and ``?``
wildcards, and conditions with the String*, Arn* and Bool operators (with ``...IfExists`` and ``ForAnyValue``
not supported), e.g. on ``aws:SourceArn`` and ``aws:SourceAccount``. Condition keys are case-insensitive.
See https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Decision", "evaluate", "access_denied_message"]


@dataclass(frozen=True)
class Decision:
    """The outcome: ``allowed``, and ``reason`` ("allow", "explicit_deny", "explicit_deny_resource" or
    "implicit_deny")."""

    allowed: bool
    reason: str


@lru_cache(maxsize=4096)
def _pattern(glob: str, case_sensitive: bool) -> re.Pattern:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{regex}$", 0 if case_sensitive else re.IGNORECASE)


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _matches_any(patterns: object, value: str, case_sensitive: bool) -> bool:
    return any(_pattern(str(p), case_sensitive).match(value) for p in _as_list(patterns))


def _condition_holds(operator: str, key: str, expected: object, context: dict[str, str]) -> bool:
    actual = {k.lower(): v for k, v in context.items()}.get(key.lower())
    if actual is None:
        return operator.endswith("IfExists") or operator == "Null"
    operator = operator.removesuffix("IfExists")
    values = [str(v) for v in _as_list(expected)]
    if operator in ("StringEquals", "ArnEquals"):
        return actual in values
    if operator == "StringEqualsIgnoreCase":
        return actual.lower() in [v.lower() for v in values]
    if operator in ("StringNotEquals", "ArnNotEquals"):
        return actual not in values
    if operator in ("StringLike", "ArnLike"):
        return _matches_any(values, actual, True)
    if operator in ("StringNotLike", "ArnNotLike"):
        return not _matches_any(values, actual, True)
    if operator == "Bool":
        return actual.lower() in [v.lower() for v in values]
    return False  # an operator we do not know never matches, so it can only narrow an Allow


def _conditions_hold(conditions: dict, context: dict[str, str]) -> bool:
    if not isinstance(conditions or {}, dict):
        return False  # a malformed Condition block (AWS refuses such a policy) never widens an Allow
    if any(not isinstance(pairs, dict) for pairs in (conditions or {}).values()):
        return False  # e.g. "ArnEquals:" left empty in YAML: null, not a map of keys to values
    return all(
        _condition_holds(operator, key, expected, context)
        for operator, pairs in (conditions or {}).items()
        for key, expected in pairs.items()
    )


def _principal_matches(principal: object, caller: dict[str, str]) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for kind, values in principal.items():
        for value in _as_list(values):
            if value == "*":
                return True
            if kind == "Service" and value == caller.get("service"):
                return True
            if kind == "AWS" and value in (
                caller.get("arn"),
                caller.get("account"),
                f"arn:aws:iam::{caller.get('account')}:root",
            ):
                return True
    return False


def _statement_applies(
    statement: dict, action: str, resource: str, context: dict, caller: dict | None
) -> bool:
    if "Action" in statement and not _matches_any(statement["Action"], action, False):
        return False
    if "NotAction" in statement and _matches_any(statement["NotAction"], action, False):
        return False
    if "Resource" in statement and not _matches_any(statement["Resource"], resource, True):
        return False
    if "NotResource" in statement and _matches_any(statement["NotResource"], resource, True):
        return False
    if caller is not None and not _principal_matches(statement.get("Principal"), caller):
        return False
    return _conditions_hold(statement.get("Condition", {}), context)


def evaluate(
    policies: list[dict | str],
    action: str,
    resource: str,
    context: dict[str, str] | None = None,
    caller: dict[str, str] | None = None,
) -> Decision:
    """Decide whether ``policies`` allow ``action`` on ``resource``.

    ``policies`` are documents (dicts or JSON text). Pass ``caller`` (keys ``service``, ``arn``, ``account``)
    to evaluate resource-based policies, whose statements must also name the caller as Principal.
    Raises ``ValueError`` for a document that is not JSON.
    """
    context = context or {}
    allowed = False
    for policy in policies:
        document = json.loads(policy) if isinstance(policy, str) else policy
        for statement in _as_list(document.get("Statement", [])):
            if not _statement_applies(statement, action, resource, context, caller):
                continue
            if statement.get("Effect") == "Deny":
                return Decision(False, "explicit_deny")
            if statement.get("Effect") == "Allow":
                allowed = True
    return Decision(allowed, "allow" if allowed else "implicit_deny")


def access_denied_message(principal_arn: str, action: str, resource: str, decision: Decision) -> str:
    """AWS's AccessDenied wording, naming the principal, the action and the resource."""
    why = {
        "explicit_deny": "with an explicit deny in an identity-based policy",
        "explicit_deny_resource": "with an explicit deny in a resource-based policy",
    }.get(decision.reason, f"because no identity-based policy allows the {action} action")
    return f"User: {principal_arn} is not authorized to perform: {action} on resource: {resource} {why}"
