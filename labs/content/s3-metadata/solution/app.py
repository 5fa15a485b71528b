import logging
import os
import urllib.parse

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger()
logger.setLevel(logging.INFO)

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])

# S3 sequencers are hexadecimal strings of varying length: padded to one width, they compare as text
# in the same order as the events happened (for the same key).
SEQUENCER_WIDTH = 32


def lambda_handler(event, context):
    stored = skipped = 0
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        s3_object = record["s3"]["object"]
        # keys arrive URL-encoded, spaces as '+': unquote_plus undoes both
        key = urllib.parse.unquote_plus(s3_object["key"])
        sequencer = s3_object["sequencer"].zfill(SEQUENCER_WIDTH)
        try:
            table.put_item(
                Item={
                    "bucket": bucket,
                    "key": key,
                    "size": s3_object["size"],
                    "etag": s3_object["eTag"],
                    "sequencer": sequencer,
                },
                # write only if this event is newer than what the table holds for the object
                ConditionExpression="attribute_not_exists(sequencer) OR sequencer < :sequencer",
                ExpressionAttributeValues={":sequencer": sequencer},
            )
            stored += 1
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            # a duplicate or an older event: the table already holds this version or a newer one
            logger.info("skipped %s/%s: not newer than the stored version", bucket, key)
            skipped += 1
    logger.info("stored %d, skipped %d", stored, skipped)
    return {"stored": stored, "skipped": skipped}
