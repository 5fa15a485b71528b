import base64
import json
import logging
import os
import uuid
from decimal import Decimal

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

# Created once per execution environment, reused by every request it serves.
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def _json_number(value):
    # DynamoDB gives numbers back as Decimal, which json.dumps cannot write on its own.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def respond(status, body=None, headers=None):
    response = {"statusCode": status, "headers": {"Content-Type": "application/json", **(headers or {})}}
    if body is not None:
        response["body"] = json.dumps(body, default=_json_number)
    return response


def error(status, message):
    return respond(status, {"error": message})


def create_item(event):
    text = event.get("body") or ""
    if event.get("isBase64Encoded"):
        text = base64.b64decode(text).decode("utf-8")
    try:
        # parse_float=Decimal: DynamoDB refuses Python floats
        data = json.loads(text, parse_float=Decimal)
    except ValueError:
        return error(400, 'the request body must be JSON, e.g. {"name": "Pen", "price": 1.5}')
    if not isinstance(data, dict):
        return error(400, "the request body must be a JSON object")
    name, price = data.get("name"), data.get("price")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        return error(400, "'name' must be a non-empty string of at most 100 characters")
    if isinstance(price, bool) or not isinstance(price, (int, Decimal)) or price < 0:
        return error(400, "'price' must be a number greater than or equal to 0")
    item = {"id": str(uuid.uuid4()), "name": name.strip(), "price": Decimal(str(price))}
    table.put_item(Item=item)
    logger.info("created item %s", item["id"])
    return respond(201, item, {"Location": f"/items/{item['id']}"})


def get_item(item_id):
    item = table.get_item(Key={"id": item_id}).get("Item")
    if item is None:
        return error(404, f"item {item_id} not found")
    return respond(200, item)


def delete_item(item_id):
    old = table.delete_item(Key={"id": item_id}, ReturnValues="ALL_OLD").get("Attributes")
    if old is None:
        return error(404, f"item {item_id} not found")
    logger.info("deleted item %s", item_id)
    return {"statusCode": 204}


def handler(event, context):
    route = event["routeKey"]
    if route == "POST /items":
        return create_item(event)
    if route == "GET /items/{id}":
        return get_item(event["pathParameters"]["id"])
    if route == "DELETE /items/{id}":
        return delete_item(event["pathParameters"]["id"])
    return error(404, f"no route {route}")
