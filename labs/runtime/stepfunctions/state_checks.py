"""What each state type requires, and Retry / Catch: a mixin of validation's checker (``validation.py``).

Task (a resource this runtime can run, timeouts and heartbeats), Wait (one of its four fields), Fail (error
and cause as values, paths or intrinsics), Choice (rules with one comparison operator, or a JSONata
``Condition``), Parallel and Map (their branches and item processor are state machines of their own, checked
by the same checker; tolerated failures, MaxConcurrency; a distributed Map's ItemReader, ItemBatcher and
ResultWriter run in ``distributed_map.py``), and every Retry and Catch entry.
"""

from __future__ import annotations

import re

from labs.runtime.core.json_locations import escape_pointer
from labs.runtime.stepfunctions import intrinsics
from labs.runtime.stepfunctions.choice import COMPARISONS, TYPE_TESTS, parse_timestamp
from labs.runtime.stepfunctions.expressions import is_expression
from labs.runtime.stepfunctions.integrations import parse_resource

__all__ = ["StateChecks"]

# The values AWS's pages list for a Map's Distributed-mode settings: "Map state in Distributed mode"
# (state-map-distributed.html), "ItemReader (Map)" (input-output-itemreader.html: InputType, CSVHeaderLocation,
# CSVDelimiter as the CDK's CsvDelimiter renders it), "ResultWriter (Map)" (input-output-resultwriter.html).
_DISTRIBUTED_VALUES = (
    (("ItemProcessor", "ProcessorConfig"), "Mode", ("INLINE", "DISTRIBUTED")),
    (("ItemProcessor", "ProcessorConfig"), "ExecutionType", ("STANDARD", "EXPRESS")),
    (("ItemReader", "ReaderConfig"), "InputType", ("CSV", "JSON", "JSONL", "PARQUET", "MANIFEST")),
    (("ItemReader", "ReaderConfig"), "CSVHeaderLocation", ("FIRST_ROW", "GIVEN")),
    (("ItemReader", "ReaderConfig"), "CSVDelimiter", ("COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB")),
    (("ResultWriter", "WriterConfig"), "Transformation", ("NONE", "COMPACT", "FLATTEN")),
    (("ResultWriter", "WriterConfig"), "OutputType", ("JSON", "JSONL")),
)
_S3_RESOURCE = re.compile(r"^arn:aws[a-z-]*:states:::s3:(listObjectsV2|getObject|putObject)$")


class StateChecks:
    """The checks of each state type for ``_Checker`` (which supplies add, path, positive_int, one_of,
    expressions, transition and machine). ``check_<type>`` is called for a state of that type."""

    def check_pass(self, spec, at, states, language) -> None:
        pass

    def check_succeed(self, spec, at, states, language) -> None:
        pass

    def check_task(self, spec, at, states, language) -> None:
        resource = spec.get("Resource")
        if not isinstance(resource, str):
            self.add("The field 'Resource' should be non-null", f"{at}/Resource")
        elif parse_resource(resource) is None:
            self.add(
                f"The resource provided {resource} is not recognized. The value is not a valid resource ARN, or "
                "the resource is not available in this region.",
                f"{at}/Resource",
                "INVALID_RESOURCE",
            )
        for field in ("TimeoutSeconds", "HeartbeatSeconds"):
            if field in spec:
                self.positive_int(spec[field], f"{at}/{field}", expression_ok=True)
            if f"{field}Path" in spec:
                self.path(spec[f"{field}Path"], f"{at}/{field}Path")
        timeout, heartbeat = spec.get("TimeoutSeconds"), spec.get("HeartbeatSeconds")
        if isinstance(timeout, int) and isinstance(heartbeat, int) and heartbeat >= timeout:
            self.add("HeartbeatSeconds must be smaller than TimeoutSeconds", f"{at}/HeartbeatSeconds")

    def check_wait(self, spec, at, states, language) -> None:
        field = self.one_of(spec, ("Seconds", "Timestamp", "SecondsPath", "TimestampPath"), at)
        if field == "Seconds":
            self.positive_int(spec["Seconds"], f"{at}/Seconds", allow_zero=True, expression_ok=True)
        elif field == "Timestamp" and not is_expression(spec["Timestamp"]):
            if parse_timestamp(spec["Timestamp"]) is None:
                self.add(
                    "The value for the field 'Timestamp' must be a valid RFC3339 timestamp", f"{at}/Timestamp"
                )
        elif field in ("SecondsPath", "TimestampPath"):
            self.path(spec[field], f"{at}/{field}")

    def check_fail(self, spec, at, states, language) -> None:
        for field in ("Error", "Cause"):
            self.one_of(spec, (field, f"{field}Path"), at, required=False)
            if f"{field}Path" in spec:
                text = spec[f"{field}Path"]
                if intrinsics.is_intrinsic(text):
                    try:
                        intrinsics.compile_intrinsic(text)
                    except intrinsics.IntrinsicSyntaxError as error:
                        self.add(str(error), f"{at}/{field}Path")
                else:
                    self.path(text, f"{at}/{field}Path")
            elif language == "JSONata" and field in spec:
                self.expressions(spec[field], f"{at}/{field}")

    def check_choice(self, spec, at, states, language) -> None:
        choices = spec.get("Choices")
        if not isinstance(choices, list) or not choices:
            self.add("The field 'Choices' should be a non-empty array", f"{at}/Choices")
            choices = []
        for index, rule in enumerate(choices):
            where = f"{at}/Choices/{index}"
            if not isinstance(rule, dict):
                self.add("A choice rule must be a JSON object", where)
                continue
            if "Next" not in rule:
                self.add("The field 'Next' should be non-null", where)
            self.transition(rule.get("Next"), f"{where}/Next", states)
            if language == "JSONata":
                if not is_expression(rule.get("Condition")):
                    self.add(
                        "A JSONata choice rule needs a 'Condition' written as {% ... %}", f"{where}/Condition"
                    )
                else:
                    self.expressions(rule["Condition"], f"{where}/Condition")
            else:
                self.rule({k: v for k, v in rule.items() if k not in ("Next", "Assign", "Comment")}, where)
        self.transition(spec.get("Default"), f"{at}/Default", states)

    def rule(self, rule: dict, at: str) -> None:
        combinators = [key for key in ("And", "Or", "Not") if key in rule]
        if combinators:
            key = combinators[0]
            if key == "Not":
                self.rule(rule["Not"] if isinstance(rule["Not"], dict) else {}, f"{at}/Not")
            elif not isinstance(rule[key], list) or not rule[key]:
                self.add(f"The field '{key}' should be a non-empty array", f"{at}/{key}")
            else:
                for index, sub in enumerate(rule[key]):
                    self.rule(sub if isinstance(sub, dict) else {}, f"{at}/{key}/{index}")
            return
        operators = [
            key
            for key in rule
            if key in COMPARISONS or key in TYPE_TESTS or key in ("IsPresent", "StringMatches")
        ]
        unknown = [key for key in rule if key not in operators and key != "Variable"]
        for key in unknown:
            self.add(f"Field '{key}' is not supported in a choice rule", f"{at}/{escape_pointer(key)}")
        if "Variable" not in rule:
            self.add("The field 'Variable' should be non-null", at)
        else:
            self.path(rule["Variable"], f"{at}/Variable")
        if len(operators) != 1:
            self.add("A choice rule must have exactly one comparison operator", at)
            return
        operator, operand = operators[0], rule[operators[0]]
        where = f"{at}/{operator}"
        if operator in COMPARISONS and COMPARISONS[operator][2] or operator.endswith("Path"):
            self.path(operand, where)
        elif operator in TYPE_TESTS or operator == "IsPresent" or operator.startswith("Boolean"):
            if not isinstance(operand, bool):
                self.add(f"The value of '{operator}' must be a boolean", where)
        elif operator.startswith("Numeric"):
            if isinstance(operand, bool) or not isinstance(operand, int | float):
                self.add(f"The value of '{operator}' must be a number", where)
        elif operator.startswith("Timestamp"):
            if parse_timestamp(operand) is None:
                self.add(f"The value of '{operator}' must be a valid RFC3339 timestamp", where)
        elif not isinstance(operand, str):
            self.add(f"The value of '{operator}' must be a string", where)

    def check_parallel(self, spec, at, states, language) -> None:
        branches = spec.get("Branches")
        if not isinstance(branches, list) or not branches:
            self.add("The field 'Branches' should be a non-empty array", f"{at}/Branches")
            return
        for index, branch in enumerate(branches):
            self.machine(branch, f"{at}/Branches/{index}", language)

    def check_map(self, spec, at, states, language) -> None:
        field = self.one_of(spec, ("ItemProcessor", "Iterator"), at)
        if field:
            self.machine(spec[field], f"{at}/{field}", language)
        if "MaxConcurrency" in spec:
            self.positive_int(
                spec["MaxConcurrency"], f"{at}/MaxConcurrency", allow_zero=True, expression_ok=True
            )
        if "ToleratedFailurePercentage" in spec and not is_expression(spec["ToleratedFailurePercentage"]):
            value = spec["ToleratedFailurePercentage"]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
                self.add(
                    "ToleratedFailurePercentage must be a number from 0 to 100",
                    f"{at}/ToleratedFailurePercentage",
                )
        if "ToleratedFailureCount" in spec:
            self.positive_int(
                spec["ToleratedFailureCount"],
                f"{at}/ToleratedFailureCount",
                allow_zero=True,
                expression_ok=True,
            )
        self.distributed_settings(spec, at)

    def distributed_settings(self, spec: dict, at: str) -> None:
        """A Map's ProcessorConfig, ItemReader and ResultWriter settings hold values AWS lists."""
        for (outer, inner), field, allowed in _DISTRIBUTED_VALUES:
            section = spec.get(outer)
            config = section.get(inner) if isinstance(section, dict) else None
            value = config.get(field) if isinstance(config, dict) else None
            if value is not None and not is_expression(value) and value not in allowed:
                self.add(
                    f"The field '{field}' must be one of {', '.join(allowed)}",
                    f"{at}/{outer}/{inner}/{field}",
                )
        reader, writer = spec.get("ItemReader"), spec.get("ResultWriter")
        for name, section, actions in (
            ("ItemReader", reader, ("listObjectsV2", "getObject")),
            ("ResultWriter", writer, ("putObject",)),
        ):
            if not isinstance(section, dict) or "Resource" not in section:
                continue
            match = _S3_RESOURCE.match(str(section["Resource"]))
            if match is None or match.group(1) not in actions:
                wanted = " or ".join(f"arn:aws:states:::s3:{action}" for action in actions)
                self.add(f"The {name} Resource must be {wanted}", f"{at}/{name}/Resource")
        config = reader.get("ReaderConfig") if isinstance(reader, dict) else None
        if (
            isinstance(config, dict)
            and config.get("CSVHeaderLocation") == "GIVEN"
            and "CSVHeaders" not in config
        ):
            self.add("CSVHeaderLocation GIVEN needs CSVHeaders", f"{at}/ItemReader/ReaderConfig")
        if isinstance(writer, dict):
            destination = [key for key in ("Resource", "Parameters", "Arguments") if key in writer]
            if "WriterConfig" not in writer and not destination:
                self.add("The field 'ResultWriter' cannot be empty", f"{at}/ResultWriter")
            elif destination and ("Resource" not in destination or len(destination) == 1):
                self.add(
                    "A ResultWriter needs both Resource and Parameters (Arguments in JSONata)",
                    f"{at}/ResultWriter",
                )

    def retry_and_catch(self, spec: dict, at: str, states: dict, jsonata: bool) -> None:
        for field in ("Retry", "Catch"):
            entries = spec.get(field, [])
            if not isinstance(entries, list):
                self.add(f"The field '{field}' should be an array", f"{at}/{field}")
                continue
            for index, entry in enumerate(entries):
                where = f"{at}/{field}/{index}"
                if not isinstance(entry, dict):
                    self.add(f"A {field} entry must be a JSON object", where)
                    continue
                errors = entry.get("ErrorEquals")
                if not isinstance(errors, list) or not errors or not all(isinstance(e, str) for e in errors):
                    self.add(
                        "The field 'ErrorEquals' should be a non-empty array of strings",
                        f"{where}/ErrorEquals",
                    )
                elif "States.ALL" in errors and (len(errors) > 1 or index != len(entries) - 1):
                    self.add("States.ALL must appear alone in the last entry", f"{where}/ErrorEquals")
                if field == "Catch":
                    if "Next" not in entry:
                        self.add("The field 'Next' should be non-null", where)
                    self.transition(entry.get("Next"), f"{where}/Next", states)
                    if entry.get("ResultPath") is not None:
                        self.path(entry["ResultPath"], f"{where}/ResultPath", reference=True)
                else:
                    self.retrier(entry, where)

    def retrier(self, entry: dict, at: str) -> None:
        allowed = {
            "ErrorEquals",
            "IntervalSeconds",
            "MaxAttempts",
            "BackoffRate",
            "MaxDelaySeconds",
            "JitterStrategy",
            "Comment",
        }
        for key in entry:
            if key not in allowed:
                self.add(f"Field '{key}' is not supported in a Retrier", f"{at}/{escape_pointer(key)}")
        if "IntervalSeconds" in entry:
            self.positive_int(entry["IntervalSeconds"], f"{at}/IntervalSeconds")
        if "MaxAttempts" in entry:
            self.positive_int(entry["MaxAttempts"], f"{at}/MaxAttempts", allow_zero=True)
        if "MaxDelaySeconds" in entry:
            self.positive_int(entry["MaxDelaySeconds"], f"{at}/MaxDelaySeconds")
        rate = entry.get("BackoffRate", 2.0)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or rate < 1.0:
            self.add("BackoffRate must be a number >= 1.0", f"{at}/BackoffRate")
        if entry.get("JitterStrategy", "NONE") not in ("FULL", "NONE"):
            self.add("JitterStrategy must be FULL or NONE", f"{at}/JitterStrategy")
