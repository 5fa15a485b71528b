"""The grading session: what a lab's checks work with.

A ``Session`` holds the student's files and a fresh simulated account (``labs.runtime.Cloud``), with helpers
to deploy a function or a SAM template, invoke, call an API, run a state machine and read queues. Graders
(``labs/content/<slug>/grader.py``) receive one in each check. Pure Python: no Django.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from labs.grading.catalog import LabSpec
from labs.grading.checks import CheckFailed
from labs.runtime import Cloud
from labs.runtime.apigateway.proxy import HttpResponse
from labs.runtime.awslambda.packaging import zip_files
from labs.runtime.cloudformation import Stack, TemplateError, TemplateProblem, deploy
from labs.runtime.cloudformation.template import is_blocking, lint_template
from labs.runtime.stepfunctions.graph import state_machine_graph

__all__ = ["InfrastructureError", "InvocationResult", "Session", "json_safe"]

LAMBDA_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
STATES_TRUST = LAMBDA_TRUST.replace("lambda.amazonaws.com", "states.amazonaws.com")
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
    request_id: str = ""  # the host's, not anything the function printed

    def log_lines(self, level: str = "INFO") -> list[str]:
        """The lines of the logs that the Lambda runtime's ``logging`` handler wrote at ``level`` for this
        invocation: ``[LEVEL]<tab>timestamp<tab>request id<tab>message``, with this invocation's request id
        (https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html). A ``print("[INFO] ...")`` is
        not one."""
        pattern = re.compile(
            rf"^\[{re.escape(level)}\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{re.escape(self.request_id)}\t"
        )
        return [line for line in self.logs.splitlines() if self.request_id and pattern.match(line)]

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
        """Create a Python function from ``files`` (the student's Python files and requirements.txt by
        default: the runtime installs its packages from the wheelhouse, as ``sam build`` would); returns its
        ARN."""
        code = (
            files
            if files is not None
            else {n: t for n, t in self.files.items() if n.endswith(".py") or n == "requirements.txt"}
        )
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
            request_id=invocation.request_id,
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
            "history": [json_safe(event) for event in history],
        }
        self.executions.append(record)
        return record


def _lint_warnings(text: str, region: str, file_name: str) -> list[TemplateProblem]:
    """cfn-lint's warnings for a template that could not be deployed (``deploy`` stops at the errors and
    returns warnings only with a stack). A template cfn-lint cannot even read has none to add."""
    try:
        problems = lint_template(text, region, file_name)
    except Exception:  # noqa: BLE001 - the errors already in the message say what is wrong
        return []
    return [problem for problem in problems if not is_blocking(problem)]


def json_safe(value: Any) -> Any:
    """JSON-able copy (boto3 gives datetimes; the trace may hold bytes)."""
    return json.loads(json.dumps(value, default=str))
