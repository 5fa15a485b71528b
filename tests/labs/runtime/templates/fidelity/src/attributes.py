import json
import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    """Record each SQS message's body and message attributes as the consumer received them."""
    for record in event["Records"]:
        TABLE.put_item(
            Item={
                "id": record["messageId"],
                "body": record["body"],
                "attributes": json.dumps(record["messageAttributes"], sort_keys=True),
            }
        )
