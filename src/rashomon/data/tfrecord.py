"""TFRecord files of `tf.train.Example` without TensorFlow.

Our own reader, because the `tfrecord` package's iterator skips both CRCs and its import
loads torch (~2 s in every ingest); the tests check this reader against that package's
writer. Framing: uint64 length, masked CRC32C of the length, payload, masked CRC32C of the
payload (little-endian). The payload is a protobuf `Example`: a map from feature name to
a list of bytes, floats or int64s.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Iterator, Union

import crc32c

from rashomon.core.errors import InputError

Value = Union[list[bytes], list[float], list[int]]
_MASK_DELTA = 0xA282EAD8


def masked_crc(data: bytes) -> int:
    """TFRecord's masked CRC32C (rotate right by 15, add a constant)."""
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def read_records(path: Path) -> Iterator[bytes]:
    """The payloads of a TFRecord file in order; a truncated record or a CRC mismatch is
    refused naming the file and the record's index."""
    with open(path, "rb") as f:
        index = 0
        while head := f.read(12):
            if len(head) < 12:
                raise InputError(f"{path}: record {index}: truncated header ({len(head)} of 12 bytes)")
            length, length_crc = struct.unpack("<QI", head)
            if masked_crc(head[:8]) != length_crc:
                raise InputError(f"{path}: record {index}: length CRC mismatch (corrupt or not a TFRecord file)")
            payload, tail = f.read(length), f.read(4)
            if len(payload) < length or len(tail) < 4:
                raise InputError(f"{path}: record {index}: truncated payload ({len(payload)} of {length} bytes)")
            if masked_crc(payload) != struct.unpack("<I", tail)[0]:
                raise InputError(f"{path}: record {index}: payload CRC mismatch (corrupt file)")
            yield payload
            index += 1


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        byte = buf[pos]
        result |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes) -> Iterator[tuple[int, int, Union[int, bytes]]]:
    """(field number, wire type, value) of one protobuf message; LEN values as bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if pos > len(buf):
            raise ValueError("truncated field")
        yield number, wire, value


def _signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _feature(buf: bytes) -> Value:
    """One `Feature`: bytes_list (1), float_list (2, packed or not) or int64_list (3)."""
    for kind, _, body in _fields(buf):
        values: list = []
        for _, wire, item in _fields(body):
            if kind == 1:
                values.append(bytes(item))
            elif kind == 2:
                values.extend(struct.unpack(f"<{len(item) // 4}f", item) if wire == 2 else struct.unpack("<f", item))
            elif kind == 3:
                if wire == 2:
                    pos = 0
                    while pos < len(item):
                        number, pos = _varint(item, pos)
                        values.append(_signed64(number))
                else:
                    values.append(_signed64(item))
        return values
    return []


def parse_example(payload: bytes) -> dict[str, Value]:
    """A serialised `tf.train.Example` as {feature name: list of values}; raises ValueError
    when the bytes are not one."""
    features: dict[str, Value] = {}
    for number, wire, body in _fields(payload):
        if number != 1 or wire != 2:
            continue
        for entry_number, _, entry in _fields(body):
            if entry_number != 1:
                continue
            key, value = "", b""
            for n, _, item in _fields(entry):
                if n == 1:
                    key = bytes(item).decode("utf-8")
                elif n == 2:
                    value = item
            features[key] = _feature(value)
    return features
