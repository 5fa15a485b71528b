"""Deploying AWS SAM / CloudFormation templates into a simulated account (``deploy(cloud, text) -> Stack``).

The same tools as AWS: ``cfn-lint`` validates the template (its rule ids, paths and lines; errors stop the
deploy, warnings are returned) and ``aws-sam-translator`` expands ``Transform: AWS::Serverless-2016-10-31``.
Then parameters, conditions and mappings are evaluated, resources are created in dependency order
(``Ref`` / ``Fn::GetAtt`` / ``Fn::Sub`` / ``DependsOn``; a cycle is an error) through the account's boto3
clients (``awslambda.py``, ``resources.py``, ``apigateway.py``), and outputs are resolved.
Reading, linting and the SAM transform live in ``template.py``; everything runs offline.
"""

from __future__ import annotations

import graphlib
import json
import re
import uuid
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labs.runtime.cloudformation import apigateway as cfn_apigateway
from labs.runtime.cloudformation import awslambda as cfn_lambda
from labs.runtime.cloudformation import resources as cfn_resources
from labs.runtime.cloudformation.include import IncludeError, expand_includes
from labs.runtime.cloudformation.intrinsics import IntrinsicError, Resolver, references
from labs.runtime.cloudformation.rollback import roll_back
from labs.runtime.cloudformation.template import (
    decode_template,
    is_blocking,
    lint_template,
    locate,
    sam_translate,
    template_error,
)
from labs.runtime.core.errors import TemplateError, TemplateProblem

__all__ = ["Stack", "StackResource", "TemplateError", "TemplateProblem", "deploy"]

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
HANDLERS = {**cfn_lambda.HANDLERS, **cfn_resources.HANDLERS, **cfn_apigateway.HANDLERS}
_STACK_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]{0,127}")
_MASK = "****"
# Outputs' Export names per account, for Fn::ImportValue in a later stack of the same Cloud.
_EXPORTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass
class StackResource:
    logical_id: str
    type: str
    physical_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    simulated: bool = True
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class Stack:
    """A deployed stack: ``resources`` by logical id (physical id, attributes), resolved ``outputs``,
    ``warnings`` (``TemplateProblem``: cfn-lint warnings and what the simulation did not create or apply),
    ``parameters`` as used (NoEcho values masked) and the ``template`` after the SAM transform."""

    name: str
    resources: dict[str, StackResource]
    outputs: dict[str, Any]
    warnings: list[TemplateProblem]
    parameters: dict[str, Any]
    template: dict[str, Any]

    def physical_id(self, logical_id: str) -> str:
        if logical_id not in self.resources:
            raise KeyError(
                f"stack {self.name} has no resource {logical_id!r} (it has: {', '.join(self.resources)})"
            )
        return self.resources[logical_id].physical_id


def deploy(
    cloud: Any,
    template_text: str,
    *,
    code_dir: str | Path | None = None,
    parameters: dict[str, Any] | None = None,
    stack_name: str = "lab",
    template_file: str | None = None,
) -> Stack:
    """Validate, transform and create ``template_text`` (YAML or JSON) in ``cloud``; CodeUri / Code paths
    are relative to ``code_dir``. Raises ``TemplateError`` listing every problem (cfn-lint errors, a SAM
    translation error, a parameter, an intrinsic function, a dependency cycle or a resource that failed
    to be created) with rule id, path, line and ``template_file`` where known."""
    if not _STACK_NAME.fullmatch(stack_name):
        raise TemplateError(
            [
                TemplateProblem(
                    None,
                    f"stack name {stack_name!r} must match [A-Za-z][-A-Za-z0-9]*, at most 128 characters",
                )
            ]
        )
    located = decode_template(template_text, template_file)
    problems = lint_template(template_text, cloud.region, template_file)
    errors = [problem for problem in problems if is_blocking(problem)]
    if errors:
        raise TemplateError(errors)
    deployment = _Deployment(cloud, located, stack_name, template_file, code_dir)
    deployment.warnings.extend(problems)  # W*, I* and E0002
    return deployment.run(parameters or {})


class _Deployment:
    def __init__(
        self, cloud: Any, located: Any, stack_name: str, template_file: str | None, code_dir: Any
    ) -> None:
        self.cloud = cloud
        self.located = located
        self.stack_name = stack_name
        self.file = template_file
        self.code_dir = Path(code_dir) if code_dir is not None else None
        self.warnings: list[TemplateProblem] = []
        self.template: dict[str, Any] = json.loads(json.dumps(located))
        self.created: dict[str, StackResource] = {}
        self.skipped: dict[str, str] = {}  # logical id -> the condition that left it out

    def fail(self, message: str, path: list, rule_id: str | None = None) -> TemplateError:
        return template_error(message, path, self.located, self.file, rule_id)

    def run(self, given: dict[str, Any]) -> Stack:
        try:
            self.template = expand_includes(self.template, self.cloud, self.code_dir)
        except IncludeError as error:
            raise self.fail(error.message, error.path, "Transform") from None
        values, shown = self._parameters(given)
        transforms = _transforms(self.template)
        for name in transforms:
            if name != SAM_TRANSFORM:
                raise self.fail(f"Transform {name} is not simulated (only {SAM_TRANSFORM} is)", ["Transform"])
        if SAM_TRANSFORM in transforms:
            self.template = sam_translate(
                self.template,
                values=values,
                region=self.cloud.region,
                account_id=self.cloud.account_id,
                stack_name=self.stack_name,
                code_dir=self.code_dir,
                located=self.located,
                template_file=self.file,
            )
        pseudo = {
            "AWS::Region": self.cloud.region,
            "AWS::AccountId": self.cloud.account_id,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
            "AWS::StackId": f"arn:aws:cloudformation:{self.cloud.region}:{self.cloud.account_id}:stack/"
            f"{self.stack_name}/{uuid.UUID(int=self.cloud.ids.getrandbits(128), version=4)}",
        }
        self.resolver = Resolver(
            parameters=values,
            pseudo=pseudo,
            mappings=self.template.get("Mappings") or {},
            conditions=self.template.get("Conditions") or {},
            ref=self._ref,
            get_att=self._get_att,
            imports=_EXPORTS.get(self.cloud, {}),
        )
        resources = self.template["Resources"]
        try:
            for name in self.template.get("Conditions") or {}:
                self.resolver.condition(name, ["Conditions", name])
            active = [lid for lid, resource in resources.items() if self._included(lid, resource)]
        except IntrinsicError as error:
            raise self.fail(error.message, error.path) from None
        provisioner = cfn_resources.Provisioner(self.cloud, self.stack_name, self.code_dir)
        order = self._order(active)
        try:
            for logical_id in order:
                self._create(provisioner, logical_id, resources[logical_id])
            outputs, exports = self._outputs()
        except TemplateError as error:
            raise self._rolled_back(error) from None
        _EXPORTS.setdefault(self.cloud, {}).update(exports)
        for logical_id, message in provisioner.warnings:
            self.warnings.append(self._warning(message, ["Resources", logical_id]))
        return Stack(self.stack_name, dict(self.created), outputs, self.warnings, shown, self.template)

    def _rolled_back(self, error: TemplateError) -> TemplateError:
        """The deploy's error once what it created is deleted again (CloudFormation's ROLLBACK_COMPLETE)."""
        created = list(self.created.values())
        if not created:
            return error
        left = roll_back(self.cloud, created)
        count = f"{len(created)} resource{'s' if len(created) != 1 else ''}"
        note = f"ROLLBACK_COMPLETE: deleted the {count} this deploy had created"
        if left:
            note = "ROLLBACK_FAILED: these resources could not be deleted: " + "; ".join(left)
        return TemplateError([*error.problems, TemplateProblem(None, note, "", None, self.file)])

    def _warning(self, message: str, path: list) -> TemplateProblem:
        return TemplateProblem(
            None, f"{path[-1]}: {message}", "/".join(map(str, path)), locate(self.located, path), self.file
        )

    # -- parameters ------------------------------------------------------------------------------------
    def _parameters(self, given: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        declared = self.template.get("Parameters") or {}
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise self.fail(
                f"Parameters: [{', '.join(unknown)}] do not exist in the template", ["Parameters"]
            )
        values, shown = {}, {}
        for name, spec in declared.items():
            path = ["Parameters", name]
            if name in given:
                raw = given[name]
            elif "Default" in spec:
                raw = spec["Default"]
            else:
                raise self.fail(f"Parameters: [{name}] must have values", path)
            values[name] = self._parameter_value(name, spec, raw, path)
            shown[name] = _MASK if str(spec.get("NoEcho", "")).lower() == "true" else values[name]
        return values, shown

    def _parameter_value(self, name: str, spec: dict, raw: Any, path: list) -> Any:
        kind = str(spec.get("Type", "String"))
        text = ",".join(map(str, raw)) if isinstance(raw, list) else str(raw)
        hint = spec.get("ConstraintDescription")
        if kind.startswith("AWS::SSM::Parameter"):
            raise self.fail(
                f"Parameter '{name}': type {kind} (read from SSM Parameter Store) is not simulated", path
            )
        items = (
            [item.strip() for item in text.split(",")]
            if kind.startswith("List<") or kind == "CommaDelimitedList"
            else [text]
        )
        allowed = [str(value) for value in spec.get("AllowedValues") or []]
        for item in items:
            if allowed and item not in allowed:
                raise self.fail(
                    hint or f"Parameter '{name}' must be one of AllowedValues: {', '.join(allowed)}", path
                )
            if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], item):
                raise self.fail(
                    hint or f"Parameter '{name}' must match pattern {spec['AllowedPattern']}", path
                )
            if "MinLength" in spec and len(item) < int(spec["MinLength"]):
                raise self.fail(
                    hint or f"Parameter '{name}' must contain at least {spec['MinLength']} characters", path
                )
            if "MaxLength" in spec and len(item) > int(spec["MaxLength"]):
                raise self.fail(
                    hint or f"Parameter '{name}' must contain at most {spec['MaxLength']} characters", path
                )
        if kind in ("Number", "List<Number>"):
            for item in items:
                try:
                    number = float(item)
                except ValueError:
                    raise self.fail(hint or f"Parameter '{name}' must be a number", path) from None
                if "MinValue" in spec and number < float(spec["MinValue"]):
                    raise self.fail(
                        hint or f"Parameter '{name}' must be a number not less than {spec['MinValue']}", path
                    )
                if "MaxValue" in spec and number > float(spec["MaxValue"]):
                    raise self.fail(
                        hint or f"Parameter '{name}' must be a number not greater than {spec['MaxValue']}",
                        path,
                    )
            # validated as numbers, but Ref gives their text, as written (parameters-section-structure.html)
            return items if kind == "List<Number>" else items[0]
        return items if len(items) > 1 or kind.startswith("List<") or kind == "CommaDelimitedList" else text

    # -- graph -------------------------------------------------------------------------------------------------
    def _included(self, logical_id: str, resource: Any) -> bool:
        if not isinstance(resource, dict) or "Type" not in resource:
            raise IntrinsicError(f"resource {logical_id} needs a Type", ["Resources", logical_id])
        condition = resource.get("Condition")
        if condition is None or self.resolver.condition(condition, ["Resources", logical_id, "Condition"]):
            return True
        self.skipped[logical_id] = condition
        return False

    def _order(self, active: list[str]) -> list[str]:
        """Active resources so that each comes after those it references; ties keep template order."""
        resources = self.template["Resources"]
        position = {lid: index for index, lid in enumerate(active)}
        sorter: graphlib.TopologicalSorter = graphlib.TopologicalSorter()
        for logical_id in active:
            resource = resources[logical_id]
            depends = resource.get("DependsOn") or []
            depends = [depends] if isinstance(depends, str) else depends
            for name in depends:
                if name not in resources:
                    raise self.fail(
                        f"DependsOn names {name!r}, which is not a resource of this template",
                        ["Resources", logical_id, "DependsOn"],
                    )
            needed = (references(resource.get("Properties") or {}) | set(depends)) & set(position)
            sorter.add(logical_id, *needed)
        try:
            sorter.prepare()
        except graphlib.CycleError as error:
            cycle = error.args[1]
            chain = " -> ".join(reversed(cycle))
            raise self.fail(
                f"Circular dependency between resources: {chain} (each one references the next)",
                ["Resources", cycle[0]],
            ) from None
        order = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready(), key=position.__getitem__)
            order.extend(ready)
            sorter.done(*ready)
        return order

    # -- creating ----------------------------------------------------------------------------------------------
    def _create(self, provisioner: cfn_resources.Provisioner, logical_id: str, resource: dict) -> None:
        kind = resource["Type"]
        path = ["Resources", logical_id, "Properties"]
        try:
            props = self.resolver.resolve(resource.get("Properties") or {}, path)
        except IntrinsicError as error:
            raise self.fail(error.message, error.path) from None
        handler = HANDLERS.get(kind)
        if handler is None:
            self.warnings.append(
                self._warning(
                    f"{kind} is not simulated; the resource was not created", ["Resources", logical_id]
                )
            )
            self.created[logical_id] = StackResource(logical_id, kind, logical_id, {}, simulated=False)
            return
        provisioner.begun = None
        try:
            created = handler(provisioner, logical_id, props)
        except Exception as error:  # noqa: BLE001 - AWS errors, bad values: the resource failed, as CloudFormation reports it
            if (
                provisioner.begun is not None
            ):  # created, then a later call failed: it goes in the rollback too
                self.created[logical_id] = StackResource(logical_id, kind, provisioner.begun, {}, True, props)
            if isinstance(error, KeyError):
                message = f"{logical_id} ({kind}): required property {error.args[0]} is missing"
                raise self.fail(message, path) from None
            message = getattr(error, "response", {}).get("Error", {}).get("Message") or str(error)
            raise self.fail(
                f"{logical_id} ({kind}) CREATE_FAILED: {message}", ["Resources", logical_id]
            ) from None
        self.created[logical_id] = StackResource(
            logical_id, kind, created.physical_id, created.attributes, created.simulated, props
        )

    def _ref(self, name: str) -> Any:
        if name in self.created:
            return self.created[name].physical_id
        if name in self.skipped:
            raise KeyError(
                f"Ref {name}: the resource is not created (its condition {self.skipped[name]} is false)"
            )
        raise KeyError(f"Ref {name}: no parameter or resource of that name")

    def _get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id in self.skipped:
            raise KeyError(
                f"Fn::GetAtt {logical_id}.{attribute}: the resource is not created (its condition {self.skipped[logical_id]} is false)"
            )
        resource = self.created.get(logical_id)
        if resource is None:
            raise KeyError(f"Fn::GetAtt {logical_id}.{attribute}: no resource of that name")
        if not resource.simulated:
            raise KeyError(
                f"Fn::GetAtt {logical_id}.{attribute}: {resource.type} is not simulated, so it has no attributes"
            )
        if attribute not in resource.attributes and _dotted(resource.properties, attribute) is not None:
            return _dotted(
                resource.properties, attribute
            )  # the registry exposes properties as attributes too
        if attribute not in resource.attributes:
            known = ", ".join(sorted(resource.attributes)) or "none"
            raise KeyError(
                f"Fn::GetAtt {logical_id}.{attribute}: {resource.type} has no attribute {attribute} here (it has: {known})"
            )
        return resource.attributes[attribute]

    def _outputs(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The resolved outputs and the exports they declare (registered once the whole deploy succeeded)."""
        outputs: dict[str, Any] = {}
        exports: dict[str, Any] = {}
        taken = _EXPORTS.get(self.cloud, {})
        for name, output in (self.template.get("Outputs") or {}).items():
            path = ["Outputs", name]
            try:
                condition = output.get("Condition")
                if condition is not None and not self.resolver.condition(condition, [*path, "Condition"]):
                    continue
                outputs[name] = self.resolver.resolve(output.get("Value"), [*path, "Value"])
                if "Export" in output:
                    export_name = self.resolver.resolve(
                        output["Export"].get("Name"), [*path, "Export", "Name"]
                    )
                    if export_name in taken or export_name in exports:
                        message = f"Export {export_name} is already exported by another stack"
                        raise IntrinsicError(message, [*path, "Export"])
                    exports[export_name] = outputs[name]
            except IntrinsicError as error:
                raise self.fail(error.message, error.path) from None
        return outputs, exports


def _dotted(properties: dict, attribute: str) -> Any:
    value: Any = properties
    for part in attribute.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _transforms(template: dict) -> list:
    declared = template.get("Transform") or []
    return declared if isinstance(declared, list) else [declared]
