"""Items API: an HTTP API (payload format 2.0) in front of the student's function and a DynamoDB table,
graded by calling the API as a client would."""

from labs.grading.checks import check

TABLE = "items"
FUNCTION = "items-api"
API_NAME = "items-http-api"
ROUTES = ("POST /items", "GET /items/{id}", "DELETE /items/{id}")


def setup(lab):
    table_arn = lab.client("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]
    actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
    role = lab.role(
        policy={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": table_arn}],
        }
    )
    function_arn = lab.deploy_function(
        FUNCTION, handler="app.handler", role_arn=role, timeout_s=10, environment={"TABLE_NAME": TABLE}
    )
    gateway = lab.client("apigatewayv2")
    api = gateway.create_api(Name=API_NAME, ProtocolType="HTTP")["ApiId"]
    integration = gateway.create_integration(
        ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=function_arn, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    for route in ROUTES:
        gateway.create_route(ApiId=api, RouteKey=route, Target=f"integrations/{integration}")
    gateway.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    cloud = lab.cloud
    lab.client("lambda").add_permission(
        FunctionName=FUNCTION,
        StatementId="http-api",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{cloud.region}:{cloud.account_id}:{api}/*",
    )


def _call(lab, method, path, **options):
    apis = lab.client("apigatewayv2").get_apis()["Items"]
    api_id = next(api["ApiId"] for api in apis if api["Name"] == API_NAME)
    return lab.http(method, path, api_id=api_id, **options)


def _shown(lab, method, path, response):
    """How a request went, for a message: status, body and, for API Gateway's own errors, why."""
    text = response.text if len(response.text) <= 300 else response.text[:300] + "..."
    shown = f"{method} {path} answered {response.status} {text or '(empty body)'}"
    reason = lab.cloud.trace.of_kind("apigateway_request")[-1].get("reason")
    if reason:
        shown += f" (API Gateway: {reason}; see the invocation's logs in the trace)"
    return shown


def _json(response):
    try:
        return response.json()
    except ValueError:
        return None


def _expect(lab, method, path, status, **options):
    response = _call(lab, method, path, **options)
    hint = ""
    if response.status == 200 and status != 200:
        hint = (
            " A function that returns a plain dict gets 200 with the dict as the body: return "
            '{"statusCode": ..., "headers": ..., "body": json.dumps(...)} to choose the status.'
        )
    lab.require(response.status == status, f"{_shown(lab, method, path, response)}; expected {status}.{hint}")
    return response


def _create(lab, item):
    response = _expect(lab, "POST", "/items", 201, json=item)
    body = _json(response)
    lab.require(
        isinstance(body, dict) and isinstance(body.get("id"), str) and body["id"],
        f"POST /items answered {response.text}; expected the stored item as JSON with a string 'id'.",
    )
    return response, body


def _expect_json_error(lab, method, path, status, **options):
    response = _expect(lab, method, path, status, **options)
    body = _json(response)
    lab.require(
        isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"],
        f"{method} {path} answered {status} with {response.text or '(empty body)'}; errors should be JSON "
        'objects with a message, e.g. {"error": "item 42 not found"}.',
    )
    return body


@check("creates_item", "POST /items stores the item and answers 201 with it", points=3)
def creates_item(lab):
    response, body = _create(lab, {"name": "Notebook", "price": 12})
    lab.require(
        (body.get("name"), body.get("price")) == ("Notebook", 12),
        f"POST /items answered {response.text}; expected name 'Notebook' and price 12 with the new id.",
    )
    content_type = response.headers.get("content-type", "")
    lab.require(
        content_type.startswith("application/json"),
        f"The answer's Content-Type is {content_type!r}; say application/json in the headers you return.",
    )
    stored = lab.client("dynamodb").get_item(TableName=TABLE, Key={"id": {"S": body["id"]}}).get("Item")
    lab.require(stored is not None, f"No item with id {body['id']} is in the table: did you put_item it?")


@check("gets_item", "GET /items/{id} answers 200 with the stored item", points=2)
def gets_item(lab):
    _, created = _create(lab, {"name": "Lamp", "price": 30})
    response = _expect(lab, "GET", f"/items/{created['id']}", 200)
    lab.require(
        _json(response) == created,
        f"GET /items/{created['id']} answered {response.text}; expected the item POST returned, {created}.",
    )


@check("unknown_item_is_404", "GET /items/{id} answers 404 with a JSON error for an unknown id", points=2)
def unknown_item_is_404(lab):
    _expect_json_error(lab, "GET", "/items/no-such-item", 404)


@check("rejects_invalid_input", "POST /items answers 400 with a JSON error for invalid input", points=3)
def rejects_invalid_input(lab):
    before = lab.client("dynamodb").scan(TableName=TABLE, Select="COUNT")["Count"]
    bad_bodies = [
        {"body": "this is not json", "headers": {"Content-Type": "application/json"}},
        {"json": ["Pen", 1]},
        {"json": {"price": 3}},
        {"json": {"name": "", "price": 3}},
        {"json": {"name": "x" * 101, "price": 3}},
        {"json": {"name": "Pen", "price": -1}},
        {"json": {"name": "Pen", "price": "free"}},
        {"json": {"name": "Pen", "price": True}},
    ]
    for options in bad_bodies:
        _expect_json_error(lab, "POST", "/items", 400, **options)
    after = lab.client("dynamodb").scan(TableName=TABLE, Select="COUNT")["Count"]
    lab.require(
        after == before, f"Invalid requests stored {after - before} item(s): validate before put_item."
    )


@check(
    "accepts_limit_values", "POST /items accepts a name of exactly 100 characters and a price of 0", points=2
)
def accepts_limit_values(lab):
    """The limits themselves are allowed: "at most 100 characters" and "zero or more"."""
    for item, why in (
        ({"name": "x" * 100, "price": 3}, "a name of exactly 100 characters is allowed (at most 100)"),
        ({"name": "Sample", "price": 0}, "a price of 0 is allowed (zero or more)"),
    ):
        response = _call(lab, "POST", "/items", json=item)
        shown = _shown(lab, "POST", "/items", response)
        lab.require(response.status == 201, f"{shown}; {why}: expected 201.")


@check("deletes_item", "DELETE /items/{id} answers 204, then the item is gone (404)", points=2)
def deletes_item(lab):
    _, created = _create(lab, {"name": "Mug", "price": 7})
    path = f"/items/{created['id']}"
    response = _expect(lab, "DELETE", path, 204)
    lab.require(not response.body, f"DELETE {path} answered 204 with a body ({response.text}); 204 has none.")
    _expect_json_error(lab, "GET", path, 404)
    _expect_json_error(lab, "DELETE", path, 404)


@check("decimal_prices", "Prices with decimals are stored and returned exactly", points=2)
def decimal_prices(lab):
    response, created = _create(lab, {"name": "Pen", "price": 9.99})
    lab.require(created.get("price") == 9.99, f"POST /items with price 9.99 answered {response.text}.")
    fetched = _expect(lab, "GET", f"/items/{created['id']}", 200)
    lab.require(
        (_json(fetched) or {}).get("price") == 9.99,
        f"GET /items/{created['id']} answered {fetched.text}; the price should still be 9.99.",
    )
