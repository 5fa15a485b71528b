"""Issue 15: REST API integrations that call no function (AWS, MOCK, HTTP_PROXY), driven end to end through
``templates/fidelity/rest_integrations.yaml``. Each test names the AWS documentation page it follows."""

import base64
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labs.runtime import Cloud
from labs.runtime.cloudformation import deploy

FIDELITY = Path(__file__).parent / "templates" / "fidelity"


@pytest.fixture
def shop(cloud):
    text = (FIDELITY / "rest_integrations.yaml").read_text()
    stack = deploy(cloud, text, code_dir=FIDELITY, template_file="rest_integrations.yaml")
    return stack


def url(stack, path: str, api: str = "Shop", stage: str = "v1") -> str:
    return f"https://{stack.physical_id(api)}.execute-api.us-east-1.amazonaws.com/{stage}{path}"


def last_reason(cloud) -> str:
    return cloud.trace.of_kind("apigateway_request")[-1]["reason"]


# API_SendMessage.html (MessageAttribute.N.Name / Value.StringValue / Value.DataType) and the SQS event
# (with-sqs.html: messageAttributes with stringValue and dataType) that the consumer reads.
def test_message_attributes_in_the_form_reach_the_consumer(cloud, shop):
    answer = cloud.http_request(
        "POST", url(shop, "/orders/book"), headers={"x-priority": "7"}, body='{"order": 1}'
    )
    assert answer.status == 202
    cloud.run_until_idle()
    [item] = cloud.client("dynamodb").scan(TableName=shop.physical_id("Seen"))["Items"]
    assert item["body"] == {"S": '{"order": 1}'}
    attributes = json.loads(item["attributes"]["S"])
    assert attributes["kind"]["stringValue"] == "book" and attributes["kind"]["dataType"] == "String"
    assert attributes["priority"]["stringValue"] == "7" and attributes["priority"]["dataType"] == "Number"


# getting-started-aws-proxy.html: the answer is the service's <Action>Response document; the response template
# and request-response-data-mappings.html's responseParameters read it.
def test_the_response_is_the_wire_shape_that_templates_and_header_mappings_read(cloud, shop):
    answer = cloud.http_request("POST", url(shop, "/orders/book"), headers={"x-priority": "1"}, body="{}")
    [message] = cloud.client("sqs").receive_message(QueueUrl=shop.physical_id("Orders"))["Messages"]
    assert answer.json() == {"queued": message["MessageId"]}
    assert answer.headers["x-message-id"] == message["MessageId"]
    assert answer.headers["x-served-by"] == "api-gateway"
    assert answer.headers["x-backend-request"]  # the service's x-amzn-RequestId header


def test_a_query_service_answers_xml_when_the_integration_asks_for_it(cloud, shop):
    answer = cloud.http_request("POST", url(shop, "/orders-xml"), body='{"a": 1}')
    assert answer.status == 200 and answer.headers["content-type"] == "text/xml"
    assert answer.text.startswith('<SendMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">')
    assert "<MessageId>" in answer.text and "<RequestId>" in answer.text


def test_a_service_error_is_its_error_document_chosen_by_status(cloud, shop):
    # API_SendMessage.html errors: a queue that no longer exists is a 400 QueueDoesNotExist, whose
    # ErrorResponse document the 4\d{2} integration response reads
    cloud.client("sqs").delete_queue(QueueUrl=shop.physical_id("Orders"))
    answer = cloud.http_request("POST", url(shop, "/orders/book"), headers={"x-priority": "1"}, body="{}")
    assert answer.status == 400
    assert answer.json()["error"] == "AWS.SimpleQueueService.NonExistentQueue"  # the query protocol's code


# sns-message-attributes.html / API_Publish.html: MessageAttributes.entry.N.* in the query API.
def test_sns_message_attributes_from_the_form_are_delivered(cloud, shop):
    answer = cloud.http_request("POST", url(shop, "/alerts?severity=high"), body='{"disk": "full"}')
    published = answer.json()["published"]
    cloud.run_until_idle()
    [message] = cloud.client("sqs").receive_message(QueueUrl=shop.physical_id("AlertCopies"))["Messages"]
    notification = json.loads(message["Body"])
    assert notification["MessageId"] == published and notification["Message"] == '{"disk": "full"}'
    assert notification["MessageAttributes"] == {"severity": {"Type": "String", "Value": "high"}}


def test_a_form_field_that_is_no_parameter_is_an_error_naming_it(cloud, shop):
    answer = cloud.http_request("POST", url(shop, "/typo"), body="{}")
    assert answer.status == 500
    message = answer.json()["message"]
    assert "MessageAttributes.1.Name" in message and "MessageAttributes.1.Value.StringValue" in message
    assert "MessageAttributes.1.Name" in last_reason(cloud)
    assert cloud.client("sqs").receive_message(QueueUrl=shop.physical_id("Orders")).get("Messages") is None


# api-gateway-payload-encodings-workflow.html: CONVERT_TO_BINARY decodes the base64 request for S3, and
# CONVERT_TO_TEXT turns the object's bytes into base64 text on the way back.
def test_content_handling_converts_binary_both_ways(cloud, shop):
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    put = cloud.http_request(
        "PUT",
        url(shop, "/files/logo.png"),
        headers={"Content-Type": "text/plain"},
        body=base64.b64encode(png),
    )
    assert put.status == 200
    stored = cloud.client("s3").get_object(Bucket=shop.physical_id("Files"), Key="logo.png")["Body"].read()
    assert stored == png
    cloud.client("s3").put_object(
        Bucket=shop.physical_id("Files"), Key="raw", Body=png, ContentType="image/png"
    )
    got = cloud.http_request("GET", url(shop, "/files/raw"))
    assert got.status == 200 and base64.b64decode(got.body) == png
    assert got.headers["content-type"] == "image/png"


def test_convert_to_binary_refuses_a_body_that_is_not_base64(cloud, shop):
    answer = cloud.http_request(
        "PUT", url(shop, "/files/x"), headers={"Content-Type": "text/plain"}, body="%%%"
    )
    assert answer.status == 500 and "not base64" in answer.json()["message"]


# how-to-mock-integration-console.html: the request template's statusCode picks the integration response.
@pytest.mark.parametrize(("query", "status"), [("?scope=internal", 200), ("?scope=public", 500), ("", 500)])
def test_a_mock_answers_the_status_its_request_template_chose(cloud, shop, query, status):
    answer = cloud.http_request("GET", url(shop, f"/health{query}"))
    assert answer.status == status and answer.json()["statusCode"] == status


# setup-http-integrations.html: HTTP_PROXY passes the request and the response through; the target here is
# another API of the account, which the sandbox serves.
def test_an_http_proxy_to_an_api_of_the_account_is_served(cloud, shop):
    answer = cloud.http_request("GET", url(shop, "/health?scope=internal", api="Front", stage="edge"))
    assert answer.status == 200 and answer.json()["message"] == "Go ahead without me"
    apis = [entry["api_id"] for entry in cloud.trace.of_kind("apigateway_request")]
    assert apis == [shop.physical_id("Front"), shop.physical_id("Shop")]


def test_an_http_api_proxies_to_an_api_of_the_account(cloud, shop):
    host = f"https://{shop.physical_id('Edge')}.execute-api.us-east-1.amazonaws.com"
    answer = cloud.http_request("GET", f"{host}/health?scope=public")
    assert answer.status == 500 and answer.json()["statusCode"] == 500  # the REST API's mock answered
    assert answer.headers["apigw-requestid"]  # the HTTP API's own request id, not the REST API's
    assert "x-amzn-requestid" not in answer.headers


def test_nothing_in_the_template_is_warned_as_not_simulated(shop):
    assert [w.message for w in shop.warnings if "not simulated" in w.message] == []


# -- error paths, on APIs made with the ordinary boto3 calls ------------------------------------------------
def one_method(cloud, integration: dict, responses: list[dict] | None = None, path: str = "/x") -> str:
    """A REST API with ``GET path`` on stage ``prod`` served by ``integration``; returns its id."""
    gateway = cloud.client("apigateway")
    api = gateway.create_rest_api(name="errors")["id"]
    root = gateway.get_resources(restApiId=api)["items"][0]["id"]
    resource = gateway.create_resource(restApiId=api, parentId=root, pathPart=path.strip("/"))["id"]
    gateway.put_method(restApiId=api, resourceId=resource, httpMethod="GET", authorizationType="NONE")
    gateway.put_integration(restApiId=api, resourceId=resource, httpMethod="GET", **integration)
    for response in responses if responses is not None else [{"statusCode": "200"}]:
        gateway.put_integration_response(restApiId=api, resourceId=resource, httpMethod="GET", **response)
    gateway.create_deployment(restApiId=api, stageName="prod")
    return api


# integration-passthrough-behaviors.html
@pytest.mark.parametrize(
    ("behaviour", "templates", "status"),
    [
        ("NEVER", {}, 415),
        ("NEVER", {"application/json": "{}"}, 415),
        ("WHEN_NO_TEMPLATES", {"application/json": "{}"}, 415),
        ("WHEN_NO_TEMPLATES", {}, 200),
        ("WHEN_NO_MATCH", {"application/json": "{}"}, 200),
    ],
)
def test_a_content_type_without_a_template_follows_the_passthrough_behaviour(
    cloud, behaviour, templates, status
):
    integration = {"type": "MOCK", "passthroughBehavior": behaviour}
    if templates:
        integration["requestTemplates"] = templates
    api = one_method(cloud, integration)
    answer = cloud.http_request("GET", "/prod/x", {"Content-Type": "text/plain"}, "hi", api_id=api)
    assert answer.status == status
    if status == 415:
        assert answer.json() == {"message": "Unsupported Media Type"}


def test_an_http_integration_to_the_internet_says_it_is_not_simulated(cloud):
    api = one_method(
        cloud, {"type": "HTTP_PROXY", "integrationHttpMethod": "GET", "uri": "https://example.com/"}
    )
    answer = cloud.http_request("GET", "/prod/x", api_id=api)
    assert answer.status == 500
    assert "not simulated here: HTTP integrations to example.com" in answer.json()["message"]


def test_an_api_that_proxies_to_itself_stops_after_a_few_hops(cloud):
    gateway = cloud.client("apigateway")
    api = one_method(cloud, {"type": "MOCK"})
    resource = next(r["id"] for r in gateway.get_resources(restApiId=api)["items"] if r["path"] == "/x")
    uri = f"https://{api}.execute-api.us-east-1.amazonaws.com/prod/x"
    gateway.put_integration(
        restApiId=api,
        resourceId=resource,
        httpMethod="GET",
        type="HTTP_PROXY",
        integrationHttpMethod="GET",
        uri=uri,
    )
    answer = cloud.http_request("GET", "/prod/x", api_id=api)
    assert answer.status == 500 and "5 times in a row" in answer.json()["message"]


def test_an_http_integration_to_an_api_that_does_not_exist_names_it(cloud):
    uri = "https://nosuchapi.execute-api.us-east-1.amazonaws.com/prod/"
    api = one_method(cloud, {"type": "HTTP", "integrationHttpMethod": "GET", "uri": uri})
    answer = cloud.http_request("GET", "/prod/x", api_id=api)
    assert answer.status == 500 and "nosuchapi" in answer.json()["message"]


def test_no_integration_response_for_the_status_is_a_configuration_error(cloud):
    api = one_method(cloud, {"type": "MOCK"}, [{"statusCode": "400", "selectionPattern": "4\\d{2}"}])
    answer = cloud.http_request("GET", "/prod/x", api_id=api)
    assert answer.status == 500
    assert "No match for output mapping" in last_reason(cloud)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"method.response.body": "'x'"}, "only method.response.header.* exists"),
        ({"method.response.header.X": "integration.request.header.y"}, "is not one API Gateway maps"),
    ],
)
def test_a_response_parameter_api_gateway_would_not_map_is_named(cloud, parameters, message):
    api = one_method(cloud, {"type": "MOCK"}, [{"statusCode": "200", "responseParameters": parameters}])
    answer = cloud.http_request("GET", "/prod/x", api_id=api)
    assert answer.status == 500 and message in answer.json()["message"]


def test_response_parameters_read_context_and_stage_variables(cloud):
    parameters = {
        "method.response.header.X-Request": "context.requestId",
        "method.response.header.X-Colour": "stageVariables.colour",
        "method.response.header.X-Missing": "integration.response.header.nope",
    }
    api = one_method(cloud, {"type": "MOCK"}, [{"statusCode": "200", "responseParameters": parameters}])
    cloud.client("apigateway").update_stage(
        restApiId=api,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/variables/colour", "value": "red"}],
    )
    answer = cloud.http_request("GET", "/prod/x", api_id=api)
    assert answer.headers["x-request"] == answer.headers["x-amzn-requestid"]
    assert answer.headers["x-colour"] == "red" and "x-missing" not in answer.headers


@pytest.mark.parametrize(
    ("uri", "template", "message"),
    [
        (
            "arn:aws:apigateway:us-east-1:kinesis:action/PutRecord",
            "{}",
            "not simulated here: AWS integrations",
        ),
        ("arn:aws:apigateway:us-east-1:dynamodb:action/Explode", "{}", "dynamodb has no action 'Explode'"),
        ("arn:aws:apigateway:us-east-1:dynamodb:action/GetItem", "not json", "did not make JSON"),
        ("arn:aws:apigateway:us-east-1:dynamodb:action/GetItem", "[1]", "JSON that is not an object"),
        ("arn:aws:apigateway:us-east-1:dynamodb:action/GetItem", '{"TableName": "t", "Colour": 1}', "Colour"),
        ("arn:aws:apigateway:us-east-1:sqs:path/123456789012/q", "Action=Fly", "sqs has no action 'Fly'"),
    ],
)
def test_an_aws_integration_that_cannot_be_called_says_why(cloud, uri, template, message):
    role = cloud.client("iam").create_role(
        RoleName="api", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )["Role"]["Arn"]
    integration = {
        "type": "AWS",
        "integrationHttpMethod": "POST",
        "uri": uri,
        "credentials": role,
        "requestTemplates": {"application/json": template},
    }
    api = one_method(cloud, integration)
    answer = cloud.http_request("GET", "/prod/x", api_id=api)
    assert answer.status == 500 and message in answer.json()["message"]


def test_a_selection_pattern_that_is_no_regular_expression_is_named(cloud):
    api = one_method(
        cloud,
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        [{"statusCode": "200", "selectionPattern": "2(0"}],
    )
    answer = cloud.http_request("GET", "/prod/x", api_id=api)
    assert answer.status == 500 and "'2(0' is not a regular expression" in answer.json()["message"]


# -- any request gets an HTTP answer, never a Python error ---------------------------------------------------
_PATHS = ["/orders/a", "/typo", "/orders-xml", "/alerts", "/files/k", "/health", "/nowhere", "/orders/%ZZ"]


@pytest.fixture(scope="module")
def shop_once():
    """One deployment for every generated request (the requests' effects do not matter to what is asserted)."""
    with Cloud(seed=3) as cloud:
        text = (FIDELITY / "rest_integrations.yaml").read_text()
        yield cloud, deploy(cloud, text, code_dir=FIDELITY, template_file="rest_integrations.yaml")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    path=st.sampled_from(_PATHS),
    query=st.sampled_from(["", "?scope=internal", "?severity=%00", "?a=1&a=2"]),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "image/png", "", "application/json; x=1"]
    ),
    accept=st.sampled_from(["", "text/xml", "image/png", "*/*"]),
    body=st.binary(max_size=40) | st.text(max_size=40),
)
def test_any_request_to_the_integrations_gets_an_http_answer(
    shop_once, method, path, query, content_type, accept, body
):
    cloud, stack = shop_once
    headers = {"x-priority": "1", **({"Content-Type": content_type} if content_type else {})}
    if accept:
        headers["Accept"] = accept
    answer = cloud.http_request(method, url(stack, path + query), headers=headers, body=body)
    assert 200 <= answer.status <= 599
    if answer.status >= 500 and path != "/health":  # /health answers its own 500 by design
        assert answer.json()["message"].startswith("Internal server error")


def test_a_scenario_calls_the_api_and_the_consumer_reads_the_attributes(cloud, shop):
    import io

    from labs.runtime.scenario import load_scenario, run_scenario

    out = io.StringIO()
    steps = load_scenario(
        """
- call-api: {api: Shop, method: POST, path: /orders/lamp, headers: {x-priority: "2"}, body: '{"n": 1}'}
- run-until-idle: {}
"""
    )
    run_scenario(cloud, shop, steps, out)
    assert out.getvalue().startswith("steps[0] call-api: HttpResponse(status=202")
    [item] = cloud.client("dynamodb").scan(TableName=shop.physical_id("Seen"))["Items"]
    assert json.loads(item["attributes"]["S"])["kind"]["stringValue"] == "lamp"


# getting-started-lambda-non-proxy-integration.html, handle-errors-in-lambda-integration.html
def test_a_lambda_custom_integration_maps_the_event_and_selects_errors_by_message(cloud, shop):
    answer = cloud.http_request("GET", url(shop, "/divide?a=7&b=2"))
    assert answer.status == 200 and answer.json() == {"result": 3.5}
    refused = cloud.http_request("GET", url(shop, "/divide?a=7&b=0"))
    assert refused.status == 400 and refused.json() == {"error": "division by zero: b must not be 0"}
    # an error no pattern matches takes the default response: a 200, AWS's well-known surprise
    unmatched = cloud.http_request("GET", url(shop, '/divide?a=7&b="x"'))
    assert unmatched.status == 200 and unmatched.json() == {"result": None}
    # a template that makes no JSON cannot be a Lambda event
    broken = cloud.http_request("GET", url(shop, "/divide?a=7&b=x"))
    assert broken.status == 500 and "must be JSON" in broken.json()["message"]


def api_role(cloud, actions: list[str]) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "apigateway.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam = cloud.client("iam")
    arn = iam.create_role(RoleName="api", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    iam.put_role_policy(RoleName="api", PolicyName="calls", PolicyDocument=json.dumps(policy))
    return arn


# getting-started-aws-proxy.html: GET on an action URI, parameters from integration.request.querystring, the
# answer as {"ListTopicsResponse": {"ListTopicsResult": {...}, "ResponseMetadata": {...}}}.
def test_an_sns_action_uri_takes_query_string_parameters_and_answers_its_response_document(cloud):
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue = cloud.client("sqs").create_queue(QueueName="copies")["QueueUrl"]
    queue_arn = cloud.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    queue_arn = queue_arn["Attributes"]["QueueArn"]
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
    }
    policy = {"Version": "2012-10-17", "Statement": [{**statement, "Resource": queue_arn}]}
    cloud.client("sqs").set_queue_attributes(QueueUrl=queue, Attributes={"Policy": json.dumps(policy)})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    integration = {
        "type": "AWS",
        "integrationHttpMethod": "POST",
        "uri": "arn:aws:apigateway:us-east-1:sns:action/Publish",
        "credentials": api_role(cloud, ["sns:Publish", "sns:ListTopics"]),
        "requestParameters": {
            "integration.request.querystring.TopicArn": f"'{topic}'",
            "integration.request.querystring.Message": "method.request.querystring.text",
            "integration.request.querystring.MessageAttributes.entry.1.Name": "'lang'",
            "integration.request.querystring.MessageAttributes.entry.1.Value.DataType": "'String'",
            "integration.request.querystring.MessageAttributes.entry.1.Value.StringValue": "method.request.header.lang",
        },
    }
    api = one_method(cloud, integration)
    answer = cloud.http_request("GET", "/prod/x?text=hello", {"lang": "en"}, api_id=api)
    result = answer.json()["PublishResponse"]
    assert answer.status == 200 and result["ResponseMetadata"]["RequestId"]
    cloud.run_until_idle()
    [message] = cloud.client("sqs").receive_message(QueueUrl=queue)["Messages"]
    notification = json.loads(message["Body"])
    assert notification["MessageId"] == result["PublishResult"]["MessageId"]
    assert notification["Message"] == "hello"
    assert notification["MessageAttributes"] == {"lang": {"Type": "String", "Value": "en"}}
    listing = one_method(
        cloud,
        {**integration, "uri": "arn:aws:apigateway:us-east-1:sns:action/ListTopics", "requestParameters": {}},
    )
    topics = cloud.http_request("GET", "/prod/x", api_id=listing).json()
    assert topics["ListTopicsResponse"]["ListTopicsResult"] == {
        "Topics": [{"TopicArn": topic}],
        "NextToken": None,
    }


# https://repost.aws/knowledge-center/api-gateway-rest-api-sqs-errors: SQS through its JSON protocol.
def test_sqs_through_its_json_protocol_takes_and_answers_json(cloud):
    queue = cloud.client("sqs").create_queue(QueueName="orders")["QueueUrl"]
    integration = {
        "type": "AWS",
        "integrationHttpMethod": "POST",
        "uri": "arn:aws:apigateway:us-east-1:sqs:path/123456789012/orders",
        "credentials": api_role(cloud, ["sqs:SendMessage"]),
        "requestParameters": {
            "integration.request.header.X-Amz-Target": "'AmazonSQS.SendMessage'",
            "integration.request.header.Content-Type": "'application/x-amz-json-1.0'",
        },
        "requestTemplates": {
            "application/json": '{"MessageBody": "$util.escapeJavaScript($input.body)", '
            '"MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}'
        },
    }
    api = one_method(cloud, integration)
    answer = cloud.http_request("GET", "/prod/x", body='{"n": 1}', api_id=api)
    assert answer.status == 200 and set(answer.json()) >= {"MessageId", "MD5OfMessageBody"}
    [message] = cloud.client("sqs").receive_message(QueueUrl=queue, MessageAttributeNames=["All"])["Messages"]
    assert message["Body"] == '{"n": 1}' and message["MessageAttributes"]["k"]["StringValue"] == "v"


def test_an_http_api_proxy_to_the_internet_says_it_is_not_simulated(cloud):
    v2 = cloud.client("apigatewayv2")
    api = v2.create_api(Name="edge", ProtocolType="HTTP")["ApiId"]
    target = v2.create_integration(
        ApiId=api,
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="GET",
        IntegrationUri="https://example.com/{proxy}",
        PayloadFormatVersion="1.0",
    )["IntegrationId"]
    v2.create_route(ApiId=api, RouteKey="GET /{proxy+}", Target=f"integrations/{target}")
    v2.create_stage(ApiId=api, StageName="$default")
    answer = cloud.http_request("GET", "/a/b", api_id=api)
    assert answer.status == 500
    assert answer.json() == {
        "message": "Internal Server Error: valid on AWS, not simulated here: "
        "HTTP integrations to example.com (the sandbox has no internet)"
    }


# api-gateway-create-api-step-by-step.html: an HTTP (non-proxy) integration with mapped query string
# parameters and headers, its status selecting the integration response whose template maps the body.
def test_an_http_integration_maps_the_request_and_the_upstream_answer(cloud, shop):
    integration = {
        "type": "HTTP",
        "integrationHttpMethod": "GET",
        "uri": url(shop, "/health"),
        "requestParameters": {
            "integration.request.querystring.scope": "method.request.querystring.who",
            "integration.request.header.Accept": "'application/json'",
        },
    }
    responses = [
        {
            "statusCode": "200",
            "responseTemplates": {"application/json": "{\"upstream\": $input.json('$.message')}"},
        },
        {
            "statusCode": "503",
            "selectionPattern": "5\\d{2}",
            "responseTemplates": {"application/json": '{"down": true}'},
        },
    ]
    api = one_method(cloud, integration, responses)
    inside = cloud.http_request("GET", "/prod/x?who=internal", api_id=api)
    assert inside.status == 200 and inside.json() == {"upstream": "Go ahead without me"}
    outside = cloud.http_request("GET", "/prod/x?who=public", api_id=api)
    assert outside.status == 503 and outside.json() == {"down": True}


# JSON-protocol services answer their own JSON: API_StartExecution.html (startDate a timestamp, written as
# epoch seconds on the wire) and API_PutEvents.html (FailedEntryCount, Entries[].EventId).
def test_json_protocol_services_answer_their_wire_json(cloud):
    role = api_role(cloud, ["states:StartExecution", "events:PutEvents"])
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    machine = cloud.client("stepfunctions").create_state_machine(
        name="flow", definition=json.dumps(definition), roleArn=role
    )["stateMachineArn"]
    start = {
        "type": "AWS",
        "integrationHttpMethod": "POST",
        "uri": "arn:aws:apigateway:us-east-1:states:action/StartExecution",
        "credentials": role,
        "requestTemplates": {
            "application/json": f'{{"stateMachineArn": "{machine}", "input": "$util.escapeJavaScript($input.body)"}}'
        },
    }
    answer = cloud.http_request("GET", "/prod/x", body='{"n": 1}', api_id=one_method(cloud, start)).json()
    assert answer["executionArn"].startswith(machine.replace(":stateMachine:", ":execution:"))
    assert isinstance(answer["startDate"], float)
    put = {
        **start,
        "uri": "arn:aws:apigateway:us-east-1:events:action/PutEvents",
        "requestTemplates": {
            "application/json": '{"Entries": [{"Source": "shop", "DetailType": "t", "Detail": "$util.escapeJavaScript($input.body)"}]}'
        },
    }
    answer = cloud.http_request("GET", "/prod/x", body='{"n": 1}', api_id=one_method(cloud, put)).json()
    assert answer["FailedEntryCount"] == 0 and answer["Entries"][0]["EventId"]
