import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def lambda_handler(event, context):
    record = event["Records"][0]
    bucket = record["s3"]["bucket"]["name"]
    s3_object = record["s3"]["object"]
    table.put_item(
        Item={
            "bucket": bucket,
            "key": s3_object["key"],
            "size": s3_object["size"],
            "etag": s3_object["eTag"],
        }
    )
    return {"stored": 1}
