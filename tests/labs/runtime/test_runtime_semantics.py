"""Lambda semantics: context, environment, logs, cold/warm, errors, invocation types, limits."""

import hashlib
import json
import re

import pytest

REPORT = re.compile(
    r"^REPORT RequestId: (?P<id>[0-9a-f-]{36})\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\t"
    r"Memory Size: (?P<memory>\d+) MB\tMax Memory Used: \d+ MB(?P<init>\tInit Duration: \d+\.\d{2} ms)?(?P<status>\tStatus: .*)?$"
)

CONTEXT_HANDLER = """
import os
def handler(event, context):
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "version": context.function_version,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "group": context.log_group_name,
        "stream": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "identity": context.identity is not None,
        "client_context": context.client_context,
        "env": {k: os.environ.get(k) for k in ("AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION", "_HANDLER",
                "LAMBDA_TASK_ROOT", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "GREETING", "AWS_EXECUTION_ENV")},
        "cwd": os.getcwd(),
    }
"""


def test_handler_gets_event_context_and_environment(cloud, deploy, invoke):
    name = deploy(CONTEXT_HANDLER, MemorySize=256, Timeout=5, Environment={"Variables": {"GREETING": "hi"}})
    response, payload, logs = invoke(name, {"a": 1})
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert payload["event"] == {"a": 1}
    assert payload["function_name"] == name and payload["version"] == "$LATEST"
    assert payload["arn"] == f"arn:aws:lambda:us-east-1:{cloud.account_id}:function:{name}"
    assert payload["memory"] == "256"
    assert payload["group"] == f"/aws/lambda/{name}"
    assert re.match(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$", payload["stream"])
    assert 4000 < payload["remaining"] <= 5000
    assert payload["identity"] and payload["client_context"] is None
    assert payload["env"] == {
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_REGION": "us-east-1",
        "_HANDLER": "app.handler",
        "LAMBDA_TASK_ROOT": "/var/task",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "GREETING": "hi",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    }
    assert payload["cwd"] == "/var/task"
    assert payload["request_id"] in logs


def test_logs_have_lambda_format_and_init_only_on_cold_start(cloud, deploy, invoke):
    code = """
    import logging
    logger = logging.getLogger()
    logger.setLevel(logging.INFO)
    print("module loaded")
    def handler(event, context):
        print("hello from print")
        logger.info("info line")
        logger.debug("not shown")
        return 1
    """
    name = deploy(code)
    _, _, cold_logs = invoke(name)
    _, _, warm_logs = invoke(name)
    lines = cold_logs.splitlines()
    assert lines[0] == "module loaded"
    assert re.match(r"^START RequestId: [0-9a-f-]{36} Version: \$LATEST$", lines[1])
    assert lines[2] == "hello from print"
    assert re.match(r"^\[INFO\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t[0-9a-f-]{36}\tinfo line$", lines[3])
    assert "not shown" not in cold_logs
    assert re.match(r"^END RequestId: [0-9a-f-]{36}$", lines[4])
    cold_report, warm_report = REPORT.match(lines[5]), REPORT.match(warm_logs.splitlines()[-1])
    assert cold_report and cold_report["init"] and cold_report["memory"] == "128"
    assert warm_report and not warm_report["init"]
    assert "module loaded" not in warm_logs
    events = cloud.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    assert any(e["message"].startswith("START RequestId") for e in events)
    assert sum(e["message"].startswith("REPORT") for e in events) == 2


def test_warm_invocations_reuse_globals_and_tmp(deploy, invoke):
    code = """
    import os
    COUNT = 0
    def handler(event, context):
        global COUNT
        COUNT += 1
        with open("/tmp/state", "a") as f:
            f.write("x")
        return {"count": COUNT, "tmp": open("/tmp/state").read()}
    """
    name = deploy(code)
    assert [invoke(name)[1] for _ in range(3)] == [{"count": n, "tmp": "x" * n} for n in (1, 2, 3)]


def test_unhandled_exception_has_lambda_error_shape(deploy, invoke):
    name = deploy("def handler(event, context):\n    raise ValueError('boom')\n")
    response, payload, logs = invoke(name)
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert payload["errorMessage"] == "boom" and payload["errorType"] == "ValueError"
    assert re.match(r"^[0-9a-f-]{36}$", payload["requestId"])
    assert payload["stackTrace"] and 'File "/var/task/app.py", line 2, in handler' in payload["stackTrace"][0]
    assert "[ERROR] ValueError: boom\nTraceback (most recent call last):" in logs
    # the environment survives a handled error: the next call is warm
    assert "Init Duration" not in invoke(name)[2]


@pytest.mark.parametrize(
    ("files", "handler", "error_type", "message"),
    [
        (
            {"app.py": "x = 1\n"},
            "missing.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'missing': No module named 'missing'",
        ),
        (
            {"app.py": "x = 1\n"},
            "app.handler",
            "Runtime.HandlerNotFound",
            "Handler 'handler' missing on module 'app'",
        ),
        ({"app.py": "def handler(:\n"}, "app.handler", "Runtime.UserCodeSyntaxError", None),
    ],
)
def test_init_errors(deploy, invoke, files, handler, error_type, message):
    name = deploy(files, handler=handler)
    response, payload, logs = invoke(name)
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == error_type
    if message:
        assert payload["errorMessage"] == message
    assert f"[ERROR] {error_type}" in logs and "Init Duration" in logs


def test_unserializable_result_is_a_marshal_error(deploy, invoke):
    name = deploy("def handler(event, context):\n    return {1, 2}\n")
    _, payload, _ = invoke(name)
    assert payload["errorType"] == "Runtime.MarshalError"
    assert (
        payload["errorMessage"] == "Unable to marshal response: Object of type set is not JSON serializable"
    )


def test_timeout_kills_and_reports_like_lambda(deploy, invoke):
    name = deploy("import time\ndef handler(event, context):\n    time.sleep(30)\n", Timeout=1)
    response, payload, logs = invoke(name)
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    assert payload["errorMessage"].endswith("Error: Task timed out after 1.00 seconds")
    assert re.search(r"Z [0-9a-f-]{36} Task timed out after 1\.00 seconds", logs)
    assert "\tStatus: timeout" in logs.splitlines()[-1]
    assert "Init Duration" in invoke(name)[2]  # the environment was discarded


def test_sys_exit_is_a_runtime_exit_error(deploy, invoke):
    name = deploy("import sys\ndef handler(event, context):\n    sys.exit(3)\n")
    _, payload, _ = invoke(name)
    assert payload["errorType"] == "Runtime.ExitError"
    assert payload["errorMessage"].endswith("Runtime exited with error: exit status 3")


def test_memory_exhaustion_is_out_of_memory(deploy, invoke):
    name = deploy(
        "def handler(event, context):\n    block = bytearray(2 * 1024 ** 3)\n    return len(block)\n"
    )
    _, payload, logs = invoke(name)
    assert payload["errorType"] == "Runtime.OutOfMemory"
    assert payload["errorMessage"].endswith("Runtime exited with error: signal: killed")
    assert "Max Memory Used: 128 MB" in logs and "Error Type: Runtime.OutOfMemory" in logs


def test_invocation_types_and_payload_limits(cloud, deploy):
    name = deploy("def handler(event, context):\n    return event\n")
    client = cloud.client("lambda")
    assert client.invoke(FunctionName=name, InvocationType="DryRun")["StatusCode"] == 204
    assert client.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"x": 1}')["StatusCode"] == 202
    [result] = cloud.run_pending()
    assert result.payload_json() == {"x": 1}
    with pytest.raises(client.exceptions.RequestTooLargeException):
        client.invoke(FunctionName=name, Payload=json.dumps({"x": "a" * (6 * 1024 * 1024)}))
    with pytest.raises(client.exceptions.RequestTooLargeException):
        client.invoke(
            FunctionName=name, InvocationType="Event", Payload=json.dumps({"x": "a" * (1024 * 1024)})
        )
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="nope")


def test_response_too_large(deploy, invoke):
    name = deploy("def handler(event, context):\n    return 'a' * (7 * 1024 * 1024)\n", MemorySize=512)
    _, payload, _ = invoke(name)
    assert payload["errorType"] == "Function.ResponseSizeTooLarge"


def test_reserved_concurrency_zero_throttles(cloud, deploy):
    name = deploy("def handler(event, context):\n    return 1\n")
    client = cloud.client("lambda")
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(client.exceptions.TooManyRequestsException) as caught:
        client.invoke(FunctionName=name)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert cloud.trace.of_kind("throttle")


def test_versions_and_aliases(cloud, deploy, invoke):
    name = deploy("def handler(event, context):\n    return context.function_version\n")
    client = cloud.client("lambda")
    version = client.publish_version(FunctionName=name)["Version"]
    client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    response, payload, _ = invoke(name, Qualifier="live")
    assert response["ExecutedVersion"] == version == payload == "1"
    assert invoke(name, Qualifier="$LATEST")[1] == "$LATEST"


def test_layers_are_on_sys_path(cloud, deploy, invoke, zip_files):
    layer = cloud.client("lambda").publish_layer_version(
        LayerName="helpers", Content={"ZipFile": zip_files({"python/helper.py": "VALUE = 42\n"})}
    )["LayerVersionArn"]
    name = deploy("import helper\ndef handler(event, context):\n    return helper.VALUE\n", Layers=[layer])
    assert invoke(name)[1] == 42


def test_configuration_limits_are_validated(cloud, deploy):
    with pytest.raises(cloud.client("lambda").exceptions.ClientError) as caught:
        deploy("def handler(e, c):\n    return 1\n", MemorySize=10241)
    assert "Member must have value less than or equal to 10240" in str(caught.value)


def test_trace_and_cost(cloud, deploy, invoke):
    name = deploy("def handler(event, context):\n    return 1\n")
    invoke(name)
    invoke(name)
    cold, warm = cloud.trace.of_kind("invocation")
    assert cold["cold_start"] and not warm["cold_start"]
    assert cold["billed_duration_ms"] >= 1 and cold["cost_usd"] > 2e-7
    assert json.loads(cloud.trace.to_json())[cold["seq"]]["request_id"] == cold["request_id"]


def test_init_time_does_not_count_against_the_first_invocation(deploy, invoke):
    """The first event is sent along with the new environment; its timeout still starts after init."""
    code = "import time\ntime.sleep(1.5)\ndef handler(e, c):\n    return c.get_remaining_time_in_millis()\n"
    response, payload, logs = invoke(deploy(code, Timeout=3))
    assert "FunctionError" not in response, logs
    assert 2500 < payload <= 3000
    assert float(re.search(r"Init Duration: (\d+\.\d+) ms", logs).group(1)) >= 1500


@pytest.mark.parametrize("size", [10, 8 * 1024 - 40, 8 * 1024 + 1, 200_000])
def test_first_events_of_any_size_arrive_intact(deploy, invoke, size):
    # small events travel with the new environment, large ones after its init phase
    code = "import hashlib, json\ndef handler(e, c):\n    return [len(e['x']), hashlib.sha256(e['x'].encode()).hexdigest()]\n"
    text = ("é€x" * size)[:size]
    _, payload, _ = invoke(deploy(code), {"x": text})
    assert payload == [size, hashlib.sha256(text.encode()).hexdigest()]


INIT_CALL = """
import boto3
BUCKETS = sorted(b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"])
def handler(event, context):
    return [BUCKETS, len(event.get("pad", ""))]
"""


@pytest.mark.parametrize("pad", [0, 100_000])  # a first event sent with the spawn, and one sent after init
def test_module_level_boto3_calls_are_served_and_authorized(cloud, deploy, invoke, pad):
    cloud.client("s3").create_bucket(Bucket="init-bucket")
    _, payload, logs = invoke(deploy(INIT_CALL, actions=["s3:ListAllMyBuckets"]), {"pad": "x" * pad})
    assert payload == [["init-bucket"], pad], logs
    _, payload, _ = invoke(deploy(INIT_CALL))  # a role without the permission: AccessDenied at init
    assert payload["errorType"] == "AccessDenied" and "ListBuckets" in payload["errorMessage"], payload
