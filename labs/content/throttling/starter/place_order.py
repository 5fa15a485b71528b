import json
import os

import boto3
from botocore.config import Config

# The API must answer at once: no SDK retries, a failure goes straight back to the customer.
lambda_client = boto3.client("lambda", config=Config(retries={"total_max_attempts": 1}))


def lambda_handler(event, context):
    order = {"order_id": event["order_id"], "items": event.get("items", [])}
    response = lambda_client.invoke(FunctionName=os.environ["FULFIL_FUNCTION"], Payload=json.dumps(order))
    result = json.loads(response["Payload"].read())
    return {"statusCode": 200, "body": json.dumps({"order_id": order["order_id"], "result": result})}
