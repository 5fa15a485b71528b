"""Command line: ``python -m labs.runtime invoke ...``, ``generate-event ...``, ``events test-event-pattern ...``,
``stepfunctions ...`` and ``deploy TEMPLATE --scenario FILE``.

``invoke`` deploys a directory as a function in a fresh simulated account and invokes it once, printing the
response payload and the function's logs (like ``sam local invoke``). ``generate-event`` prints a sample
event (like ``sam local generate-event``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from labs.runtime.awslambda.packaging import zip_directory
from labs.runtime.events import EVENTS, generate_event

__all__ = ["main"]

_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def _invoke(args: argparse.Namespace) -> int:
    from labs.runtime import Cloud

    code_dir = Path(args.code)
    if not code_dir.is_dir():
        print(f"error: --code {code_dir}: not a directory", file=sys.stderr)
        return 2
    event = Path(args.event).read_bytes() if args.event else b"{}"
    try:
        json.loads(event)
    except ValueError as error:
        print(f"error: --event {args.event}: not JSON ({error})", file=sys.stderr)
        return 2
    environment = {}
    for pair in args.env or []:
        key, separator, value = pair.partition("=")
        if not separator:
            print(f"error: --env {pair!r}: expected KEY=VALUE", file=sys.stderr)
            return 2
        environment[key] = value
    with Cloud() as cloud:
        iam = cloud.client("iam")
        role_arn = iam.create_role(RoleName="cli-function-role", AssumeRolePolicyDocument=json.dumps(_TRUST))[
            "Role"
        ]["Arn"]
        if args.role:
            iam.put_role_policy(
                RoleName="cli-function-role",
                PolicyName="from-file",
                PolicyDocument=Path(args.role).read_text(),
            )
        lambda_client = cloud.client("lambda")
        lambda_client.create_function(
            FunctionName=args.name,
            Runtime="python3.12",
            Role=role_arn,
            Handler=args.handler,
            Code={"ZipFile": zip_directory(code_dir)},
            MemorySize=args.memory,
            Timeout=args.timeout,
            Environment={"Variables": environment},
        )
        result = cloud.lambda_.invoke(args.name, event)
        print(result.logs, end="", file=sys.stderr)
        print(result.payload.decode("utf-8", "replace"))
        return 1 if result.function_error else 0


def _json_argument(value: str, option: str) -> object:
    """The AWS CLI's convention: ``file://path`` reads a file, anything else is the JSON text itself."""
    text = Path(value[len("file://") :]).read_text() if value.startswith("file://") else value
    try:
        return json.loads(text)
    except ValueError as error:
        raise ValueError(f"{option}: not valid JSON ({error})") from None


def _test_event_pattern(args: argparse.Namespace) -> int:
    from labs.runtime.eventbridge.patterns import InvalidEventPatternError, matches

    try:
        pattern = _json_argument(args.event_pattern, "--event-pattern")
        event = _json_argument(args.event, "--event")
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not isinstance(event, dict):
        # An event is a JSON object on AWS: TestEventPattern and PutEvents refuse anything else.
        print(
            "An error occurred (InvalidEventPatternException) when calling the TestEventPattern operation: "
            "Event is not valid. Reason: the event must be a JSON object",
            file=sys.stderr,
        )
        return 255
    try:
        result = matches(pattern, event) if isinstance(pattern, dict) else matches(json.dumps(pattern), event)
    except InvalidEventPatternError as error:
        # Like the AWS CLI when the service answers InvalidEventPatternException: message on stderr, exit 255.
        print(
            f"An error occurred (InvalidEventPatternException) when calling the TestEventPattern operation: {error}",
            file=sys.stderr,
        )
        return 255
    print(json.dumps({"Result": result}))
    return 0


def _text_argument(value: str) -> str:
    return Path(value[len("file://") :]).read_text() if value.startswith("file://") else value


def _stepfunctions(args: argparse.Namespace) -> int:
    from labs.runtime import stepfunctions
    from labs.runtime.stepfunctions.testing import test_state

    try:
        definition = _text_argument(args.definition)
        input_value = _json_argument(args.input, "--input") if getattr(args, "input", None) else {}
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.sfn_command == "validate":
        problems = stepfunctions.validate(definition)
        diagnostics = [
            {
                "severity": "ERROR",
                "code": p.code,
                "message": p.message,
                "location": p.location,
                "line": p.line,
            }
            for p in problems
        ]
        print(json.dumps({"result": "FAIL" if problems else "OK", "diagnostics": diagnostics}, indent=2))
        return 1 if problems else 0
    try:
        if args.sfn_command == "test-state":
            result = test_state(json.loads(definition), input_value, inspection_level=args.inspection_level)
        else:
            ran = stepfunctions.run(definition, input_value, name=args.name)
            result = {key: ran[key] for key in ("status", "output", "error", "cause")}
            result["output"] = (
                None if ran["output"] is None else json.dumps(ran["output"], separators=(",", ":"))
            )
            result = {key: value for key, value in result.items() if value is not None}
            if args.history:
                result["events"] = stepfunctions.history_json(ran["history"])
    except stepfunctions.DefinitionError as error:
        print(
            f"An error occurred (InvalidDefinition) when calling the {args.operation} operation: {error}",
            file=sys.stderr,
        )
        return 255
    except ValueError as error:
        print(f"error: --definition: not valid JSON ({error})", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0


def _deploy(args: argparse.Namespace) -> int:
    from labs.runtime import Cloud
    from labs.runtime.cloudformation import deploy
    from labs.runtime.core.errors import TemplateError
    from labs.runtime.scenario import (
        ScenarioError,
        load_scenario,
        print_final_state,
        print_trace,
        run_scenario,
    )

    template = Path(args.template)
    code_dir = (
        Path(args.code) if args.code else template.parent
    )  # CodeUri is relative to the template, as in SAM
    parameters = {}
    for pair in args.parameter or []:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            print(f"error: --parameter {pair!r}: expected KEY=VALUE", file=sys.stderr)
            return 2
        parameters[key] = value
    try:
        text = template.read_text()
        steps = load_scenario(Path(args.scenario).read_text(), args.scenario) if args.scenario else []
    except (OSError, UnicodeDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ScenarioError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    with Cloud() as cloud:
        try:
            stack = deploy(
                cloud,
                text,
                code_dir=code_dir,
                parameters=parameters,
                stack_name=args.stack_name,
                template_file=str(template),
            )
        except TemplateError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        for warning in stack.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"stack {stack.name}: {len(stack.resources)} resources")
        for resource in stack.resources.values():
            note = "" if resource.simulated else "  (not simulated)"
            print(f"  {resource.logical_id:<40} {resource.type:<36} {resource.physical_id}{note}")
        for name, value in stack.outputs.items():
            print(f"output {name} = {value}")
        if not steps:
            return 0
        cloud.trace.clear()  # the timeline shows the scenario, not the deployment's API calls
        print("\n== scenario")
        try:
            run_scenario(cloud, stack, steps, sys.stdout, args.scenario)
        except ScenarioError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print("\n== trace")
        print_trace(cloud, sys.stdout)
        print("\n== final state")
        print_final_state(cloud, sys.stdout)
    return 0


def _add_deploy(commands) -> None:
    deploy = commands.add_parser("deploy", help="deploy a SAM/CloudFormation template, then run a scenario")
    deploy.add_argument("template", help="template file (YAML or JSON)")
    deploy.add_argument(
        "--code", help="folder CodeUri paths are relative to (default: the template's folder)"
    )
    deploy.add_argument(
        "--parameter", action="append", metavar="K=V", help="a template parameter (repeatable)"
    )
    deploy.add_argument("--stack-name", default="lab", help="stack name (default: lab)")
    deploy.add_argument("--scenario", help="YAML/JSON list of steps to run after deploying")


def _add_stepfunctions(commands) -> None:
    sfn = commands.add_parser("stepfunctions", help="run and check state machines, like `aws stepfunctions`")
    sfn_commands = sfn.add_subparsers(dest="sfn_command", required=True)
    start = sfn_commands.add_parser("start-execution", help="run a state machine to the end (simulated time)")
    start.add_argument("--definition", required=True, help="file://SM.json or the JSON text")
    start.add_argument("--input", help="file://IN.json or the JSON text (default: {})")
    start.add_argument("--name", default="cli", help="execution and state machine name")
    start.add_argument("--history", action="store_true", help="include the execution history's events")
    start.set_defaults(operation="CreateStateMachine")
    state = sfn_commands.add_parser("test-state", help="run one state, like the TestState API")
    state.add_argument("--definition", required=True, help="file://STATE.json or the JSON text")
    state.add_argument("--input", help="file://IN.json or the JSON text (default: {})")
    state.add_argument("--inspection-level", choices=["INFO", "DEBUG", "TRACE"], default="INFO")
    state.set_defaults(operation="TestState")
    check = sfn_commands.add_parser("validate", help="validate a definition (exit 1 when it has problems)")
    check.add_argument("--definition", required=True, help="file://SM.json or the JSON text")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m labs.runtime", description="The mock serverless runtime."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    invoke = commands.add_parser("invoke", help="run a handler once in a sandboxed execution environment")
    invoke.add_argument("--code", required=True, help="directory holding the function's code")
    invoke.add_argument("--handler", required=True, help="module.function, e.g. handler.lambda_handler")
    invoke.add_argument("--event", help="JSON file with the event (default: {})")
    invoke.add_argument("--memory", type=int, default=128, help="memory size in MB (128-10240)")
    invoke.add_argument("--timeout", type=int, default=3, help="timeout in seconds (1-900)")
    invoke.add_argument("--env", action="append", metavar="K=V", help="an environment variable (repeatable)")
    invoke.add_argument("--role", help="JSON file with an identity policy for the execution role")
    invoke.add_argument("--name", default="function", help="function name (default: function)")
    generate = commands.add_parser("generate-event", help="print a sample event")
    generate.add_argument("service", choices=sorted({service for service, _ in EVENTS}))
    generate.add_argument("event")
    events = commands.add_parser("events", help="EventBridge helpers, like `aws events`")
    events_commands = events.add_subparsers(dest="events_command", required=True)
    test_pattern = events_commands.add_parser(
        "test-event-pattern", help="does an event match an event pattern (like aws events test-event-pattern)"
    )
    test_pattern.add_argument("--event-pattern", required=True, help="file://PATTERN.json or the JSON text")
    test_pattern.add_argument("--event", required=True, help="file://EVENT.json or the JSON text")
    _add_stepfunctions(commands)
    _add_deploy(commands)
    args = parser.parse_args(argv)
    if args.command == "deploy":
        return _deploy(args)
    if args.command == "stepfunctions":
        return _stepfunctions(args)
    if args.command == "events":
        return _test_event_pattern(args)
    if args.command == "generate-event":
        try:
            print(json.dumps(generate_event(args.service, args.event), indent=2))
        except KeyError as error:
            print(f"error: {error.args[0]}", file=sys.stderr)
            return 2
        return 0
    return _invoke(args)


if __name__ == "__main__":
    sys.exit(main())
