"""What the runtime reads from moto's records, whatever moto's release keeps there (issue: moto 5.2.6 changed a
Kinesis record's ``created_at`` from epoch seconds to a datetime and its ``data`` from base64 text to raw bytes)."""

import base64
import datetime

import pytest

from labs.runtime.backends.clock import epoch_seconds
from labs.runtime.eventsources.stream_records import _attributes_size, _base64_data

STAMP = 1_704_110_400.25  # 2024-01-01T12:00:00.250Z


@pytest.mark.parametrize(
    "stamp",
    [
        STAMP,  # moto <= 5.2.5: epoch seconds
        "1704110400.25",
        datetime.datetime(2024, 1, 1, 12, 0, 0, 250000),  # moto 5.2.6: a naive UTC datetime
        datetime.datetime(
            2024, 1, 1, 13, 0, 0, 250000, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
        ),
    ],
)
def test_record_timestamps_read_as_epoch_seconds_whatever_type_moto_gives(stamp):
    assert epoch_seconds(stamp) == pytest.approx(STAMP)


@pytest.mark.parametrize("stamp", [None, True, object()])
def test_an_unreadable_timestamp_names_its_type(stamp):
    with pytest.raises(TypeError, match="timestamp"):
        epoch_seconds(stamp)


def test_kinesis_data_is_base64_text_from_raw_bytes_or_from_moto_s_older_base64_text():
    encoded = base64.b64encode(b'{"n": 1}').decode()
    assert _base64_data(b'{"n": 1}') == encoded  # moto 5.2.6
    assert _base64_data(encoded) == encoded  # moto 5.2.5


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ({"S": "héllo"}, 6),  # UTF-8 bytes
        ({"N": "5"}, 2),  # 1 byte per two significant digits, plus 1
        ({"N": "123"}, 3),
        ({"N": "-0012.3400"}, 3),  # leading and trailing zeroes trimmed: 1234
        ({"N": "1E+5"}, 2),
        ({"B": base64.b64encode(b"abc").decode()}, 3),  # raw bytes, not base64 text
        ({"B": b"abc"}, 3),
        ({"BOOL": True}, 1),
        ({"NULL": True}, 1),
        ({"SS": ["a", "bc"]}, 3),
        ({"L": []}, 3),  # 3 bytes for an empty list
        ({"L": [{"S": "ab"}, {"N": "1"}]}, 3 + (1 + 2) + (1 + 2)),  # and 1 per element
        ({"M": {"k": {"S": "v"}}}, 3 + 1 + 1 + 1),
    ],
)
def test_item_sizes_follow_dynamodb_s_documented_rules(value, size):
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
    assert _attributes_size({"a": value}) == 1 + size
