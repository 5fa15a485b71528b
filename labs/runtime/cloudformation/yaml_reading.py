"""Reading YAML the way CloudFormation reads it: only JSON's scalars are typed, everything else is text.

PyYAML follows YAML 1.1, where ``2012-10-17`` is a date, ``yes`` / ``off`` are booleans, ``1:30`` is 90 (base
60), ``0755`` is octal and ``012345678901`` loses nothing only by luck. CloudFormation treats a template as
JSON data: its own documentation writes ``AWSTemplateFormatVersion: 2010-09-09`` and IAM's
``Version: 2012-10-17`` unquoted, and both are the strings written (format-version-structure.html,
iam-policy-structure / "Version" in the IAM JSON policy reference). So here a plain scalar is:

- ``true`` / ``false`` (any of YAML's three spellings): a boolean;
- ``null``, ``~`` or nothing: null;
- a decimal integer without leading zeros or a decimal float: a number;
- anything else (dates, times, ``yes`` / ``no`` / ``on`` / ``off``, octal, hex, base 60, ``1_000``,
  ``.inf``): the text as written.

The template loader is cfn-lint's loader (it keeps lines and reads short tags such as ``!Ref``) with these
rules; ``load_yaml`` is plain data with the same rules, for every other YAML file a deploy reads
(definitions beside the template, included snippets, scenarios).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import yaml

__all__ = ["decode_text", "load_yaml"]

_SCALARS = (
    ("tag:yaml.org,2002:bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("tag:yaml.org,2002:null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"[-+]?(?:0|[1-9][0-9]*)", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"[-+]?(?:(?:0|[1-9][0-9]*)\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?(?:0|[1-9][0-9]*)[eE][-+]?[0-9]+",
        "-+0123456789.",
    ),
)
# Tags a template may name explicitly (!!timestamp, !!binary, !!set ...) whose Python values are not JSON:
# their text, as written (CloudFormation has no such types).
_TEXT_TAGS = ("timestamp", "binary", "set", "omap", "pairs")


def _json_scalars(loader_class: type, construct_text: Any) -> type:
    loader_class.yaml_implicit_resolvers = {}
    for tag, pattern, first in _SCALARS:
        loader_class.add_implicit_resolver(tag, re.compile(f"^(?:{pattern})$"), list(first))
    for tag in _TEXT_TAGS:
        loader_class.add_constructor(f"tag:yaml.org,2002:{tag}", construct_text)
    return loader_class


class _PlainLoader(yaml.SafeLoader):
    pass


_json_scalars(_PlainLoader, yaml.SafeLoader.construct_yaml_str)


@functools.cache
def _template_loader() -> type:
    """cfn-lint's loader (located nodes, short tags, duplicate-key checks) with CloudFormation's scalars;
    made on first use: importing cfn-lint costs seconds, and most imports of the runtime never decode."""
    from cfnlint.decode import cfn_yaml

    loader = type("TemplateLoader", (cfn_yaml.CfnFullLoader,), {})
    _json_scalars(loader, cfn_yaml.NodeConstructor.construct_yaml_str)
    loader.add_multi_constructor("!", cfn_yaml.multi_constructor)
    return loader


def _loads(text: str, file_name: str | None = None) -> Any:
    """cfn-lint's ``cfn_yaml.loads`` with CloudFormation's scalars (aliases are refused before this runs)."""
    from cfnlint.decode import cfn_yaml
    from cfnlint.decode.mark import Mark
    from cfnlint.decode.node import dict_node

    loader = _template_loader()(text, file_name)
    try:
        template = loader.get_single_data()
    except (cfn_yaml.CfnParseError, yaml.scanner.ScannerError, yaml.parser.ParserError):
        raise  # cfn-lint's decoder turns these into matches with lines, or tries JSON
    except Exception as error:  # noqa: BLE001 - reported like cfn-lint reports it: the template's fault
        match = cfn_yaml.build_match(file_name, f"Template could not be parsed: {error}", 0, 0, "")
        raise cfn_yaml.CfnParseError(file_name, [match]) from error
    finally:
        loader.dispose()
    return dict_node({}, Mark(0, 0), Mark(0, 0)) if template is None else template


def decode_text(text: str) -> tuple[Any, list]:
    """(template, cfn-lint matches) as ``cfnlint.decode.decode_str`` answers, with CloudFormation's scalars."""
    from cfnlint.decode import cfn_json
    from cfnlint.decode.decode import _decode  # its JSON fallback and its errors as matches

    return _decode(_loads, cfn_json.loads, text, None)


def load_yaml(text: str) -> Any:
    """Plain data from a YAML or JSON file, scalars as CloudFormation reads them; raises ``yaml.YAMLError``."""
    return yaml.load(text, Loader=_PlainLoader)  # noqa: S506 - a SafeLoader subclass
