"""The AWS query protocol, both ways, for REST API integrations of type ``AWS`` with SQS and SNS.

A mapping template for SQS or SNS writes a form (``Action=SendMessage&MessageBody=...``) as an SDK would put
it on the wire; API Gateway sends it as it is and returns what the service answers. Here the form is read
back into the action's parameters, nested ones included, and the action's output is written back in the
service's wire shape, so that templates written against AWS's documented shapes work.

Reading a form (query-protocol serialization of botocore's input shapes, as AWS's query APIs name them):

- a structure member is ``Prefix.Member``; a list is ``Prefix.member.N`` (``Prefix.N`` when flattened), a map
  ``Prefix.entry.N.key`` / ``.value`` (``Prefix.N.key`` when flattened), each element or entry numbered from 1,
  names overridden by the model's ``locationName``. So SNS ``Publish`` takes
  ``MessageAttributes.entry.1.Name`` / ``MessageAttributes.entry.1.Value.DataType`` /
  ``...Value.StringValue`` (https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html,
  https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
- SQS's botocore model is its JSON protocol now, which lost the query names: SQS's query API names
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html, request
  parameters ``MessageAttribute.N.Name`` / ``MessageAttribute.N.Value.StringValue`` / ``...DataType``; the
  query-protocol page sqs-making-api-requests-xml.html) are in ``_SQS_NAMES``.
- ``Action``, ``Version`` and signature parameters are the protocol's own. Any other field that names no
  parameter of the action raises ``UnknownFields`` naming each one: never dropped without a word.

Writing the output: API Gateway's AWS integrations send ``Accept: application/json`` unless the integration
maps another ``Accept`` header, and query services then answer JSON in their XML's shape:
``{"SendMessageResponse": {"SendMessageResult": {...every output member, null when absent},
"ResponseMetadata": {"RequestId": ...}}}`` (the response API Gateway's getting-started-aws-proxy.html tutorial
shows for SNS ``ListTopics``, and that AWS's SQS examples read with
``$input.path('$.SendMessageResponse.SendMessageResult.MessageId')``); with ``Accept: text/xml`` or
``application/xml`` they answer the XML.
"""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any
from xml.sax.saxutils import escape

__all__ = ["UnknownFields", "form_parameters", "wire_error", "wire_output"]

_PROTOCOL_FIELDS = {"Action", "Version", "AWSAccessKeyId", "Signature", "SignatureMethod", "SignatureVersion"}
_PROTOCOL_FIELDS |= {"Timestamp", "Expires", "SecurityToken"}
_XMLNS = {
    "sqs": "http://queue.amazonaws.com/doc/2012-11-05/",
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
}

# member name -> (query name, map key name, map value name) in SQS's query API; every SQS list and map is
# flattened. "Entries" is named after the operation: SendMessageBatchRequestEntry.N.Id ...
_SQS_NAMES = {
    "MessageAttributes": ("MessageAttribute", "Name", "Value"),
    "MessageSystemAttributes": ("MessageSystemAttribute", "Name", "Value"),
    "Attributes": ("Attribute", "Name", "Value"),
    "tags": ("Tag", "Key", "Value"),
    "Tags": ("Tag", "Key", "Value"),
    "AttributeNames": ("AttributeName", "", ""),
    "MessageAttributeNames": ("MessageAttributeName", "", ""),
    "MessageSystemAttributeNames": ("MessageSystemAttributeName", "", ""),
    "StringListValues": ("StringListValue", "", ""),
    "BinaryListValues": ("BinaryListValue", "", ""),
    "TagKeys": ("TagKey", "", ""),
    "AWSAccountIds": ("AWSAccountId", "", ""),
    "Actions": ("ActionName", "", ""),
}


class UnknownFields(ValueError):
    """Form fields that name no parameter of the action: ``fields`` in the order the form has them."""

    def __init__(self, action: str, fields: list[str]) -> None:
        super().__init__(f"{action}: {', '.join(fields)}")
        self.action, self.fields = action, fields


def form_parameters(service: str, operation: Any, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """The action's parameters from form ``pairs`` (already URL-decoded); raises ``UnknownFields``."""
    tree: dict[str, Any] = {}
    clashing: list[str] = []  # "A=1&A.B=2": a field that is both a value and a prefix
    for name, value in pairs:
        if name in _PROTOCOL_FIELDS:
            continue
        *parents, last = name.split(".")
        place = tree
        for part in parents:
            place = place.setdefault(part, {})
            if not isinstance(place, dict):
                break
        if not isinstance(place, dict) or isinstance(place.get(last), dict):
            clashing.append(name)
        else:
            place[last] = value
    reader = _Reader(service, operation.name)
    params = reader.structure(operation.input_shape, tree, "") if operation.input_shape else {}
    unknown = clashing + reader.unknown
    if not operation.input_shape:
        unknown += list(_leaves(tree, ""))
    if unknown:
        raise UnknownFields(operation.name, list(dict.fromkeys(unknown)))
    return params


def _leaves(node: Any, prefix: str):
    if not isinstance(node, dict):
        yield prefix
        return
    for key, child in node.items():
        yield from _leaves(child, f"{prefix}{key}" if not prefix else f"{prefix}.{key}")


class _Reader:
    def __init__(self, service: str, action: str) -> None:
        self.service, self.action = service, action
        self.unknown: list[str] = []

    def _names(self, member: str, shape: Any) -> tuple[str, str, str]:
        if self.service == "sqs" and member == "Entries":
            return f"{self.action}RequestEntry", "", ""
        if self.service == "sqs" and member in _SQS_NAMES:
            return _SQS_NAMES[member]
        name = shape.serialization.get("name", member)
        if shape.type_name == "map":
            return (
                name,
                shape.key.serialization.get("name", "key"),
                shape.value.serialization.get("name", "value"),
            )
        return name, "", ""

    def _join(self, prefix: str, name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    def structure(self, shape: Any, node: Any, prefix: str) -> dict[str, Any]:
        if not isinstance(node, dict):
            self.unknown.append(prefix)
            return {}
        node = dict(node)
        result = {}
        for member, member_shape in shape.members.items():
            name, key_name, value_name = self._names(member, member_shape)
            if name in node:
                value = self.value(
                    member_shape, node.pop(name), self._join(prefix, name), key_name, value_name
                )
                if value is not None:
                    result[member] = value
        self.unknown += list(_leaves(node, prefix))
        return result

    def value(self, shape: Any, node: Any, prefix: str, key_name: str = "", value_name: str = "") -> Any:
        kind = shape.type_name
        if kind == "structure":
            return self.structure(shape, node, prefix)
        if kind == "list":
            return self._list(shape, node, prefix)
        if kind == "map":
            return self._map(shape, node, prefix, key_name or "key", value_name or "value")
        if isinstance(node, dict):
            self.unknown += list(_leaves(node, prefix))
            return None
        return _scalar(kind, node)

    def _numbered(self, node: Any, prefix: str) -> list[tuple[str, Any]]:
        if not isinstance(node, dict):
            if node != "":  # "Name=" is how the protocol writes an empty list or map
                self.unknown.append(prefix)
            return []
        numbered = sorted((k for k in node if k.isdigit() and k != "0"), key=int)
        self.unknown += [self._join(prefix, k) for k in node if k not in numbered]
        return [(self._join(prefix, k), node[k]) for k in numbered]

    def _list(self, shape: Any, node: Any, prefix: str) -> list[Any]:
        flattened = shape.serialization.get("flattened") or self.service == "sqs"
        if not flattened:
            member_name = shape.member.serialization.get("name", "member")
            if isinstance(node, dict) and set(node) - {member_name}:
                self.unknown += [self._join(prefix, k) for k in node if k != member_name]
            if isinstance(node, dict):
                node, prefix = node.get(member_name, {}), f"{prefix}.{member_name}"
        return [self.value(shape.member, item, where) for where, item in self._numbered(node, prefix)]

    def _map(self, shape: Any, node: Any, prefix: str, key_name: str, value_name: str) -> dict[str, Any]:
        flattened = shape.serialization.get("flattened") or self.service == "sqs"
        if not flattened:
            if isinstance(node, dict) and set(node) - {"entry"}:
                self.unknown += [self._join(prefix, k) for k in node if k != "entry"]
            if isinstance(node, dict):
                node, prefix = node.get("entry", {}), f"{prefix}.entry"
        result = {}
        for where, entry in self._numbered(node, prefix):
            if not isinstance(entry, dict) or key_name not in entry:
                self.unknown.append(f"{where}.{key_name}")
                continue
            entry = dict(entry)
            key = entry.pop(key_name)
            if value_name in entry:
                result[key] = self.value(shape.value, entry.pop(value_name), f"{where}.{value_name}")
            self.unknown += list(_leaves(entry, where)) if entry else []
        return result


def _scalar(kind: str, text: str) -> Any:
    """Text as the member's type; text that does not parse is left for the API's validation to refuse."""
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text.lower(), text)
    if kind == "blob":
        try:
            return base64.b64decode(text, validate=True)
        except ValueError:
            return text
    return text


# -- the answer, as the service puts it on the wire ----------------------------------------------------------
def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def wire_output(service: str, operation: Any, output: dict, request_id: str, xml: bool) -> tuple[str, str]:
    """(content type, body) of a query service's answer to ``operation`` as JSON or XML."""
    output = {k: v for k, v in output.items() if k != "ResponseMetadata"}
    members = list(operation.output_shape.members) if operation.output_shape else []
    result = {name: _plain(output.get(name)) for name in members}
    action = operation.name
    if xml:
        inner = "".join(_xml(name, value) for name, value in result.items() if value is not None)
        text = (
            f'<{action}Response xmlns="{_XMLNS.get(service, "")}"><{action}Result>{inner}</{action}Result>'
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
        )
        return "text/xml", text
    answer = {f"{action}Response": {f"{action}Result": result, "ResponseMetadata": {"RequestId": request_id}}}
    return "application/json", json.dumps(answer)


def _xml(name: str, value: Any) -> str:
    if isinstance(value, dict):
        return f"<{name}>{''.join(_xml(k, v) for k, v in value.items() if v is not None)}</{name}>"
    if isinstance(value, list):
        return f"<{name}>{''.join(_xml('member', item) for item in value)}</{name}>"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name}>{escape(str(value))}</{name}>"


def wire_error(code: str, message: str, request_id: str, xml: bool, sender: bool = True) -> tuple[str, str]:
    """(content type, body) of a query service's error response (its ``ErrorResponse`` document)."""
    kind = "Sender" if sender else "Receiver"
    if xml:
        text = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return "text/xml", text
    error = {"Error": {"Code": code, "Message": message, "Type": kind}, "RequestId": request_id}
    return "application/json", json.dumps({"ErrorResponse": error})
