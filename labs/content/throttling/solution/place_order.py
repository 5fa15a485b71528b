import json
import os

import boto3
from botocore.config import Config

# The API must answer at once: no SDK retries, a failure goes straight back to the customer.
sqs = boto3.client("sqs", config=Config(retries={"total_max_attempts": 1}))


def lambda_handler(event, context):
    order = {"order_id": event["order_id"], "items": event.get("items", [])}
    # The queue keeps the order however long fulfilment is paused: accepting it no longer depends on
    # fulfil-order having concurrency to spare.
    sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(order))
    return {"statusCode": 202, "body": json.dumps({"order_id": order["order_id"], "status": "accepted"})}
