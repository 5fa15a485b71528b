"""Issue 15 class 7: response streaming as AWS does it for Python.

API_InvokeWithResponseStream.html: the answer is an event stream of PayloadChunk events and one
InvokeComplete (ErrorCode, ErrorDetails, LogResult); InvocationType is RequestResponse or DryRun; it needs
lambda:InvokeFunction. configuration-response-streaming.html: only Node.js managed runtimes (and custom
runtimes) stream, so a Python function's response arrives whole, as one chunk, when its handler returns.
"""

import base64
import json

import pytest
from botocore.exceptions import ClientError

CODE = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("the order has no lines")
    print("streaming order", event["order"])
    return {"order": event["order"], "lines": [1, 2, 3]}
"""


def stream(cloud, name: str, event: dict, **kwargs) -> tuple[dict, list[dict]]:
    answer = cloud.client("lambda").invoke_with_response_stream(
        FunctionName=name, Payload=json.dumps(event), **kwargs
    )
    return answer, list(answer["EventStream"])


def test_a_python_handler_answers_one_chunk_then_invoke_complete(cloud, deploy, invoke):
    name = deploy(CODE)
    answer, events = stream(cloud, name, {"order": "o-1"}, LogType="Tail")
    assert answer["StatusCode"] == 200 and answer["ExecutedVersion"] == "$LATEST"
    assert [list(event) for event in events] == [["PayloadChunk"], ["InvokeComplete"]]
    _, buffered, _ = invoke(name, {"order": "o-1"})
    assert (
        json.loads(events[0]["PayloadChunk"]["Payload"]) == buffered == {"order": "o-1", "lines": [1, 2, 3]}
    )
    complete = events[1]["InvokeComplete"]
    assert "ErrorCode" not in complete
    assert "streaming order o-1" in base64.b64decode(complete["LogResult"]).decode()


def test_a_function_error_is_named_in_invoke_complete(cloud, deploy):
    _, events = stream(cloud, deploy(CODE), {"fail": True})
    error = json.loads(events[0]["PayloadChunk"]["Payload"])
    assert error["errorType"] == "ValueError"
    complete = events[1]["InvokeComplete"]
    assert complete["ErrorCode"] == "Unhandled"
    assert complete["ErrorDetails"] == "ValueError: the order has no lines"
    assert "LogResult" not in complete  # only with LogType=Tail


@pytest.mark.parametrize(
    ("kwargs", "code", "message"),
    [
        ({"InvocationType": "Event"}, "InvalidParameterValueException", "Unsupported invocation type Event"),
        ({"FunctionName": "missing"}, "ResourceNotFoundException", "function:missing"),
    ],
)
def test_what_the_streaming_api_refuses(cloud, deploy, kwargs, code, message):
    name = deploy(CODE)
    with pytest.raises(ClientError) as raised:
        cloud.client("lambda").invoke_with_response_stream(
            **{"FunctionName": name, "Payload": b"{}", **kwargs}
        )
    assert raised.value.response["Error"]["Code"] == code
    assert message in raised.value.response["Error"]["Message"]


def test_a_handler_streams_another_function_with_invoke_function_permission(cloud, deploy, invoke):
    target = deploy(CODE)
    caller = """
import boto3, json
def handler(event, context):
    answer = boto3.client("lambda").invoke_with_response_stream(FunctionName=event["target"], Payload=b'{"order": "o-2"}')
    return [json.loads(e["PayloadChunk"]["Payload"]) for e in answer["EventStream"] if "PayloadChunk" in e]
"""
    allowed = deploy(caller, actions=["lambda:InvokeFunction"])
    assert invoke(allowed, {"target": target})[1] == [{"order": "o-2", "lines": [1, 2, 3]}]
    denied = deploy(caller, actions=["lambda:GetFunction"])
    payload = invoke(denied, {"target": target})[1]
    assert payload["errorType"] == "ClientError"  # botocore's exception class for a refused call
    assert "AccessDenied" in payload["errorMessage"] and "lambda:InvokeFunction" in payload["errorMessage"]
