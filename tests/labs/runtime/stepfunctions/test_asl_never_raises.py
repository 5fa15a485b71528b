"""Property: for any definition that validates, ``run`` returns an execution (SUCCEEDED, FAILED, ...) and never
raises. Definitions are generated from every state type (Pass, Choice, Wait, Succeed, Fail, Parallel, Map,
Task with Lambda), in JSONPath and JSONata, with paths, intrinsics and expressions that may or may not find
what they look for in a generated input; where AWS fails the execution, the runtime must too."""

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from labs.runtime.stepfunctions import run, validate

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-5, 5, allow_nan=False) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abcv"), inner, max_size=3),
    max_leaves=8,
)
PATHS = st.sampled_from(
    [
        "$",
        "$.a",
        "$.b",
        "$.a.b",
        "$.v",
        "$.a[0]",
        "$[0]",
        "$.a[*]",
        "$..a",
        "$$.Execution.Input",
        "$$.State.Name",
    ]
)
INTRINSICS = st.sampled_from(
    [
        "States.Format('x{}', $.a)",
        "States.StringToJson($.a)",
        "States.JsonToString($.a)",
        "States.Array($.a, $.b)",
        "States.ArrayLength($.a)",
        "States.ArrayGetItem($.a, 0)",
        "States.MathAdd($.a, 1)",
        "States.MathRandom(1, 10)",
        "States.StringSplit($.a, ',')",
        "States.Base64Decode($.a)",
        "States.Hash($.a, 'SHA-256')",
        "States.UUID()",
        "States.ArrayRange(1, $.a, 1)",
        "States.ArrayPartition($.a, 2)",
        "States.ArrayContains($.a, 1)",
        "States.ArrayUnique($.a)",
        "States.JsonMerge($.a, $.b, false)",
    ]
)
EXPRESSIONS = st.sampled_from(
    [
        "{% $states.input %}",
        "{% $states.input.a %}",
        "{% $states.input.a + 1 %}",
        "{% $states.input.v * 2 %}",
        "{% $count($states.input.a) %}",
        "{% $states.input.a.b %}",
        "{% $undefinedVariable %}",
        "{% $states.context.Execution.Name %}",
        "{% $string($states.input) %}",
        "{% $states.input.a > 1 %}",
    ]
)
LANGUAGES = st.sampled_from(["JSONPath", "JSONata"])


def _template(draw, jsonata: bool) -> dict:
    keys = draw(st.lists(st.sampled_from("xyz"), max_size=3, unique=True))
    template = {}
    for key in keys:
        if jsonata:
            template[key] = draw(EXPRESSIONS | JSON_VALUES)
        else:
            choice = draw(st.integers(0, 2))
            if choice == 0:
                template[key + ".$"] = draw(PATHS)
            elif choice == 1:
                template[key + ".$"] = draw(INTRINSICS)
            else:
                template[key] = draw(JSON_VALUES)
    return template


def _machine(draw, depth: int, jsonata: bool) -> dict:
    count = draw(st.integers(1, 4))
    names = [f"S{index}" for index in range(count)]
    states = {}
    for index, name in enumerate(names):
        following = {"Next": names[index + 1]} if index + 1 < count else {"End": True}
        states[name] = _state(draw, depth, jsonata, following, names[index + 1 :])
    return {"StartAt": names[0], "States": states}


def _state(draw, depth: int, jsonata: bool, following: dict, later: list) -> dict:
    kinds = ["Pass", "Choice", "Wait", "Succeed", "Fail", "Task"] + (["Parallel", "Map"] if depth < 2 else [])
    kind = draw(st.sampled_from(kinds))
    if kind in ("Succeed", "Fail") and later:
        kind = "Pass"  # a terminal state in the middle would leave the rest unreachable
    spec: dict = {"Type": kind}
    if kind == "Pass":
        spec.update(following)
        field = "Output" if jsonata else draw(st.sampled_from(["Parameters", "Result", "ResultPath"]))
        if field == "ResultPath":
            spec["ResultPath"] = draw(st.sampled_from(["$.r", "$", "$.a.b", None]))
        elif field == "Result":
            spec["Result"] = draw(JSON_VALUES)
        else:
            spec[field] = _template(draw, jsonata)
    elif kind == "Choice":
        if not later:
            return {"Type": "Succeed"}
        target = draw(st.sampled_from(later))
        if jsonata:
            rule = {"Condition": draw(EXPRESSIONS), "Next": target}
        else:
            operator = draw(
                st.sampled_from(["NumericGreaterThan", "StringEquals", "IsPresent", "BooleanEquals"])
            )
            operand = {"NumericGreaterThan": 1, "StringEquals": "x", "IsPresent": True, "BooleanEquals": True}
            rule = {
                "Variable": draw(PATHS.filter(lambda p: not p.startswith("$$"))),
                operator: operand[operator],
            }
            rule["Next"] = target
        spec.update({"Choices": [rule]})
        if draw(st.integers(0, 3)):
            spec["Default"] = later[0]
    elif kind == "Wait":
        spec.update(following)
        if jsonata:
            spec["Seconds"] = draw(st.sampled_from([0, 5, "{% $states.input.v %}", "{% 3 %}"]))
        else:
            field = draw(st.sampled_from(["Seconds", "SecondsPath", "TimestampPath"]))
            spec[field] = draw(st.integers(0, 9)) if field == "Seconds" else draw(PATHS)
    elif kind == "Fail":
        if not jsonata and draw(st.booleans()):
            spec["ErrorPath"] = draw(PATHS | INTRINSICS)
        else:
            spec["Error"] = "Boom"
    elif kind == "Task":
        spec.update(following)
        spec["Resource"] = "arn:aws:states:::lambda:invoke"
        arguments = {"FunctionName": "f", "Payload": "{% $states.input %}" if jsonata else {"p.$": "$"}}
        spec["Arguments" if jsonata else "Parameters"] = arguments
        if not jsonata and draw(st.booleans()):
            spec["TimeoutSecondsPath"] = draw(PATHS)
        spec["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": later[0]}] if later else []
    elif kind == "Parallel":
        spec.update(following)
        spec["Branches"] = [_machine(draw, depth + 1, jsonata) for _ in range(draw(st.integers(1, 2)))]
    elif kind == "Map":
        spec.update(following)
        spec["ItemProcessor"] = _machine(draw, depth + 1, jsonata)
        if jsonata:
            spec["Items"] = draw(
                st.sampled_from(["{% $states.input.a %}", "{% [1, 2] %}", "{% $states.input %}"])
            )
        else:
            spec["ItemsPath"] = draw(PATHS)
            for field in (
                "MaxConcurrencyPath",
                "ToleratedFailureCountPath",
                "ToleratedFailurePercentagePath",
            ):
                if draw(st.booleans()):
                    spec[field] = draw(PATHS)
        if draw(st.booleans()):
            _distributed(draw, spec, jsonata)
    return spec


def _distributed(draw, spec: dict, jsonata: bool) -> None:
    """Distributed mode: child executions, batches, a result writer preview, items read from S3 (with no
    account a reader fails the execution with States.ItemReaderFailed)."""
    kind = draw(st.sampled_from(["STANDARD", "EXPRESS"]))
    spec["ItemProcessor"]["ProcessorConfig"] = {"Mode": "DISTRIBUTED", "ExecutionType": kind}
    if draw(st.booleans()):
        size = draw(st.sampled_from([1, 2, "$.v", "$.a"]))
        field = "MaxItemsPerBatchPath" if isinstance(size, str) and not jsonata else "MaxItemsPerBatch"
        spec["ItemBatcher"] = {field: size if field.endswith("Path") or isinstance(size, int) else 2}
        if draw(st.booleans()):
            spec["ItemBatcher"]["BatchInput"] = _template(draw, jsonata)
    if draw(st.booleans()):
        transformation = draw(st.sampled_from(["NONE", "COMPACT", "FLATTEN"]))
        spec["ResultWriter"] = {"WriterConfig": {"Transformation": transformation, "OutputType": "JSON"}}
    if draw(st.integers(0, 3)) == 0:
        parameters = "Arguments" if jsonata else "Parameters"
        spec["ItemReader"] = {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": draw(st.sampled_from(["JSON", "JSONL", "CSV"]))},
            parameters: {"Bucket": "b", "Key": "k"},
        }


@st.composite
def definitions(draw):
    jsonata = draw(LANGUAGES) == "JSONata"
    definition = _machine(draw, 0, jsonata)
    if jsonata:
        definition["QueryLanguage"] = "JSONata"
    return definition


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow]
)
@given(definitions(), JSON_VALUES)
def test_run_never_raises_for_a_valid_definition(definition, value):
    assume(validate(definition) == [])
    result = run(definition, value, start_time=1_700_000_000.0)
    assert result["status"] in ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
    if result["status"] == "FAILED":
        assert isinstance(result["error"], str) and result["error"]
