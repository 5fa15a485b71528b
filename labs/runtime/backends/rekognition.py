"""Amazon Rekognition ``DetectLabels`` against a deterministic mock, for the photo-processing workflow.

Real label detection needs a model; labs need answers that repeat. Labels come from words in the object's
key (``uploads/cat-on-beach.jpg`` gives Cat, Animal, Pet, Beach, ...) and confidences from a hash of the
image bytes, so the same photo always gets the same answer. What is not an image (JPEG, PNG) fails with
Rekognition's ``InvalidImageFormatException``; a missing object with ``InvalidS3ObjectException``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

__all__ = ["detect_labels"]

_KEYWORDS = {
    "cat": ["Cat", "Animal", "Pet", "Mammal"],
    "dog": ["Dog", "Animal", "Pet", "Mammal"],
    "beach": ["Beach", "Sea", "Outdoors", "Nature"],
    "car": ["Car", "Vehicle", "Transportation"],
    "person": ["Person", "Human"],
    "food": ["Food", "Meal"],
    "mountain": ["Mountain", "Outdoors", "Nature"],
}
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


class RekognitionError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def detect_labels(params: dict, read_object: Callable[[str, str], bytes | None]) -> dict:
    """Answer DetectLabels; ``read_object(bucket, key)`` returns the object's bytes or None."""
    image = params.get("Image") or {}
    name = ""
    if "S3Object" in image:
        location = image["S3Object"]
        name = str(location.get("Name", ""))
        data = read_object(str(location.get("Bucket", "")), name)
        if data is None:
            raise RekognitionError(
                "InvalidS3ObjectException",
                "Unable to get object metadata from S3. Check object key, region and/or access permissions.",
            )
    else:
        import base64

        try:
            data = base64.b64decode(image.get("Bytes", ""), validate=True)
        except ValueError:
            raise RekognitionError(
                "InvalidImageFormatException", "Request has invalid image format"
            ) from None
    if not data.startswith(_IMAGE_MAGIC):
        raise RekognitionError("InvalidImageFormatException", "Request has invalid image format")
    digest = hashlib.sha256(data).digest()
    names: list[str] = []
    for word in re.findall(r"[a-z]+", name.lower()):
        for label in _KEYWORDS.get(word, []):
            if label not in names:
                names.append(label)
    names = names or ["Photograph"]
    min_confidence = float(params.get("MinConfidence", 55))
    labels = []
    for index, label in enumerate(names):
        confidence = round(99.5 - index * 3.1 - digest[index % len(digest)] / 255 * 2, 3)
        if confidence >= min_confidence:
            labels.append({"Name": label, "Confidence": confidence, "Instances": [], "Parents": []})
    return {"Labels": labels[: int(params.get("MaxLabels", 1000))], "LabelModelVersion": "3.0"}


def handle(body: bytes, read_object: Callable[[str, str], bytes | None]) -> tuple[int, dict, bytes]:
    from labs.runtime.core import wire

    try:
        params = json.loads(body or b"{}")
        return (
            200,
            {"Content-Type": "application/x-amz-json-1.1"},
            json.dumps(detect_labels(params, read_object)).encode(),
        )
    except RekognitionError as error:
        return wire.error_response("rekognition", 400, error.code, error.message)
    except (ValueError, AttributeError):
        return wire.error_response(
            "rekognition", 400, "InvalidParameterException", "Request has invalid parameters"
        )
