import json
import os
import uuid

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    # Every route of the API arrives here: look at event["routeKey"] ("POST /items",
    # "GET /items/{id}", "DELETE /items/{id}") to tell them apart.
    item = json.loads(event["body"])
    item["id"] = str(uuid.uuid4())
    table.put_item(Item=item)
    return item
