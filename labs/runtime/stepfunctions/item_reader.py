"""A Distributed Map's ItemReader: the items it reads from the account's S3.

``read_items(reader, parameters, s3, max_items)`` returns the list of items, or raises ``StatesError``
``States.ItemReaderFailed`` (a missing bucket or object, a file that is not what ``ReaderConfig`` says).
What AWS documents, on "ItemReader (Map)",
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html :

- ``arn:aws:states:::s3:listObjectsV2`` with ``Bucket`` / ``Prefix``: one item per object, with the fields
  ``Etag``, ``Key``, ``LastModified`` (epoch seconds), ``Size`` and ``StorageClass``.
- ``arn:aws:states:::s3:getObject`` with ``Bucket`` / ``Key`` (/ ``VersionId``) and ``ReaderConfig.InputType``:
  ``JSON`` (the object holds a JSON array), ``JSONL`` (one JSON value per line), ``CSV`` (one object per row,
  keyed by the header: ``CSVHeaderLocation`` ``FIRST_ROW`` or ``GIVEN`` with ``CSVHeaders``; every value a
  string; ``CSVDelimiter`` COMMA, PIPE, SEMICOLON, SPACE or TAB), ``MANIFEST`` (an S3 Inventory
  ``manifest.json``: the rows of its CSV files, keyed by the manifest's ``fileSchema``).
- ``ReaderConfig.MaxItems`` / ``MaxItemsPath``: read at most that many items.
Error names: "Error handling in Step Functions",
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from labs.runtime.stepfunctions.flow import StatesError

__all__ = ["LIST_OBJECTS", "GET_OBJECT", "read_items"]

LIST_OBJECTS = "arn:aws:states:::s3:listObjectsV2"
GET_OBJECT = "arn:aws:states:::s3:getObject"
FAILED = "States.ItemReaderFailed"
# CSVDelimiter's values (the CDK's CsvDelimiter enum renders them into ASL as they are).
_READER_FIELDS = {
    "InputType",
    "CSVHeaderLocation",
    "CSVHeaders",
    "CSVDelimiter",
    "MaxItems",
    "MaxItemsPath",
    "ManifestType",
    "Transformation",
}
_DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}


def _fail(message: str) -> StatesError:
    return StatesError(FAILED, message)


def read_items(reader: dict, parameters: Any, s3: Any, max_items: int | None) -> list:
    """The items of an ItemReader whose ``Parameters`` / ``Arguments`` evaluated to ``parameters``."""
    if not isinstance(parameters, dict):
        raise _fail(f"The ItemReader parameters must be a JSON object, but were {json.dumps(parameters)}")
    resource = re.sub(r"^arn:aws[a-z-]*:", "arn:aws:", str(reader.get("Resource")))  # any partition
    config = reader.get("ReaderConfig") or {}
    unknown = sorted(set(config) - _READER_FIELDS)
    if unknown:
        raise StatesError(
            "States.Runtime",
            f"valid on AWS, not simulated here: ItemReader ReaderConfig field {unknown[0]}. This runtime reads "
            f"{', '.join(sorted(_READER_FIELDS))}.",
        )
    for field, plain in (("Transformation", "NONE"), ("ManifestType", "S3_INVENTORY")):
        if config.get(field, plain) != plain:  # e.g. LOAD_AND_FLATTEN, ATHENA_DATA
            raise StatesError(
                "States.Runtime",
                f"valid on AWS, not simulated here: ItemReader {field} {config[field]}. Read the items "
                "from one JSON, JSON Lines or CSV object, an S3 Inventory manifest or an object listing.",
            )
    if resource == LIST_OBJECTS:
        items = _list_objects(s3, parameters, max_items)
    elif resource == GET_OBJECT:
        input_type = config.get("InputType", "JSON")
        if input_type == "MANIFEST":
            items = _manifest(s3, parameters, config)
        else:
            parse = _PARSERS.get(input_type)
            if parse is None:
                raise StatesError(
                    "States.Runtime",
                    f"valid on AWS, not simulated here: ItemReader InputType {input_type}. Use JSON, JSONL "
                    "or CSV objects for the items.",
                )
            items = parse(_get_text(s3, parameters), config, _where(parameters))
    else:
        raise StatesError(
            "States.Runtime",
            f"valid on AWS, not simulated here: ItemReader Resource {resource}. Read the items with "
            f"{LIST_OBJECTS} or {GET_OBJECT}.",
        )
    return items if max_items is None else items[:max_items]


def _where(parameters: dict) -> str:
    return f"s3://{parameters.get('Bucket')}/{parameters.get('Key', parameters.get('Prefix', ''))}"


_ACTIONS = {"list_objects_v2": "listObjectsV2", "get_object": "getObject"}


def _call(s3: Any, method: str, parameters: dict) -> dict:
    """One S3 call; an S3 error or refused parameters become States.ItemReaderFailed with S3's reason."""
    action = _ACTIONS[method]
    try:
        return getattr(s3, method)(**parameters)
    except ClientError as error:
        details = error.response.get("Error", {})
        raise _fail(
            f"S3 {action} failed for {_where(parameters)}: {details.get('Code', 'Error')}: "
            f"{details.get('Message', str(error))}"
        ) from None
    except (BotoCoreError, TypeError, ValueError) as error:
        raise _fail(f"S3 {action} parameters were refused: {error}") from None


def _list_objects(s3: Any, parameters: dict, max_items: int | None) -> list:
    items: list = []
    request = dict(parameters)
    while True:
        page = _call(s3, "list_objects_v2", request)
        for entry in page.get("Contents", []):
            items.append(
                {
                    "Etag": entry.get("ETag"),
                    "Key": entry["Key"],
                    "LastModified": int(entry["LastModified"].timestamp()),
                    "Size": entry.get("Size", 0),
                    "StorageClass": entry.get("StorageClass", "STANDARD"),
                }
            )
        if not page.get("IsTruncated") or (max_items is not None and len(items) >= max_items):
            return items
        request["ContinuationToken"] = page["NextContinuationToken"]


def _get_bytes(s3: Any, parameters: dict) -> bytes:
    return _call(s3, "get_object", parameters)["Body"].read()


def _get_text(s3: Any, parameters: dict) -> str:
    data = _get_bytes(s3, parameters)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _fail(f"The object {_where(parameters)} is not UTF-8 text") from None


def _json(text: str, config: dict, where: str) -> list:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise _fail(f"The object {where} is not valid JSON: {error}") from None
    if not isinstance(value, list):
        raise _fail(f"The object {where} must hold a JSON array of items, but holds {type(value).__name__}")
    return value


def _jsonl(text: str, config: dict, where: str) -> list:
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except ValueError as error:
            raise _fail(
                f"Line {number} of the JSON Lines object {where} is not valid JSON: {error}"
            ) from None
    return items


def _csv(text: str, config: dict, where: str) -> list:
    delimiter = _DELIMITERS.get(config.get("CSVDelimiter", "COMMA"))
    if delimiter is None:
        raise _fail(f"Unknown CSVDelimiter '{config.get('CSVDelimiter')}'")
    try:
        rows = [
            row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True) if row
        ]
    except csv.Error as error:
        raise _fail(f"The CSV object {where} is malformed: {error}") from None
    if config.get("CSVHeaderLocation", "FIRST_ROW") == "GIVEN":
        headers = config.get("CSVHeaders")
        if not isinstance(headers, list) or not headers:
            raise _fail("CSVHeaderLocation GIVEN needs CSVHeaders, a non-empty array of strings")
        first = 1
    else:
        if not rows:
            raise _fail(f"The CSV object {where} is empty: its first row must hold the headers")
        headers, rows, first = rows[0], rows[1:], 2
    items = []
    for number, row in enumerate(rows, start=first):
        if len(row) > len(headers):
            raise _fail(
                f"Row {number} of the CSV object {where} has {len(row)} fields but there are "
                f"{len(headers)} headers"
            )
        row = row + [""] * (len(headers) - len(row))
        items.append(dict(zip(headers, row, strict=True)))
    return items


_PARSERS = {"JSON": _json, "JSONL": _jsonl, "CSV": _csv}


def _manifest(s3: Any, parameters: dict, config: dict) -> list:
    """An S3 Inventory report: its ``manifest.json`` names the CSV files (gzipped) and their columns.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html"""
    where = _where(parameters)
    manifest = _json_object(_get_text(s3, parameters), where)
    if manifest.get("fileFormat", "CSV") != "CSV":
        raise StatesError(
            "States.Runtime",
            f"valid on AWS, not simulated here: S3 Inventory reports in {manifest.get('fileFormat')} format. "
            "Use a CSV inventory report.",
        )
    schema = [name.strip() for name in str(manifest.get("fileSchema", "")).split(",") if name.strip()]
    bucket = str(manifest.get("destinationBucket", parameters.get("Bucket"))).removeprefix("arn:aws:s3:::")
    files = manifest.get("files")
    if not schema or not isinstance(files, list):
        raise _fail(f"The S3 Inventory manifest {where} needs a fileSchema and a list of files")
    items = []
    for entry in files:
        key = entry.get("key") if isinstance(entry, dict) else None
        data = _get_bytes(s3, {"Bucket": bucket, "Key": key})
        if str(key).endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError):
                raise _fail(f"The inventory file s3://{bucket}/{key} is not gzip data") from None
        text = data.decode("utf-8", "replace")
        items.extend(_csv(text, {"CSVHeaderLocation": "GIVEN", "CSVHeaders": schema}, f"s3://{bucket}/{key}"))
    return items


def _json_object(text: str, where: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise _fail(f"The manifest {where} is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise _fail(f"The manifest {where} must be a JSON object")
    return value
