"""CloudFormation's intrinsic functions, condition functions and pseudo parameters, over plain JSON data.

``Resolver.resolve(value, path)`` evaluates every ``Ref`` / ``Fn::*`` in ``value`` against the stack's
parameters, mappings, conditions and the resources created so far; ``references(value)`` lists the
logical ids a value depends on (the edges of the deployment graph). Both follow the CloudFormation
reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

from labs.runtime.cloudformation.coercion import scalar_text

__all__ = ["NO_VALUE", "IntrinsicError", "Resolver", "references", "sub_names"]

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)
# Availability zones per region as Fn::GetAZs lists them for a default VPC account (us-east-1 has six).
_AZ_LETTERS = {"us-east-1": "abcdef", "us-west-2": "abcd", "ap-northeast-1": "acd"}


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


class IntrinsicError(ValueError):
    """An intrinsic function that cannot be evaluated: carries the message and ``path`` (a list of keys
    and indexes from the template's root to the function)."""

    def __init__(self, message: str, path: list) -> None:
        super().__init__(message)
        self.message = message
        self.path = list(path)


def sub_names(template_string: str) -> list[str]:
    """The ``${Name}`` / ``${Name.Attribute}`` variables of an ``Fn::Sub`` string (``${!Literal}`` skipped)."""
    return [name.strip() for name in _SUB_VARIABLE.findall(template_string) if not name.startswith("!")]


def references(value: Any) -> set[str]:
    """The names (logical ids, parameters, pseudo parameters) that ``value`` reads through ``Ref``,
    ``Fn::GetAtt`` and ``Fn::Sub``; a ``Fn::Sub`` variable map's own names are not references."""
    found: set[str] = set()
    _collect(value, found)
    return found


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _collect(item, found)
        return
    if not isinstance(value, dict):
        return
    if len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref" and isinstance(argument, str):
            found.add(argument)
            return
        if key == "Fn::GetAtt":
            if isinstance(argument, str):
                found.add(argument.split(".", 1)[0])
            elif isinstance(argument, list) and argument and isinstance(argument[0], str):
                found.add(argument[0])
                _collect(argument[1:], found)
            return
        if key == "Fn::Sub":
            template_string, variables = (argument, {}) if isinstance(argument, str) else (None, {})
            if isinstance(argument, list) and argument:
                template_string = argument[0]
                variables = argument[1] if len(argument) > 1 and isinstance(argument[1], dict) else {}
                _collect(variables, found)
            if isinstance(template_string, str):
                found.update(
                    name.split(".", 1)[0] for name in sub_names(template_string) if name not in variables
                )
            else:
                _collect(template_string, found)  # an intrinsic that builds the template string
            return
    for item in value.values():
        _collect(item, found)


class Resolver:
    """Evaluates intrinsic functions. ``ref(name)`` and ``get_att(logical_id, attribute)`` answer for
    resources (they raise ``KeyError`` when the name is unknown); parameters and pseudo parameters are
    looked up here. ``conditions`` maps a condition name to its definition, evaluated on first use."""

    def __init__(
        self,
        *,
        parameters: dict[str, Any],
        pseudo: dict[str, Any],
        mappings: dict[str, Any],
        conditions: dict[str, Any],
        ref: Callable[[str], Any],
        get_att: Callable[[str, str], Any],
        imports: dict[str, Any] | None = None,
    ) -> None:
        self.parameters = parameters
        self.pseudo = pseudo
        self.mappings = mappings
        self.condition_definitions = conditions
        self._ref = ref
        self._get_att = get_att
        self.imports = imports or {}
        self._condition_values: dict[str, bool] = {}
        self._evaluating: list[str] = []

    # -- conditions ---------------------------------------------------------------------------------------
    def condition(self, name: Any, path: list) -> bool:
        """The value of the named condition (``Conditions`` section), evaluated once."""
        if not isinstance(name, str) or name not in self.condition_definitions:
            raise IntrinsicError(f"Condition {name!r} is not defined in the Conditions section", path)
        if name in self._condition_values:
            return self._condition_values[name]
        if name in self._evaluating:
            loop = " -> ".join([*self._evaluating[self._evaluating.index(name) :], name])
            raise IntrinsicError(f"Conditions refer to each other in a loop: {loop}", ["Conditions", name])
        self._evaluating.append(name)
        try:
            value = self.resolve(self.condition_definitions[name], ["Conditions", name])
        finally:
            self._evaluating.pop()
        if not isinstance(value, bool):
            raise IntrinsicError(
                f"Condition {name} must be built from Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition",
                ["Conditions", name],
            )
        self._condition_values[name] = value
        return value

    # -- evaluation -------------------------------------------------------------------------------------------
    def resolve(self, value: Any, path: list) -> Any:
        """``value`` with every intrinsic function evaluated; ``AWS::NoValue`` removes the key or item."""
        if isinstance(value, list):
            items = [self.resolve(item, [*path, index]) for index, item in enumerate(value)]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            handler = _FUNCTIONS.get(key)
            if handler is not None:
                return handler(self, argument, [*path, key])
        resolved = {key: self.resolve(item, [*path, key]) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _strict(self, value: Any, path: list) -> Any:
        resolved = self.resolve(value, path)
        if resolved is NO_VALUE:
            raise IntrinsicError("AWS::NoValue cannot be used here", path)
        return resolved

    def ref(self, name: Any, path: list) -> Any:
        if not isinstance(name, str):
            raise IntrinsicError("Ref takes the name of a parameter, resource or pseudo parameter", path)
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in PSEUDO_PARAMETERS:
            raise IntrinsicError(f"The pseudo parameter {name} is not available in this simulation", path)
        if name in self.parameters:
            return self.parameters[name]
        try:
            return self._ref(name)
        except KeyError as error:
            raise IntrinsicError(
                error.args[0] if error.args else f"Unresolved reference {name}", path
            ) from None

    def get_att(self, argument: Any, path: list) -> Any:
        if isinstance(argument, str) and "." in argument:
            logical_id, attribute = argument.split(".", 1)
        elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
            logical_id, attribute = argument[0], self._strict(argument[1], [*path, 1])
        else:
            raise IntrinsicError(
                "Fn::GetAtt takes [LogicalId, AttributeName] or 'LogicalId.AttributeName'", path
            )
        if not isinstance(attribute, str):
            raise IntrinsicError("Fn::GetAtt's attribute name must be a string", path)
        try:
            return self._get_att(logical_id, attribute)
        except KeyError as error:
            raise IntrinsicError(
                error.args[0] if error.args else f"Unresolved {logical_id}.{attribute}", path
            ) from None

    def sub(self, argument: Any, path: list) -> str:
        variables: dict[str, Any] = {}
        if isinstance(argument, list):
            if len(argument) != 2 or not isinstance(argument[1], dict):
                raise IntrinsicError("Fn::Sub takes a string or [String, {Name: Value, ...}]", path)
            template_string = argument[0]
            variables = {name: self._strict(item, [*path, 1, name]) for name, item in argument[1].items()}
        else:
            template_string = argument
        if not isinstance(template_string, str):
            raise IntrinsicError("Fn::Sub's template must be a string", path)

        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"  # ${!Literal} writes ${Literal}, as documented
            name = name.strip()
            if name in variables:
                value = variables[name]
            elif "." in name and name.split(".", 1)[0] not in self.parameters:
                value = self.get_att(name, path)
            else:
                value = self.ref(name, path)
            if isinstance(value, dict | list) or value is NO_VALUE or value is None:
                raise IntrinsicError(f"Fn::Sub variable ${{{name}}} is not a string or number", path)
            return str(scalar_text(value))

        return _SUB_VARIABLE.sub(replace, template_string)


def _arguments(resolver: Resolver, argument: Any, path: list, name: str, count: int) -> list:
    if not isinstance(argument, list) or len(argument) != count:
        raise IntrinsicError(f"{name} takes a list of {count} values", path)
    return argument


def _join(resolver: Resolver, argument: Any, path: list) -> str:
    delimiter, items = _arguments(resolver, argument, path, "Fn::Join", 2)
    items = resolver._strict(items, [*path, 1])
    if not isinstance(delimiter, str) or not isinstance(items, list):
        raise IntrinsicError("Fn::Join takes [Delimiter, [Value, ...]]", path)
    for index, item in enumerate(items):
        if isinstance(item, dict | list) or item is None or item is NO_VALUE:
            raise IntrinsicError(
                f"Fn::Join's item {index} is not a string: {json.dumps(item, default=repr)}", path
            )
    return delimiter.join(str(scalar_text(item)) for item in items)


def _select(resolver: Resolver, argument: Any, path: list) -> Any:
    index, items = _arguments(resolver, argument, path, "Fn::Select", 2)
    index = resolver._strict(index, [*path, 0])
    items = resolver._strict(items, [*path, 1])
    try:
        position = int(index)
    except (TypeError, ValueError):
        raise IntrinsicError(f"Fn::Select's index must be an integer, not {index!r}", path) from None
    if not isinstance(items, list):
        raise IntrinsicError("Fn::Select's second argument must be a list", path)
    if not 0 <= position < len(items):
        raise IntrinsicError(f"Fn::Select cannot select item {position} of a list of {len(items)}", path)
    return items[position]


def _split(resolver: Resolver, argument: Any, path: list) -> list[str]:
    delimiter, source = _arguments(resolver, argument, path, "Fn::Split", 2)
    source = resolver._strict(source, [*path, 1])
    if not isinstance(delimiter, str) or not delimiter or not isinstance(source, str):
        raise IntrinsicError("Fn::Split takes [Delimiter, String]", path)
    return source.split(delimiter)


def _find_in_map(resolver: Resolver, argument: Any, path: list) -> Any:
    if not isinstance(argument, list) or len(argument) not in (3, 4):
        raise IntrinsicError("Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]", path)
    map_name, top, second = (
        resolver._strict(item, [*path, index]) for index, item in enumerate(argument[:3])
    )
    try:
        return resolver.mappings[map_name][str(top)][str(second)]
    except (KeyError, TypeError):
        if len(argument) == 4 and isinstance(argument[3], dict) and "DefaultValue" in argument[3]:
            return resolver._strict(argument[3]["DefaultValue"], [*path, 3, "DefaultValue"])
        raise IntrinsicError(f"Fn::FindInMap: Mappings has no {map_name} > {top} > {second}", path) from None


def _get_azs(resolver: Resolver, argument: Any, path: list) -> list[str]:
    region = resolver._strict(argument, path) or resolver.pseudo["AWS::Region"]
    if not isinstance(region, str):
        raise IntrinsicError("Fn::GetAZs takes a region name or ''", path)
    return [f"{region}{letter}" for letter in _AZ_LETTERS.get(region, "abc")]


def _base64(resolver: Resolver, argument: Any, path: list) -> str:
    text = resolver._strict(argument, path)
    if not isinstance(text, str):
        raise IntrinsicError("Fn::Base64 takes a string", path)
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _if(resolver: Resolver, argument: Any, path: list) -> Any:
    name, when_true, when_false = _arguments(resolver, argument, path, "Fn::If", 3)
    if resolver.condition(name, [*path, 0]):
        return resolver.resolve(when_true, [*path, 1])
    return resolver.resolve(when_false, [*path, 2])


def _equals(resolver: Resolver, argument: Any, path: list) -> bool:
    left, right = (
        resolver._strict(item, [*path, i])
        for i, item in enumerate(_arguments(resolver, argument, path, "Fn::Equals", 2))
    )
    return _comparable(left) == _comparable(right)


def _comparable(value: Any) -> Any:
    # CloudFormation compares the string forms: !Equals [!Ref Count, 3] holds when Count is "3".
    return (
        value
        if isinstance(value, list | dict)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )


def _boolean_list(resolver: Resolver, argument: Any, path: list, name: str) -> list[bool]:
    if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
        raise IntrinsicError(f"{name} takes a list of 2 to 10 conditions", path)
    values = [resolver._strict(item, [*path, index]) for index, item in enumerate(argument)]
    if not all(isinstance(value, bool) for value in values):
        raise IntrinsicError(f"{name}'s items must be conditions (Fn::Equals, Condition, ...)", path)
    return values


def _not(resolver: Resolver, argument: Any, path: list) -> bool:
    (value,) = _arguments(resolver, argument, path, "Fn::Not", 1)
    value = resolver._strict(value, [*path, 0])
    if not isinstance(value, bool):
        raise IntrinsicError("Fn::Not's item must be a condition", path)
    return not value


def _import_value(resolver: Resolver, argument: Any, path: list) -> Any:
    name = resolver._strict(argument, path)
    if name not in resolver.imports:
        raise IntrinsicError(f"No export named {name} found (exported by an earlier stack's Outputs)", path)
    return resolver.imports[name]


def _unsupported(name: str) -> Callable[[Resolver, Any, list], Any]:
    def handler(resolver: Resolver, argument: Any, path: list) -> Any:
        raise IntrinsicError(f"{name} is not supported by this simulation", path)

    return handler


_FUNCTIONS: dict[str, Callable[[Resolver, Any, list], Any]] = {
    "Ref": lambda resolver, argument, path: resolver.ref(argument, path),
    "Fn::GetAtt": lambda resolver, argument, path: resolver.get_att(argument, path),
    "Fn::Sub": lambda resolver, argument, path: resolver.sub(argument, path),
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::FindInMap": _find_in_map,
    "Fn::GetAZs": _get_azs,
    "Fn::Base64": _base64,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::And": lambda resolver, argument, path: all(_boolean_list(resolver, argument, path, "Fn::And")),
    "Fn::Or": lambda resolver, argument, path: any(_boolean_list(resolver, argument, path, "Fn::Or")),
    "Fn::Not": _not,
    "Condition": lambda resolver, argument, path: resolver.condition(argument, path),
    "Fn::ImportValue": _import_value,
    "Fn::Cidr": _unsupported("Fn::Cidr"),
    "Fn::Transform": _unsupported("Fn::Transform"),
}
