"""The template as written: decoding it (YAML with CloudFormation's short tags, or JSON, keeping lines),
validating it with cfn-lint, locating a path's line, and expanding SAM with aws-sam-translator.

cfn-lint's specs ship with the package; it downloads them only when asked (``--update-specs``), which this
never does, and the translator resolves managed policy names from its bundled list: all of it is offline.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import threading
from pathlib import Path
from typing import Any

import yaml

from labs.runtime.cloudformation.resources import LOCAL_CODE_BUCKET
from labs.runtime.cloudformation.yaml_reading import decode_text, load_yaml
from labs.runtime.core.errors import TemplateError, TemplateProblem
from labs.runtime.iam.managed import aws_managed_policy_arns

__all__ = ["decode_template", "is_blocking", "lint_template", "locate", "sam_translate", "template_error"]

_MAX_TEMPLATE_BYTES = 1_048_576
_LINT_LOCK = threading.Lock()  # the rule collection is shared; rules keep per-run state
# Sections that are mappings (template-anatomy.html), and those whose every entry is a mapping too.
_MAPPING_SECTIONS = (
    "Parameters",
    "Mappings",
    "Conditions",
    "Resources",
    "Outputs",
    "Globals",
    "Metadata",
    "Rules",
)
_MAPPING_ENTRIES = ("Parameters", "Mappings", "Resources", "Outputs", "Globals", "Rules")
_LOCAL_CODE = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}
_LOCAL_DEFINITION = {
    "AWS::Serverless::StateMachine": "Definition",
    "AWS::Serverless::Api": "DefinitionBody",
    "AWS::Serverless::HttpApi": "DefinitionBody",
}


def template_error(
    message: str, path: list, located: Any, template_file: str | None, rule_id: str | None = None
) -> TemplateError:
    """A ``TemplateError`` for one problem at ``path``, with its line in ``located``."""
    where = "/".join(map(str, path))
    return TemplateError([TemplateProblem(rule_id, message, where, locate(located, path), template_file)])


def decode_template(text: str, template_file: str | None) -> Any:
    """The template with cfn-lint's located nodes (each knows its line). Refuses what CloudFormation
    refuses before parsing: more than 1 MB (its limit for a template in S3, which `sam deploy` uses) and
    YAML aliases, which CloudFormation does not support and which could expand a small file enormously."""
    if len(text.encode("utf-8")) > _MAX_TEMPLATE_BYTES:
        message = f"the template is larger than CloudFormation's limit of {_MAX_TEMPLATE_BYTES:,} bytes"
        raise TemplateError([TemplateProblem(None, message, "", None, template_file)])
    try:
        alias = next((t for t in yaml.scan(text) if isinstance(t, yaml.AliasToken)), None)
    except yaml.YAMLError:
        alias = None  # a syntax error: cfn-lint's decoder reports it with its line just below
    if alias is not None:
        message = f"YAML alias *{alias.value} is not supported by CloudFormation templates"
        raise TemplateError([TemplateProblem(None, message, "", alias.start_mark.line + 1, template_file)])
    template, matches = decode_text(text)
    if matches:
        raise TemplateError([_problem(match, template_file) for match in matches])
    try:
        json.dumps(template)
    except (TypeError, ValueError) as error:  # a key that is not text, say: CloudFormation reads JSON only
        message = f"the template is not JSON data: {error}"
        raise TemplateError([TemplateProblem(None, message, "", None, template_file)]) from None
    for section in _MAPPING_SECTIONS:
        value = template.get(section) if isinstance(template, dict) else None
        entries = value.items() if isinstance(value, dict) else ()
        bad = [name for name, entry in entries if section in _MAPPING_ENTRIES and not isinstance(entry, dict)]
        if (value is not None and not isinstance(value, dict)) or bad:
            where = [section, *bad[:1]]
            what = f"{section}/{bad[0]}" if bad else section
            message = f"{what} must be a mapping (CloudFormation's template anatomy)"
            raise TemplateError(
                [TemplateProblem(None, message, "/".join(where), locate(template, where), template_file)]
            )
    if (
        not isinstance(template, dict)
        or not isinstance(template.get("Resources"), dict)
        or not template["Resources"]
    ):
        raise TemplateError(
            [
                TemplateProblem(
                    None,
                    "a template needs a Resources section with at least one resource",
                    "Resources",
                    None,
                    template_file,
                )
            ]
        )
    return template


def lint_template(text: str, region: str, template_file: str | None) -> list[TemplateProblem]:
    """cfn-lint's findings. Its specs ship with the package; it only downloads them when asked
    (``--update-specs``), which this never does."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import run_template_by_data

    template, matches = decode_text(text)
    if not matches:
        # what cfnlint.api.lint does, but with the rules loaded once (lint() reloads them on every call)
        try:
            with _LINT_LOCK:
                matches = list(run_template_by_data(template, ConfigMixIn(regions=[region]), _lint_rules()))
        except Exception as error:  # noqa: BLE001 - a linter crash is not the template's fault: deploy anyway
            return [
                TemplateProblem(
                    "W0000", f"cfn-lint could not check the template: {error}", "", None, template_file
                )
            ]
    return [_problem(match, template_file) for match in matches]


def is_blocking(problem: TemplateProblem) -> bool:
    """cfn-lint's errors stop a deploy, except E0002 (one of its rules crashed: a linter bug, reported as a
    warning, since CloudFormation itself would accept or refuse the template on its own terms)."""
    return (problem.rule_id or "E").startswith("E") and problem.rule_id != "E0002"


@functools.cache
def _lint_rules() -> Any:
    """cfn-lint's default rule collection, loaded once per process: loading it (every rule module and its
    JSON data) costs ~1.5 s, checking a small template ~0.1 s."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    return Runner(ConfigMixIn()).rules


def _problem(match: Any, template_file: str | None) -> TemplateProblem:
    path = "/".join(str(part) for part in (getattr(match, "path", None) or []))
    return TemplateProblem(
        match.rule.id, match.message, path, getattr(match, "linenumber", None), template_file
    )


def locate(located: Any, path: list) -> int | None:
    """The line of the deepest node of ``path`` that exists in the template as written (a resource SAM
    generated is located at the SAM resource whose logical id it starts with)."""
    node, line = located, None
    for index, key in enumerate(path):
        if index == 1 and path[0] == "Resources" and isinstance(node, dict) and key not in node:
            origins = [lid for lid in node if isinstance(key, str) and key.startswith(lid)]
            if not origins:
                break
            key = max(origins, key=len)
        try:
            child = node[key]
        except (KeyError, IndexError, TypeError):
            break
        # cfn-lint's nodes carry marks on keys too: a mapping entry is located at its key, as cfn-lint does
        written_key = next((k for k in node if k == key), None) if isinstance(node, dict) else None
        mark = getattr(written_key, "start_mark", None) or getattr(child, "start_mark", None)
        node = child
        if mark is not None:
            line = mark.line + 1
    return line


# -- the SAM transform ---------------------------------------------------------------------------------------
def sam_translate(
    template: dict,
    *,
    values: dict[str, Any],
    region: str,
    account_id: str,
    stack_name: str,
    code_dir: Path | None,
    located: Any,
    template_file: str | None,
) -> dict[str, Any]:
    """``template`` expanded by aws-sam-translator; ``TemplateError`` (rule id ``Transform``) naming each
    resource the translator rejects, at its line in ``located`` (the template as written)."""
    import boto3
    from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    # The translator logs "Feature '...' not available in Feature Toggle Config." for AWS's internal feature
    # dial-ups it has no configuration for here: chatter about the translator, not about the template.
    logging.getLogger("samtranslator.feature_toggle").setLevel(logging.ERROR)
    template = copy.deepcopy(template)
    _local_artifacts(template, code_dir, located, template_file)
    # The region comes from a session made here (no credentials, no calls); managed policy names resolve
    # from moto's copy of AWS's managed policies, as the transform on AWS resolves them from IAM (the
    # translator's bundled list lacks newer ones such as AWSLambdaBasicDurableExecutionRolePolicy).
    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    session = boto3.session.Session(region_name=region)
    translator = Translator(None, Parser(), boto_session=session, metrics=metrics)
    parameter_values = {
        **values,
        "AWS::Region": region,
        "AWS::AccountId": account_id,
        "AWS::Partition": "aws",
        "AWS::StackName": stack_name,
    }
    try:
        return translator.translate(
            template, parameter_values=parameter_values, get_managed_policy_map=aws_managed_policy_arns
        )
    except InvalidDocumentException as error:
        problems = []
        for cause in error.causes:
            logical_id = getattr(cause, "_logical_id", None)
            path = ["Resources", logical_id] if isinstance(logical_id, str) else []
            problems.append(
                TemplateProblem(
                    "Transform", cause.message, "/".join(path), locate(located, path), template_file
                )
            )
        raise TemplateError(problems) from None
    except Exception as error:  # noqa: BLE001 - any translator crash is reported as the template's fault
        message = f"the SAM transform failed: {error}"
        raise template_error(message, ["Transform"], located, template_file, "Transform") from None
    finally:
        metrics.publish()  # to the dummy publisher: otherwise the translator complains when collected


def _local_artifacts(template: dict, code_dir: Path | None, located: Any, template_file: str | None) -> None:
    """Local paths (CodeUri, ContentUri, DefinitionUri) as `sam deploy` would upload them: code becomes
    an S3 location read back from code_dir, state machine and API definitions are inlined."""

    def local(value: Any) -> bool:
        return isinstance(value, str) and not value.startswith("s3://")

    function_globals = (template.get("Globals") or {}).get("Function") or {}
    if local(function_globals.get("CodeUri")):
        function_globals["CodeUri"] = f"s3://{LOCAL_CODE_BUCKET}/{function_globals['CodeUri']}"
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties") if isinstance(resource, dict) else None
        if not isinstance(props, dict):
            continue
        kind = resource.get("Type")
        key = _LOCAL_CODE.get(kind)
        if key and local(props.get(key)):
            props[key] = f"s3://{LOCAL_CODE_BUCKET}/{props[key]}"
        inline = _LOCAL_DEFINITION.get(kind)
        if inline and local(props.get("DefinitionUri")):
            path = ["Resources", logical_id, "Properties", "DefinitionUri"]
            props[inline] = _read_definition(
                props.pop("DefinitionUri"), code_dir, path, located, template_file
            )


def _read_definition(relative: str, code_dir: Path | None, path: list, located: Any, file: str | None) -> Any:
    if code_dir is None:
        raise template_error(
            f"DefinitionUri {relative!r} is a local path: deploy with a code directory", path, located, file
        )
    root = code_dir.resolve()
    definition = (root / relative).resolve()
    if not definition.is_relative_to(root) or not definition.is_file():
        raise template_error(
            f"DefinitionUri {relative!r}: no such file under the code directory", path, located, file
        )
    try:
        return load_yaml(definition.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        message = f"DefinitionUri {relative!r} is not JSON or YAML: {error}"
        raise template_error(message, path, located, file) from None
