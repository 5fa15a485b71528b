"""ReportWorker: builds one report per job by calling the partner's reporting API (here: writing to
ReportsTable). The partner accepts at most 3 calls at once; a fourth is refused and costs us a penalty."""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def build_report(job: dict) -> None:
    if not job.get("customer"):
        raise ValueError(f"job {job.get('job_id')} names no customer: no report can be built")
    table.update_item(
        Key={"job_id": job["job_id"]},
        UpdateExpression="ADD reports :one",
        ExpressionAttributeValues={":one": 1},
    )


def lambda_handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            build_report(json.loads(record["body"]))
        except Exception as error:  # noqa: BLE001 - one bad job must not fail the others of its batch
            print(f"job failed: {error}")
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
