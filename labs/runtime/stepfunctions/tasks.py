"""Task states: Lambda by function ARN, the optimized integrations, AWS SDK integrations and callbacks.

Calls go to the execution's ``Cloud`` through real boto3 clients. When the state machine's role exists in
the account, calls are made *as that role* and authorized like any other principal's; a refusal fails the
task as AWS does. Error names follow Step Functions: ``Lambda.ResourceNotFoundException``,
``SQS.AmazonSQSException``, ``DynamoDB.ConditionalCheckFailedException``; a Lambda function's own error
keeps its ``errorType``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Generator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.validate import validate_parameters

from labs.runtime.stepfunctions.flow import StatesError, Suspend
from labs.runtime.stepfunctions.integrations import (
    OPTIMIZED,
    boto3_service_name,
    lambda_function_name,
    not_simulated,
    parse_resource,
)

__all__ = ["OPTIMIZED", "TaskRunner", "parse_resource"]

_ERROR_PREFIX = {
    "lambda": "Lambda",
    "sqs": "SQS",
    "sns": "SNS",
    "dynamodb": "DynamoDB",
    "events": "EventBridge",
    "states": "StepFunctions",
}
_CLIENT_NAME = {"states": "stepfunctions", "sfn": "stepfunctions"}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _strip_metadata(response: dict) -> dict:
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


def _sdk_metadata(response: dict) -> dict:
    request_id = response.get("ResponseMetadata", {}).get("RequestId", "")
    return {
        "SdkHttpMetadata": {"HttpHeaders": {"x-amzn-RequestId": request_id}, "HttpStatusCode": 200},
        "SdkResponseMetadata": {"RequestId": request_id},
    }


class TaskRunner:
    """Runs Task states for the executions of one account. ``cloud`` may be None (then a task fails)."""

    def __init__(self, cloud: Any, start_execution: Callable | None = None) -> None:
        self.cloud = cloud
        self.start_execution = start_execution  # for states:startExecution (the service provides it)
        self.tokens: dict[str, dict] = {}

    # -- callbacks ---------------------------------------------------------------------------------------------
    def new_token(self, execution: Any) -> str:
        return "".join(f"{execution.rng.getrandbits(32):08x}" for _ in range(8))

    def complete_token(self, token: str, result: Any) -> bool:
        """SendTaskSuccess / SendTaskFailure: ``result`` is the output or a ``StatesError``. The waiting
        branch resumes on the scheduler, as a callback does on AWS; a callback that arrives before the
        task has parked (a handler answering at once) is kept until it does."""
        waiting = self.tokens.pop(token, None)
        if waiting is None:
            return False
        waiting["result"] = result
        if waiting["resume"] is not None:
            waiting["resume"](result)
        return True

    def heartbeat(self, token: str) -> bool:
        waiting = self.tokens.get(token)
        if waiting is None:
            return False
        waiting["beat"]()
        return True

    # -- running a task ---------------------------------------------------------------------------------------
    def run(
        self, execution, state, task_input: Any, thread, context: dict, timeout_s, heartbeat_s
    ) -> Generator:
        resource = state.spec["Resource"]
        parsed = parse_resource(resource)
        if not parsed.simulated:
            raise StatesError("States.Runtime", not_simulated(resource, parsed))
        kind, service, action, pattern = parsed
        if kind == "lambda":
            return (
                yield from self._lambda_function(execution, state, resource, task_input, thread, timeout_s)
            )
        resource_name = f"{action}{pattern}"
        scheduled = {
            "resourceType": service,
            "resource": resource_name,
            "region": self.cloud.region if self.cloud else "us-east-1",
            "parameters": json.dumps(task_input, separators=(",", ":")),
        }
        if timeout_s:
            scheduled["timeoutInSeconds"] = int(timeout_s)
        if heartbeat_s:
            scheduled["heartbeatInSeconds"] = int(heartbeat_s)
        execution.record(thread, "TaskScheduled", taskScheduledEventDetails=scheduled)
        names = {"resourceType": service, "resource": resource_name}
        execution.record(thread, "TaskStarted", taskStartedEventDetails=names)
        if pattern == ".waitForTaskToken":
            token = context["Task"]["Token"]
            waiting = {"result": None, "resume": None, "beat": lambda: None, "execution": execution.arn}
            self.tokens[token] = waiting  # valid from now: the call below may already answer it
        try:
            result = self._call(execution, kind, service, action, pattern, task_input, timeout_s)
            child = result.pop("_execution", None) if isinstance(result, dict) else None
            if pattern:
                execution.record(
                    thread,
                    "TaskSubmitted",
                    taskSubmittedEventDetails={**names, "output": json.dumps(result, separators=(",", ":"))},
                )
                if pattern == ".waitForTaskToken":
                    result = yield Suspend(
                        self._token_wait(execution, waiting, token, timeout_s, heartbeat_s)
                    )
                else:
                    result = yield Suspend(self._sync_wait(child, pattern))
        except StatesError as failure:
            if failure.error == "States.Timeout" or failure.error == "States.HeartbeatTimeout":
                details = {**names, "error": failure.error, "cause": failure.cause}
                execution.record(thread, "TaskTimedOut", taskTimedOutEventDetails=details)
            else:
                details = {**names, "error": failure.error, "cause": failure.cause}
                execution.record(thread, "TaskFailed", taskFailedEventDetails=details)
            raise
        execution.record(
            thread,
            "TaskSucceeded",
            taskSucceededEventDetails={
                **names,
                "output": json.dumps(result, separators=(",", ":")),
                "outputDetails": {"truncated": False},
            },
        )
        return result

    def _lambda_function(
        self, execution, state, resource: str, task_input: Any, thread, timeout_s
    ) -> Generator:
        scheduled = {
            "resource": resource,
            "input": json.dumps(task_input, separators=(",", ":")),
            "inputDetails": {"truncated": False},
        }
        if timeout_s:
            scheduled["timeoutInSeconds"] = int(timeout_s)
        execution.record(thread, "LambdaFunctionScheduled", lambdaFunctionScheduledEventDetails=scheduled)
        execution.record(thread, "LambdaFunctionStarted")
        try:
            envelope = self._invoke(
                execution, {"FunctionName": lambda_function_name(resource), "Payload": task_input}, timeout_s
            )
        except StatesError as failure:
            kind = "TimedOut" if failure.error == "States.Timeout" else "Failed"
            key = f"lambdaFunction{kind}EventDetails"
            execution.record(
                thread, f"LambdaFunction{kind}", **{key: {"error": failure.error, "cause": failure.cause}}
            )
            raise
        output = envelope["Payload"]
        execution.record(
            thread,
            "LambdaFunctionSucceeded",
            lambdaFunctionSucceededEventDetails={
                "output": json.dumps(output, separators=(",", ":")),
                "outputDetails": {"truncated": False},
            },
        )
        return output
        yield  # pragma: no cover - a generator like every task

    def _token_wait(self, execution, waiting: dict, token: str, timeout_s, heartbeat_s):
        scheduler = execution.scheduler

        def setup(resume: Callable[[Any], None]) -> Callable[[], None]:
            timers: dict[str, Any] = {}

            def cancel() -> None:
                self.tokens.pop(token, None)
                for timer in timers.values():
                    scheduler.cancel(timer)

            def finish(result: Any) -> None:
                cancel()
                timers["answer"] = scheduler.call_later(0, lambda: resume(result), "sfn callback")

            def beat() -> None:
                if "heartbeat" in timers:
                    scheduler.cancel(timers["heartbeat"])
                if heartbeat_s:
                    timers["heartbeat"] = scheduler.call_later(
                        heartbeat_s,
                        lambda: finish(StatesError("States.HeartbeatTimeout", "")),
                        "sfn heartbeat",
                    )

            if token not in self.tokens:  # answered before the task parked
                finish(waiting["result"])
                return cancel
            if timeout_s:
                timers["timeout"] = scheduler.call_later(
                    timeout_s, lambda: finish(StatesError("States.Timeout", "")), "sfn task timeout"
                )
            beat()
            waiting["resume"], waiting["beat"] = finish, beat
            return cancel

        return setup

    def _sync_wait(self, child, pattern: str):
        def setup(resume: Callable[[Any], None]) -> Callable[[], None]:
            def finished(done) -> None:
                description = self.describe(done, parsed_output=pattern == ".sync:2")
                if done.status == "SUCCEEDED":
                    result: Any = description
                else:
                    error = "States.Timeout" if done.status == "TIMED_OUT" else "States.TaskFailed"
                    result = StatesError(error, json.dumps(description, separators=(",", ":")))
                child.scheduler.call_later(0, lambda: resume(result), "sfn nested execution done")

            if child.status != "RUNNING":
                finished(child)
                return lambda: None
            child.on_finish_callbacks.append(finished)
            return lambda: (
                child.on_finish_callbacks.remove(finished) if finished in child.on_finish_callbacks else None
            )

        return setup

    @staticmethod
    def describe(execution, parsed_output: bool = False) -> dict:
        description = {
            "ExecutionArn": execution.arn,
            "StateMachineArn": execution.state_machine_arn,
            "Name": execution.name,
            "Status": execution.status,
            "StartDate": execution.start_time,
            "StopDate": execution.stop_time,
            "Input": json.dumps(execution.input, separators=(",", ":")),
        }
        if execution.status == "SUCCEEDED":
            description["Output"] = (
                execution.output if parsed_output else json.dumps(execution.output, separators=(",", ":"))
            )
        if execution.error:
            description["Error"], description["Cause"] = execution.error, execution.cause or ""
        return description

    # -- the calls -------------------------------------------------------------------------------------------
    def client_for(self, execution, service: str):
        """A boto3 client of the account acting as the execution's role (States.TaskFailed without one)."""
        return self._client(execution, service)

    def _client(self, execution, service: str):
        if self.cloud is None:
            raise StatesError("States.TaskFailed", f"No simulated account to call {service} in")
        name = _CLIENT_NAME.get(service) or boto3_service_name(service)
        if name is None:
            raise StatesError(
                "States.Runtime",
                f"valid on AWS, not simulated here: the AWS SDK integration for '{service}' (no such service "
                "in this runtime's AWS SDK). Use a Lambda function Task as a stand-in.",
            )
        return self.cloud.client_as_role(
            name, execution.role_arn, execution.name, cause=getattr(execution, "trace_seq", None)
        )

    def _call(
        self, execution, kind: str, service: str, action: str, pattern: str, params: Any, timeout_s=None
    ) -> Any:
        if not isinstance(params, dict):
            raise StatesError("States.Runtime", f"The parameters of {service}:{action} must be a JSON object")
        if kind == "sdk":
            return self._sdk(execution, service, action, params)
        if service == "lambda":
            return self._invoke(execution, params, None if pattern else timeout_s)
        if service == "states":
            if self.start_execution is None:
                raise StatesError("States.TaskFailed", "Nested executions need a Step Functions service")
            child = self.start_execution(execution, params)
            started = {"ExecutionArn": child.arn, "StartDate": child.start_time}
            return {**started, "_execution": child} if pattern.startswith(".sync") else started
        request = dict(params)
        if service == "sqs" and not isinstance(request.get("MessageBody", ""), str):
            request["MessageBody"] = json.dumps(request["MessageBody"], separators=(",", ":"))
        if service == "sns" and not isinstance(request.get("Message", ""), str):
            request["Message"] = json.dumps(request["Message"], separators=(",", ":"))
        if service == "events":
            for entry in request.get("Entries", []):
                if isinstance(entry, dict) and not isinstance(entry.get("Detail", ""), str):
                    entry["Detail"] = json.dumps(entry["Detail"], separators=(",", ":"))
        response = self._boto(execution, service, action, request)
        return {**_strip_metadata(response), **_sdk_metadata(response)}

    def _sdk(self, execution, service: str, action: str, params: dict) -> Any:
        response = self._boto(execution, service, action, params)
        return _strip_metadata(response)

    def _boto(self, execution, service: str, action: str, params: dict) -> dict:
        client = self._client(execution, service)
        method = getattr(client, _snake(action), None)
        if method is None:
            raise StatesError("States.Runtime", f"{service} has no action {action}")
        prefix = _ERROR_PREFIX.get(service, service[:1].upper() + service[1:])
        try:
            _validate(client, action, params)
            return _jsonable(method(**params))
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Exception")
            raise StatesError(
                f"{prefix}.{code}", error.response.get("Error", {}).get("Message", str(error))
            ) from None
        except (BotoCoreError, TypeError, ValueError) as error:
            raise _parameters_refused(service, action, error) from None

    def _invoke(self, execution, params: dict, timeout_s) -> dict:
        """lambda:invoke: the response envelope; a function error raises its errorType."""
        request = dict(params)
        payload = request.pop("Payload", {})
        request["Payload"] = (
            payload if isinstance(payload, str | bytes) else json.dumps(payload, separators=(",", ":"))
        )
        if timeout_s:
            request["LogType"] = "Tail"  # the REPORT line gives the invocation's duration
        client = self._client(execution, "lambda")
        try:
            _validate(client, "invoke", request)
            response = client.invoke(**request)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Exception")
            raise StatesError(f"Lambda.{code}", error.response.get("Error", {}).get("Message", "")) from None
        except (BotoCoreError, TypeError, ValueError) as error:
            raise _parameters_refused("lambda", "invoke", error) from None
        body = response["Payload"].read()
        text = body.decode("utf-8", "replace")
        if timeout_s and _duration_s(response.pop("LogResult", "")) > float(timeout_s):
            # Step Functions stops waiting after TimeoutSeconds; the function itself runs on to its end
            # (its side effects happen), as on AWS. Invocations take no simulated time, so the
            # invocation's measured duration stands in for the wait.
            raise StatesError("States.Timeout", "")
        if response.get("FunctionError"):
            try:
                error_type = str(json.loads(text).get("errorType", "Lambda.Unknown"))
            except (ValueError, AttributeError):
                error_type = "Lambda.Unknown"
            raise StatesError(error_type, text)
        try:
            output = json.loads(text) if text else None
        except ValueError:
            output = text
        return {
            "ExecutedVersion": response.get("ExecutedVersion", "$LATEST"),
            "Payload": output,
            **_sdk_metadata(response),
            "StatusCode": response.get("StatusCode", 200),
        }


def _validate(client, action: str, params: dict) -> None:
    """botocore's parameter validation, run first: it names the field (a wrongly typed field the endpoint
    is built from would otherwise fail in endpoint resolution, under another field's name)."""
    operation = client.meta.method_to_api_mapping.get(_snake(action))
    if operation is not None:
        validate_parameters(params, client.meta.service_model.operation_model(operation).input_shape)


def _parameters_refused(service: str, action: str, error: Exception) -> StatesError:
    """A Task whose parameters the SDK refuses before sending (a missing, unknown or wrongly typed field:
    botocore's ``ParamValidationError``, or ``EndpointResolutionError`` for a mistyped field the endpoint is
    built from; ``BotoCoreError``s, not ``ValueError``s; no call here leaves the process) fails as the task
    does on AWS, with ``States.TaskFailed`` and the validation message as its cause, so a Retry or Catch on
    ``States.TaskFailed`` / ``States.ALL`` handles it. Error names: "Error handling in Step Functions",
    https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html"""
    return StatesError("States.TaskFailed", f"{service}:{action}: {error}")


_REPORT_DURATION = re.compile(r"REPORT RequestId: \S+\s+Duration: ([0-9.]+) ms")


def _duration_s(log_result: str) -> float:
    """The duration in the REPORT line of an invocation's base64 log tail (0 when there is none)."""
    match = _REPORT_DURATION.search(base64.b64decode(log_result or b"").decode("utf-8", "replace"))
    return float(match.group(1)) / 1000 if match else 0.0


def _jsonable(value: Any) -> Any:
    """boto3 responses hold datetimes, Decimals and streams; Step Functions passes JSON."""
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    if hasattr(value, "timestamp"):
        return value.timestamp()
    if hasattr(value, "read"):
        return value.read().decode("utf-8", "replace")
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return float(value) if value == value else None
