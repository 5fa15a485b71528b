"""Grading one submission: a fresh simulated account, the grader's setup, each check, one report.

``grade(lab, files)`` is where the platform meets the runtime (``labs.runtime``). The student's code only
ever runs inside Lambda execution environments (the sandbox); the grader and these helpers run on the
host, and a verdict depends only on what the host observed (invocation results, the account's state, the
trace), never on what the student's process says about itself.

The report is plain JSON-able data::

    {"score", "max_score", "checks": [{id, name, points, earned, passed, message, visibility}],
     "invocations": [...], "trace": [...], "executions": [...], "cost_usd", "grading_ms"}

A check that fails because of the student's work costs its points; anything else that goes wrong (the
grader's own bug, a sandbox that cannot start) raises ``InfrastructureError``, so the submission is retried
and, if it keeps failing, shown as an infrastructure error rather than a silent zero. Pure Python: no Django.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from labs.catalog import LabSpec
from labs.checks import CheckFailed
from labs.runtime import Cloud, LabsRuntimeError
from labs.runtime.apigateway.proxy import HttpResponse
from labs.runtime.awslambda.packaging import zip_files
from labs.runtime.cloudformation import Stack, TemplateError, TemplateProblem, deploy
from labs.runtime.cloudformation.template import is_blocking, lint_template

__all__ = ["InfrastructureError", "InvocationResult", "Session", "grade", "invoke_draft", "validate_files"]

LAMBDA_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
STATES_TRUST = LAMBDA_TRUST.replace("lambda.amazonaws.com", "states.amazonaws.com")
MAX_FILE_BYTES = 256 * 1024
_NO_JSON = object()
_to_json = json.dumps  # Session.http's ``json`` argument shadows the module, as in requests


class InfrastructureError(Exception):
    """Grading could not be done for a reason that is not the student's (``args[0]`` says which)."""


@dataclass
class InvocationResult:
    """One synchronous invocation as the host saw it."""

    status_code: int
    payload: bytes
    function_error: str | None
    logs: str
    duration_ms: float
    cold_start: bool
    cost_usd: float

    @property
    def ok(self) -> bool:
        return self.function_error is None

    @property
    def text(self) -> str:
        return self.payload.decode("utf-8", "replace")

    @property
    def json(self) -> Any:
        """The parsed payload; None when it is not JSON."""
        try:
            return json.loads(self.payload) if self.payload else None
        except ValueError:
            return None

    @property
    def error(self) -> str:
        """``errorType: errorMessage`` of a failed invocation ('' when it succeeded)."""
        if self.ok:
            return ""
        body = self.json if isinstance(self.json, dict) else {}
        return f"{body.get('errorType', 'Error')}: {body.get('errorMessage', self.text)}"


def validate_files(lab: LabSpec, files: dict[str, str]) -> None:
    """The submission holds exactly the lab's editable files, each text of at most 256 KB.

    Raises ``ValueError`` naming the file."""
    if not isinstance(files, dict):
        raise ValueError("files must map each file name to its text")
    for name in files:
        if name not in lab.editable:
            raise ValueError(
                f"{name}: this lab has no editable file of that name ({', '.join(lab.editable)})"
            )
    for name in lab.editable:
        if not isinstance(files.get(name), str):
            raise ValueError(f"{name}: missing from the submission")
        if len(files[name].encode("utf-8")) > MAX_FILE_BYTES:
            raise ValueError(f"{name}: larger than {MAX_FILE_BYTES // 1024} KB")


class Session:
    """What a check works with: the student's ``files``, a fresh ``cloud``, and helpers."""

    def __init__(self, lab: LabSpec, files: dict[str, str], cloud: Cloud) -> None:
        self.lab = lab
        self.files = files
        self.cloud = cloud
        self.executions: list[dict] = []
        self.template_warnings: list[str] = []  # cfn-lint warnings and what the simulation did not create
        self._roles = 0
        self._clients: dict[str, Any] = {}

    # -- verdicts ---------------------------------------------------------------------------------------------
    @staticmethod
    def require(condition: object, message: str) -> None:
        """Fail the current check with ``message`` unless ``condition`` holds."""
        if not condition:
            raise CheckFailed(message)

    def json_file(self, name: str) -> Any:
        """A student's JSON file, parsed; a syntax error fails the check naming the line and column."""
        try:
            return json.loads(self.files[name])
        except ValueError as error:
            raise CheckFailed(
                f"{name} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
            ) from None

    # -- the account ------------------------------------------------------------------------------------------
    def client(self, service: str):
        """A boto3 client of the account, kept for the session: creating one costs tens of milliseconds,
        and a grader that asks again in every check would spend most of its time there."""
        if service not in self._clients:
            self._clients[service] = self.cloud.client(service)
        return self._clients[service]

    def take_messages(self, queue: str) -> list[str]:
        """The bodies of every message visible on ``queue`` (a name or URL) now, oldest first, deleted from
        it: what a grader reads once and keeps, as a consumer would."""
        sqs = self.client("sqs")
        url = queue if queue.startswith("https://") else sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        bodies = []
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                bodies.append(message["Body"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return bodies

    def role(
        self, actions: Iterable[str] = (), *, policy: dict | None = None, service: str = "lambda"
    ) -> str:
        """A new IAM role that ``service`` may assume, allowed ``actions`` on every resource (or ``policy``)."""
        self._roles += 1
        name = f"lab-role-{self._roles}"
        iam = self.client("iam")
        trust = LAMBDA_TRUST if service == "lambda" else STATES_TRUST
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        actions = list(actions)
        document = policy or (
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
            if actions
            else None
        )
        if document:
            iam.put_role_policy(RoleName=name, PolicyName="lab", PolicyDocument=json.dumps(document))
        return arn

    def deploy_function(
        self,
        name: str,
        *,
        handler: str = "app.handler",
        files: dict[str, str] | None = None,
        role_arn: str | None = None,
        actions: Iterable[str] = (),
        memory_mb: int = 128,
        timeout_s: int = 3,
        environment: dict[str, str] | None = None,
    ) -> str:
        """Create a Python function from ``files`` (the student's Python files by default); returns its ARN."""
        code = files if files is not None else {n: t for n, t in self.files.items() if n.endswith(".py")}
        response = self.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role_arn or self.role(actions),
            Handler=handler,
            Code={"ZipFile": zip_files(code)},
            MemorySize=memory_mb,
            Timeout=timeout_s,
            Environment={"Variables": environment or {}},
        )
        return response["FunctionArn"]

    def deploy_template(
        self,
        name: str = "template.yaml",
        *,
        code_files: dict[str, str] | None = None,
        parameters: dict[str, Any] | None = None,
        stack_name: str = "lab",
    ) -> Stack:
        """Deploy the student's SAM / CloudFormation template ``name`` into the account, as ``sam deploy``
        would: CodeUri paths are relative to a folder holding ``code_files`` (the student's other files by
        default). Returns the ``Stack``; its warnings are kept in ``template_warnings`` (``grade`` adds them
        to a failed check's message). A template that cannot be deployed fails the check with every problem
        as cfn-lint / ``sam validate`` give it (file, line, rule id) and the warnings after them."""
        if name not in self.files:
            raise CheckFailed(f"{name} is missing from the submission")
        code = code_files if code_files is not None else {n: t for n, t in self.files.items() if n != name}
        with tempfile.TemporaryDirectory(prefix="lab-code-") as code_dir:
            for file_name, text in code.items():
                # file names were checked against the lab's editable list (plain names, no folders)
                with open(f"{code_dir}/{file_name}", "w", encoding="utf-8") as handle:
                    handle.write(text)
            try:
                stack = deploy(
                    self.cloud,
                    self.files[name],
                    code_dir=code_dir,
                    parameters=parameters,
                    stack_name=stack_name,
                    template_file=name,
                )
            except TemplateError as error:
                count = len(error.problems)
                lines = [f"{name} cannot be deployed ({count} problem{'s' if count != 1 else ''}):"]
                lines += [f"  {problem}" for problem in error.problems]
                warnings = _lint_warnings(self.files[name], self.cloud.region, name)
                if warnings:
                    lines += ["Warnings:", *(f"  {warning}" for warning in warnings)]
                raise CheckFailed("\n".join(lines)) from None
        self.template_warnings = [str(warning) for warning in stack.warnings]
        return stack

    def invoke(self, function: str, event: Any) -> InvocationResult:
        """Invoke synchronously with ``event`` (JSON-able) and return what happened."""
        invocation = self.cloud.lambda_.invoke(function, json.dumps(event).encode())
        return InvocationResult(
            status_code=invocation.status_code,
            payload=invocation.payload,
            function_error=invocation.function_error,
            logs=invocation.logs,
            duration_ms=invocation.duration_ms,
            cold_start=invocation.cold_start,
            cost_usd=invocation.cost_usd,
        )

    def http(
        self,
        method: str,
        url: str,
        *,
        api_id: str | None = None,
        stage: str | None = None,
        headers: dict[str, str | list[str]] | None = None,
        body: bytes | str | None = None,
        json: Any = _NO_JSON,
    ) -> HttpResponse:
        """Call a REST or HTTP API of the account as a client would (``Cloud.http_request``): ``url`` is the
        invoke URL or a path with ``api_id``; ``json`` sends a JSON body with its Content-Type."""
        headers = dict(headers or {})
        if json is not _NO_JSON:
            body = _to_json(json)
            headers.setdefault("Content-Type", "application/json")
        return self.cloud.http_request(method, url, headers, body, api_id=api_id, stage=stage)

    def run_state_machine(self, definition: dict | str, value: Any, *, role_arn: str, name: str = "") -> dict:
        """Create (or reuse) a state machine, run one execution to its end in simulated time, and return
        ``describe_execution`` with ``output`` parsed and ``history`` added. An invalid definition fails
        the check with every problem the validator found."""
        from labs.runtime.stepfunctions.graph import state_machine_graph

        sfn = self.client("stepfunctions")
        text = definition if isinstance(definition, str) else json.dumps(definition)
        machine_name = name or f"lab-machine-{len(self.executions) + 1}"
        try:
            machine_arn = sfn.create_state_machine(name=machine_name, definition=text, roleArn=role_arn)[
                "stateMachineArn"
            ]
        except ClientError as error:
            raise CheckFailed(
                f"The state machine was rejected: {error.response['Error']['Message']}"
            ) from None
        arn = sfn.start_execution(stateMachineArn=machine_arn, input=json.dumps(value))["executionArn"]
        self.cloud.run_until_idle()
        described = sfn.describe_execution(executionArn=arn)
        history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        execution = self.cloud.stepfunctions.executions[arn]
        record = {
            "name": described["name"],
            "status": described["status"],
            "input": value,
            "output": json.loads(described["output"]) if described.get("output") else None,
            "error": described.get("error"),
            "cause": described.get("cause"),
            "graph": state_machine_graph(json.loads(text), execution),
            "history": [_plain(event) for event in history],
        }
        self.executions.append(record)
        return record


def grade(lab: LabSpec, files: dict[str, str], *, visible_only: bool = False) -> dict:
    """Grade ``files`` against ``lab``; ``visible_only`` runs only the checks shown before submitting
    ("Run checks"). Raises ``ValueError`` for files that do not fit the lab, ``InfrastructureError`` when
    grading itself failed."""
    validate_files(lab, files)
    started = time.perf_counter()
    checks = [c for c in lab.checks if not visible_only or lab.visibility[c.id] == "visible"]
    results = []
    try:
        with Cloud(seed=7) as cloud:
            session = Session(lab, files, cloud)
            setup_failure = None
            setup = lab.setup()
            if setup is not None:
                setup_failure = _run(setup, session)
            for declared in checks:
                first_entry, first_execution = len(cloud.trace), len(session.executions)
                message = setup_failure if setup_failure is not None else _run(declared.run, session)
                if message is not None and setup_failure is None and session.template_warnings:
                    # a warning (a property or resource type not simulated) may be why the check failed
                    message += "\nTemplate warnings:\n" + "\n".join(
                        f"  {w}" for w in session.template_warnings
                    )
                results.append(
                    {
                        "id": declared.id,
                        "name": declared.name,
                        "points": declared.points,
                        "earned": declared.points if message is None else 0,
                        "passed": message is None,
                        "message": message or "",
                        "visibility": lab.visibility[declared.id],
                        # what this check caused, so pages can hide a hidden check's events and logs
                        "trace_range": [first_entry, len(cloud.trace)],
                        "execution_range": [first_execution, len(session.executions)],
                    }
                )
            trace = [_plain(entry) for entry in cloud.trace]
            executions = session.executions
    except LabsRuntimeError as error:
        raise InfrastructureError(f"the runtime failed: {error}") from error
    invocations = [entry for entry in trace if entry["kind"] == "invocation"]
    return {
        "score": sum(result["earned"] for result in results),
        "max_score": sum(result["points"] for result in results),
        "checks": results,
        "invocations": invocations,
        "trace": trace,
        "executions": executions,
        "cost_usd": round(sum(entry.get("cost_usd", 0) or 0 for entry in invocations), 10),
        "grading_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def invoke_draft(lab: LabSpec, files: dict[str, str], event: Any, *, handler: str = "") -> dict:
    """The playground: deploy ``files`` as the lab's playground handler in a fresh simulated account and
    invoke it once, synchronously, with ``event``. Nothing is checked or scored. Returns what the Lambda
    console's Test shows: the response payload, the function error, the logs, the REPORT figures, and the
    run's trace. Raises ``ValueError`` (files that do not fit, no playground), ``InfrastructureError``."""
    validate_files(lab, files)
    handler = handler or lab.playground_handler
    if not handler:
        raise ValueError(f"lab {lab.slug} has no playground")
    started = time.perf_counter()
    try:
        with Cloud(seed=7) as cloud:
            session = Session(lab, files, cloud)
            name = lab.playground_function or lab.slug[:64]
            session.deploy_function(name, handler=handler)
            first = len(cloud.trace)  # what follows the deployment is the student's run
            result = session.invoke(name, event)
            # the logs are shown once, from the result; the trace keeps the rest of each invocation
            trace = [_plain({k: v for k, v in entry.items() if k != "logs"}) for entry in cloud.trace[first:]]
    except LabsRuntimeError as error:
        raise InfrastructureError(f"the runtime failed: {error}") from error
    invocation = next((entry for entry in trace if entry["kind"] == "invocation"), {})
    return {
        "payload": result.text,
        "function_error": result.function_error,
        "error_type": invocation.get("error_type"),
        "logs": result.logs,
        "duration_ms": result.duration_ms,
        "billed_duration_ms": invocation.get("billed_duration_ms"),
        "init_duration_ms": invocation.get("init_duration_ms"),
        "memory_size_mb": invocation.get("memory_size_mb"),
        "max_memory_used_mb": invocation.get("max_memory_used_mb"),
        "cold_start": result.cold_start,
        "cost_usd": result.cost_usd,
        "trace": trace,
        "run_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def warm_up() -> None:
    """Load, once per worker process, what a first grading would otherwise wait for: the runtime's fork
    server, boto3's service models, cfn-lint's rule collection (about 2 s) and the SAM translator. A
    failure here is not fatal: the first grading then pays for it, or reports what is missing."""
    from labs.runtime import Cloud
    from labs.runtime.cloudformation.template import _lint_rules

    _lint_rules()
    import samtranslator.translator.transform  # noqa: F401 - imported for its side effect: loaded once

    from labs.runtime.sandbox.host import fork_server

    with Cloud() as cloud:
        for service in ("iam", "lambda", "sqs", "sns", "s3", "dynamodb", "events", "stepfunctions"):
            cloud.client(service)
        fork_server(cloud.sandbox_mode)  # started, with boto3 preloaded in it


def _run(function, session: Session) -> str | None:
    """Run a check (or the setup): None when it passed, else the message for the student."""
    try:
        function(session)
    except CheckFailed as failure:
        return failure.message
    except LabsRuntimeError:
        raise
    except Exception as error:  # noqa: BLE001 - a grader's own failure is never the student's zero
        raise InfrastructureError(
            f"the grader failed in {function.__name__}: {type(error).__name__}: {error}"
        ) from error
    return None


def _lint_warnings(text: str, region: str, file_name: str) -> list[TemplateProblem]:
    """cfn-lint's warnings for a template that could not be deployed (``deploy`` stops at the errors and
    returns warnings only with a stack). A template cfn-lint cannot even read has none to add."""
    try:
        problems = lint_template(text, region, file_name)
    except Exception:  # noqa: BLE001 - the errors already in the message say what is wrong
        return []
    return [problem for problem in problems if not is_blocking(problem)]


def _plain(value: Any) -> Any:
    """JSON-able copy (boto3 gives datetimes; the trace may hold bytes)."""
    return json.loads(json.dumps(value, default=str))
