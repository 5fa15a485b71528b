"""A Distributed Map's ResultWriter: the child workflow executions' results, formatted and written to S3.

As "ResultWriter (Map)" documents it,
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html :

- ``WriterConfig.Transformation``: ``NONE`` (each child execution's record, with its metadata; the default
  when exporting to S3), ``COMPACT`` (the outputs alone; the default without a ResultWriter), ``FLATTEN``
  (the outputs, an output that is an array spread into the list). A failed child's record is kept as it is.
- ``WriterConfig.OutputType``: ``JSON`` (one array per file) or ``JSONL`` (one record per line).
- ``Resource`` ``arn:aws:states:::s3:putObject`` with ``Bucket`` / ``Prefix``: files under
  ``<Prefix>/<map run id>/``: ``SUCCEEDED_0.json``, ``FAILED_0.json``, ``PENDING_0.json`` (only those with
  records) and ``manifest.json`` (``DestinationBucket``, ``MapRunArn``, ``ResultFiles`` with each file's
  ``Key`` and ``Size``); the state's result is then ``{"MapRunArn", "ResultWriterDetails": {"Bucket",
  "Key"}}`` with the manifest's key.
- Only a WriterConfig: the formatted results are the state's result, nothing is written.
A write that S3 refuses fails the state with ``States.ResultWriterFailed`` ("Error handling in Step
Functions", https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from labs.runtime.stepfunctions.flow import StatesError

__all__ = ["PUT_OBJECT", "format_results", "write_results"]

PUT_OBJECT = "arn:aws:states:::s3:putObject"
_STATUS_FILES = ("SUCCEEDED", "FAILED", "PENDING")


def format_results(records: list[dict], transformation: str) -> list:
    """Child records (``Status``, ``Output`` as JSON text, ...) as ``Transformation`` shapes them."""
    if transformation == "NONE":
        return records
    out: list = []
    for record in records:
        if record.get("Status") != "SUCCEEDED":
            out.append(record)  # a failed child's result is returned unchanged, as with NONE
            continue
        output = json.loads(record["Output"])
        if transformation == "FLATTEN" and isinstance(output, list):
            out.extend(output)
        else:
            out.append(output)
    return out


def _body(records: list, output_type: str) -> bytes:
    if output_type == "JSONL":
        return "".join(json.dumps(record, separators=(",", ":")) + "\n" for record in records).encode()
    return json.dumps(records, separators=(",", ":")).encode()


def write_results(
    s3: Any,
    parameters: Any,
    map_run_arn: str,
    records: list[dict],
    writer_config: dict,
) -> dict:
    """Write the records of a Map Run under ``<Prefix>/<map run id>/`` and return the state's result."""
    if not isinstance(parameters, dict) or not isinstance(parameters.get("Bucket"), str):
        raise StatesError("States.ResultWriterFailed", "The ResultWriter parameters must name a Bucket")
    bucket = parameters["Bucket"]
    prefix = str(parameters.get("Prefix", "") or "")
    run_id = map_run_arn.rsplit(":", 1)[-1]
    folder = f"{prefix.rstrip('/')}/{run_id}/" if prefix else f"{run_id}/"
    transformation = writer_config.get("Transformation", "NONE")
    output_type = writer_config.get("OutputType", "JSON")
    extension = "jsonl" if output_type == "JSONL" else "json"
    files: dict[str, list] = {status: [] for status in _STATUS_FILES}
    for status in _STATUS_FILES:
        chosen = [record for record in records if _file_status(record) == status]
        if not chosen:
            continue
        body = _body(format_results(chosen, transformation), output_type)
        key = f"{folder}{status}_0.{extension}"
        _put(s3, bucket, key, body)
        files[status].append({"Key": key, "Size": len(body)})
    manifest = {"DestinationBucket": bucket, "MapRunArn": map_run_arn, "ResultFiles": files}
    _put(s3, bucket, f"{folder}manifest.json", json.dumps(manifest, separators=(",", ":")).encode())
    return {
        "MapRunArn": map_run_arn,
        "ResultWriterDetails": {"Bucket": bucket, "Key": f"{folder}manifest.json"},
    }


def _file_status(record: dict) -> str:
    status = record.get("Status")
    if status == "SUCCEEDED":
        return "SUCCEEDED"
    return "PENDING" if status in ("PENDING", "RUNNING") else "FAILED"


def _put(s3: Any, bucket: str, key: str, body: bytes) -> None:
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    except ClientError as error:
        details = error.response.get("Error", {})
        raise StatesError(
            "States.ResultWriterFailed",
            f"S3 putObject failed for s3://{bucket}/{key}: {details.get('Code', 'Error')}: "
            f"{details.get('Message', str(error))}",
        ) from None
    except (BotoCoreError, TypeError, ValueError) as error:
        raise StatesError(
            "States.ResultWriterFailed", f"S3 putObject parameters were refused: {error}"
        ) from None
