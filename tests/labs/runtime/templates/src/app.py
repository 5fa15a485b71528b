import json
import os

import boto3


def on_upload(event, context):
    sqs = boto3.client("sqs")
    for record in event["Records"]:
        key = record["s3"]["object"]["key"]
        sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps({"key": key}))
    return {"queued": len(event["Records"])}


def on_order(event, context):
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    sns = boto3.client("sns")
    for record in event["Records"]:
        order = json.loads(record["body"])
        table.put_item(Item={"id": order["key"]})
        sns.publish(
            TopicArn=os.environ["TOPIC_ARN"],
            Message=json.dumps(order),
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "placed"}},
        )
    return {"batchItemFailures": []}


def on_notification(event, context):
    print(json.dumps(event))
    return {"statusCode": 200, "body": json.dumps({"ok": True})}
