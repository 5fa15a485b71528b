"""Amazon SNS subscription filter policies.

SNS filter policies use the same pattern language as EventBridge (``eventbridge/patterns.py`` compiles and matches them),
with SNS's own rules on top (https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html and
.../subscription-filter-policy-constraints.html):

- ``FilterPolicyScope`` ``MessageAttributes`` (the default) filters on message attributes: the policy is flat (no
  nesting). String attributes match string conditions; Number attributes match numbers and ``numeric`` ranges;
  String.Array attributes (a JSON array in ``Value``) match if any element matches; Binary attributes are never
  compared, so a policy key naming one behaves as if the attribute were absent.
- ``MessageBody`` filters on the JSON body, where the policy may nest like the body does; a body that is not a
  JSON object matches nothing.
- Operators: exact values, ``anything-but`` (values, lists, ``prefix``, ``suffix``), ``numeric``, ``prefix``,
  ``suffix``, ``equals-ignore-case``, ``exists``, ``cidr`` and ``$or``. ``wildcard`` is EventBridge-only.
- Limits: at most 5 keys, at most 150 combinations (the product of the number of values in each array) and
  256 KB of policy; the errors use SNS's words ("Filter policy can not have more than 5 keys", "Filter policy is
  too complex").
"""

from __future__ import annotations

import json

from labs.runtime import eventbridge

__all__ = [
    "CompiledFilterPolicy",
    "InvalidFilterPolicyError",
    "compile_filter_policy",
    "filter_policy_matches",
]

MAX_KEYS = 5
MAX_COMBINATIONS = 150
MAX_POLICY_BYTES = 256 * 1024  # subscription-filter-policy-constraints.html: "The maximum size ... is 256 KB"
SCOPES = ("MessageAttributes", "MessageBody")


class InvalidFilterPolicyError(ValueError):
    """The filter policy is not valid; the message says why and where, as SNS's InvalidParameter error does."""

    def __init__(self, problem: str, path: str = "$") -> None:
        self.problem, self.path = problem, path
        super().__init__(f"Invalid parameter: FilterPolicy: {problem} at {path}")


class CompiledFilterPolicy:
    """A validated policy for one scope; ``matches(message)`` is a pure function of the message."""

    def __init__(self, pattern: eventbridge.CompiledPattern, scope: str) -> None:
        self._pattern, self.scope = pattern, scope

    def matches(self, message: dict) -> bool:
        """``message`` has ``MessageAttributes`` (``{"name": {"Type": ..., "Value": ...}}``) and ``Message``."""
        if self.scope == "MessageBody":
            try:
                body = json.loads(message.get("Message") or "")
            except (TypeError, ValueError):
                return False
            return isinstance(body, dict) and self._pattern.matches(body)
        return self._pattern.matches(_attribute_values(message.get("MessageAttributes") or {}))


def compile_filter_policy(policy: dict | str, scope: str = "MessageAttributes") -> CompiledFilterPolicy:
    """Validate ``policy`` (a dict or JSON text) for ``scope``. Raises ``InvalidFilterPolicyError``."""
    if scope not in SCOPES:
        raise InvalidFilterPolicyError(f"FilterPolicyScope must be one of {', '.join(SCOPES)}, not {scope!r}")
    text = policy if isinstance(policy, str) else json.dumps(policy, separators=(",", ":"))
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise InvalidFilterPolicyError(
            f"Filter policy is too large: the maximum size is {MAX_POLICY_BYTES} bytes"
        )
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError as error:
            raise InvalidFilterPolicyError(f"not valid JSON ({error})") from None
    if not isinstance(policy, dict):
        raise InvalidFilterPolicyError("the policy must be a JSON object")
    _check_sns_rules(policy, "$", nested_allowed=scope == "MessageBody")
    keys = _count_keys(policy)
    if keys > MAX_KEYS:
        raise InvalidFilterPolicyError(f"Filter policy can not have more than {MAX_KEYS} keys")
    combinations = _combinations(policy)
    if combinations > MAX_COMBINATIONS:
        raise InvalidFilterPolicyError(
            f"Filter policy is too complex ({combinations} combinations of values, at most {MAX_COMBINATIONS})"
        )
    try:
        return CompiledFilterPolicy(eventbridge.compile_pattern(policy), scope)
    except eventbridge.InvalidEventPatternError as error:
        raise InvalidFilterPolicyError(error.problem, error.path) from None


def filter_policy_matches(policy: dict, message: dict, scope: str = "MessageAttributes") -> bool:
    """Whether SNS would deliver ``message`` to a subscription with ``policy`` in ``scope``."""
    return compile_filter_policy(policy, scope).matches(message)


# -- SNS's own rules ------------------------------------------------------------------------------------------
def _check_sns_rules(policy: dict, path: str, nested_allowed: bool) -> None:
    for key, value in policy.items():
        where = f"{path}.{key}"
        if key == "$or":
            for index, branch in enumerate(value if isinstance(value, list) else []):
                if isinstance(branch, dict):
                    _check_sns_rules(branch, f"{where}[{index}]", nested_allowed)
        elif isinstance(value, dict):
            if not nested_allowed:
                raise InvalidFilterPolicyError(
                    "nested policies are only allowed with FilterPolicyScope MessageBody", where
                )
            _check_sns_rules(value, where, nested_allowed)
        elif isinstance(value, list):
            for index, condition in enumerate(value):
                if isinstance(condition, dict) and "wildcard" in condition:
                    raise InvalidFilterPolicyError('Unrecognized match type "wildcard"', f"{where}[{index}]")
                inner = condition.get("anything-but") if isinstance(condition, dict) else None
                if isinstance(inner, dict) and not set(inner) <= {"prefix", "suffix"}:
                    raise InvalidFilterPolicyError(
                        "anything-but in SNS takes values, a list, prefix or suffix", f"{where}[{index}]"
                    )


def _count_keys(policy: dict) -> int:
    """Leaf keys, as SNS counts them (the keys of ``$or`` branches count too)."""
    count = 0
    for key, value in policy.items():
        if key == "$or" and isinstance(value, list):
            count += sum(_count_keys(branch) for branch in value if isinstance(branch, dict))
        elif isinstance(value, dict):
            count += _count_keys(value)
        else:
            count += 1
    return count


def _combinations(policy: dict) -> int:
    total = 1
    for key, value in policy.items():
        if key == "$or" and isinstance(value, list):
            total *= max(1, sum(_combinations(branch) for branch in value if isinstance(branch, dict)))
        elif isinstance(value, dict):
            total *= _combinations(value)
        elif isinstance(value, list):
            total *= max(1, len(value))
    return total


def _attribute_values(attributes: dict) -> dict:
    """Message attributes as values the pattern matcher compares: strings, numbers, arrays; Binary left out."""
    values: dict = {}
    for name, attribute in attributes.items():
        if not isinstance(attribute, dict):
            continue
        kind = str(attribute.get("Type") or attribute.get("DataType") or "String")
        raw = attribute.get("Value", attribute.get("StringValue"))
        if kind.startswith("Binary") or raw is None:
            continue
        if kind.startswith("Number"):
            try:
                values[name] = float(raw)
            except (TypeError, ValueError):
                values[name] = raw
        elif kind == "String.Array":
            try:
                parsed = json.loads(raw) if isinstance(raw, str) else raw
            except ValueError:
                parsed = raw
            values[name] = parsed if isinstance(parsed, list) else [parsed]
        else:
            values[name] = raw
    return values
