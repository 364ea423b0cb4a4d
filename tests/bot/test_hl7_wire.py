"""The MLLP listener as bytes on the wire, and the HL7 mapping's own rules."""

from __future__ import annotations

import asyncio
import socket
from datetime import datetime, timedelta, timezone

import hl7
import pytest

from bot.hl7.mapping import Malformed, build_ack, decode, hl7_time, to_event
from bot.hl7.mllp import MllpServer, frame, parse_listen

ADT = (
    "MSH|^~\\&|HIS|HOSP|WB|WARD|20261123080000||ADT^A01^ADT_A01|{id}|P|2.4\r"
    "PID|1||A1^^^HOSP^MR||王^小\\T\\明||20240601|F\r"
    "PV1|1|I|4A^^+1^HOSP\r"
)


def _exchange(port: int, chunks: list[bytes], answers: int) -> list[bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for chunk in chunks:
            sock.sendall(chunk)
        data = b""
        while data.count(b"\x1c\r") < answers:
            more = sock.recv(65536)
            assert more, "connection closed early"
            data += more
    return [block.lstrip(b"\x0b") for block in data.split(b"\x1c\r") if block]


async def test_blocks_split_and_joined_across_packets_each_get_their_answer() -> None:
    seen: list[bytes] = []

    async def echo(payload: bytes) -> bytes:
        seen.append(payload)
        return b"ACK " + payload[-3:]

    server = MllpServer(echo, "127.0.0.1", 0)
    await server.start()
    try:
        one, two, three = (frame(f"MSG{i}".encode()) for i in (1, 2, 3))
        chunks = [one + two[:3], two[3:], three[:1], three[1:]]
        answers = await asyncio.to_thread(_exchange, server.port, chunks, 3)
    finally:
        await server.stop()
    assert seen == [b"MSG1", b"MSG2", b"MSG3"]
    assert answers == [b"ACK SG1", b"ACK SG2", b"ACK SG3"]


def test_listen_setting() -> None:
    assert parse_listen("127.0.0.1:2575") == ("127.0.0.1", 2575)
    assert parse_listen("[::1]:0") == ("::1", 0)
    with pytest.raises(ValueError):
        parse_listen("2575")


def test_times_as_hl7_writes_them() -> None:
    assert hl7_time("202611230830") == datetime(2026, 11, 23, 8, 30)
    assert hl7_time("20261123") == datetime(2026, 11, 23)
    assert hl7_time("20261123083015.1234+0800") == datetime(
        2026, 11, 23, 8, 30, 15, tzinfo=timezone(timedelta(hours=8))
    )
    assert hl7_time("") is None
    for bad in ("2026113", "20261340", "2026112308x0", "20261123+08"):
        with pytest.raises(Malformed):
            hl7_time(bad)


def test_mapping_reads_escapes_extra_beds_and_version() -> None:
    event = to_event(decode(ADT.format(id="E1").encode()).message)
    (person,) = event.people
    assert person.name == "王小&明" and person.place.bed == "+1"
    assert person.birth_date is not None and person.birth_date.isoformat() == "2024-06-01"
    with pytest.raises(Malformed, match="version"):
        to_event(decode(ADT.format(id="E2").replace("|2.4\r", "|2.7\r").encode()).message)


def test_gb18030_and_garbage_answers() -> None:
    text = ADT.format(id="G1").replace("|2.4\r", "|2.4||||||GB 18030-2000\r")
    received = decode(text.encode("gb18030"))
    assert received.encoding == "gb18030" and received.message is not None
    ack = build_ack(received, "AA", now=datetime(2026, 11, 23), ack_id="X1")
    parsed = hl7.parse(ack.decode("gb18030"))
    assert str(parsed["MSA.F1"]) == "AA" and str(parsed["MSA.F2"]) == "G1"
    assert str(parsed["MSH.F9.R1.C1"]) == "ACK" and str(parsed["MSH.F12"]) == "2.4"
    garbage = decode(b"\xff\xfe hello")
    rejected = hl7.parse(
        build_ack(garbage, "AR", now=datetime(2026, 11, 23), ack_id="X2", reason="x|y").decode(
            "gb18030"
        )
    )
    assert str(rejected["MSA.F1"]) == "AR" and str(rejected["MSA.F3"]) == "x/y"


def test_a_bad_listen_setting_stops_the_start() -> None:
    from pydantic import ValidationError

    from bot.config import Settings

    with pytest.raises(ValidationError, match="WARDBOARD_HL7_LISTEN"):
        Settings(hl7_listen="localhost")
    assert Settings(hl7_listen="127.0.0.1:2575").hl7_listen == "127.0.0.1:2575"


async def test_a_stopped_listener_refuses_connections() -> None:
    async def answer(payload: bytes) -> bytes:
        return payload

    server = MllpServer(answer, "127.0.0.1", 0)
    await server.start()
    port = server.port
    await server.stop()
    with pytest.raises(OSError):
        await asyncio.to_thread(socket.create_connection, ("127.0.0.1", port), 2)
