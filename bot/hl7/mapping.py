"""HL7 v2 ADT (2.3-2.5) to census events and back to acknowledgements, with python-hl7."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import hl7
from hl7.containers import Message

from boards.feed import CensusEvent, EventKind, Person, Place
from boards.model import Sex

__all__ = ["Malformed", "Received", "build_ack", "decode", "to_event"]

# The triggers WardBoard applies; the ACK of anything else says it is not supported.
_TRIGGERS = {
    "A01": EventKind.ADMIT,
    "A04": EventKind.ADMIT,  # registration of an inpatient some systems send for A01
    "A02": EventKind.TRANSFER,
    "A03": EventKind.DISCHARGE,
    "A08": EventKind.UPDATE,
    "A11": EventKind.CANCEL_ADMIT,
    "A12": EventKind.CANCEL_TRANSFER,
    "A13": EventKind.CANCEL_DISCHARGE,
    "A17": EventKind.SWAP,
}
_VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1")
_SEX = {"M": Sex.MALE, "F": Sex.FEMALE}
_GB = ("GB", "GBK", "GB18030", "GB 18030-2000", "CHINESE")


class Malformed(Exception):
    """The message cannot be read as an ADT event WardBoard applies: an AR with `reason`.

    `code` is HL7 table 0357 (101 required field missing, 102 data type error, 200
    unsupported message type, 201 unsupported event, 203 unsupported version).
    """

    def __init__(self, reason: str, code: int = 102) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True, slots=True)
class Received:
    """A block off the wire: its text, its encoding, and the message when it parses."""

    text: str
    encoding: str
    message: Message | None


def decode(payload: bytes) -> Received:
    """UTF-8 unless MSH-18 names a GB charset (or the bytes are not UTF-8)."""
    head = payload[:512].split(b"\r", 1)[0].decode("ascii", "replace")
    fields = head.split(head[3:4] or "|") if head.startswith("MSH") else []
    charset = fields[17].strip().upper() if len(fields) > 17 else ""
    encoding = "gb18030" if any(charset.startswith(g) for g in _GB) else "utf-8"
    try:
        text = payload.decode(encoding)
    except UnicodeDecodeError:
        encoding = "gb18030"
        text = payload.decode(encoding, "replace")
    # Senders end segments with CR; some with LF or CRLF as well.
    text = text.replace("\r\n", "\r").replace("\n", "\r").strip("\r")
    try:
        message = hl7.parse(text)
        message.segment("MSH")
    except Exception:  # python-hl7 raises several kinds on garbage
        message = None
    return Received(text, encoding, message)


def _get(message: Message, key: str) -> str:
    try:
        return str(message[key]).strip()
    except (IndexError, KeyError):
        return ""


def _part(segment: object, field: int, component: int = 1) -> str:
    """One component of a field's first repetition, unescaped by python-hl7; "" if absent."""
    try:
        value = segment.extract_field(1, field, 1, component)  # type: ignore[attr-defined]
    except (IndexError, KeyError, TypeError):
        return ""
    return str(value).strip()


def hl7_time(text: str) -> datetime | None:
    """An HL7 TS (YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]); naive unless an offset is given."""
    text = text.strip()
    if not text:
        return None
    offset = None
    for sign in "+-":
        if sign in text[4:]:
            text, _, zone = text.partition(sign)
            if len(zone) != 4 or not zone.isdigit():
                raise Malformed("bad time zone")
            minutes = int(zone[:2]) * 60 + int(zone[2:])
            offset = timezone(timedelta(minutes=minutes if sign == "+" else -minutes))
    text = text.split(".", 1)[0]
    if not text.isdigit() or len(text) not in (4, 6, 8, 10, 12, 14):
        raise Malformed("bad time")
    parts = [int(text[:4]), *(int(text[i : i + 2]) for i in range(4, len(text), 2))]
    parts += [1] * max(0, 3 - len(parts))
    try:
        value = datetime(*parts)  # type: ignore[arg-type]
    except ValueError as exc:
        raise Malformed("bad time") from exc
    return value.replace(tzinfo=offset) if offset else value


def _birth(text: str) -> date | None:
    value = hl7_time(text)
    return value.date() if value is not None else None


def _person(pid: object, pv1: object | None, dg1: object | None) -> Person:
    number = _part(pid, 3)
    if not number:
        raise Malformed("PID-3 admission number missing", 101)
    family, given = _part(pid, 5, 1), _part(pid, 5, 2)
    # A Chinese name is family name then given name, written together.
    name = (family + given) if (family or given) else None
    sex_code = _part(pid, 8).upper()
    place = prior = Place()
    visit = admitted = discharged = None
    if pv1 is not None:
        place = Place(_part(pv1, 3, 1) or None, _part(pv1, 3, 3) or None)
        prior = Place(_part(pv1, 6, 1) or None, _part(pv1, 6, 3) or None)
        visit = _part(pv1, 19) or None
        admitted = hl7_time(_part(pv1, 44))
        discharged = hl7_time(_part(pv1, 45))
    diagnosis = None
    if dg1 is not None:
        # DG1-3 coded (code^text), else the 2.3 free-text DG1-4.
        diagnosis = _part(dg1, 3, 2) or _part(dg1, 4) or _part(dg1, 3, 1) or None
    return Person(
        admission_no=number[:32],
        visit_no=visit[:32] if visit else None,
        name=name,
        sex=_SEX.get(sex_code),
        birth_date=_birth(_part(pid, 7)),
        diagnosis=diagnosis,
        place=place,
        prior=prior,
        admitted_at=admitted,
        discharged_at=discharged,
    )


def to_event(message: Message) -> CensusEvent:
    """The census event an ADT message reports, or `Malformed`."""
    control_id = _get(message, "MSH.F10")
    if not control_id:
        raise Malformed("MSH-10 message control id missing", 101)
    if _get(message, "MSH.F9.R1.C1") != "ADT":
        raise Malformed("not an ADT message", 200)
    trigger = _get(message, "MSH.F9.R1.C2")
    if not trigger:
        # 2.3 senders may give the trigger in EVN-1 only.
        trigger = _get(message, "EVN.F1") if _has(message, "EVN") else ""
    kind = _TRIGGERS.get(trigger)
    if kind is None:
        raise Malformed(f"event {trigger or '?'} not supported", 201)
    version = _get(message, "MSH.F12.R1.C1")
    if version not in _VERSIONS:
        raise Malformed(f"version {version or '?'} not supported", 203)
    occurred = hl7_time(_get(message, "EVN.F2")) if _has(message, "EVN") else None
    people = _people(message)
    if not people:
        raise Malformed("PID segment missing", 100)
    if kind is EventKind.SWAP and len(people) != 2:
        raise Malformed("A17 needs two PID/PV1 groups", 100)
    return CensusEvent(
        kind=kind,
        message_id=control_id[:64],
        code=trigger,
        people=tuple(people),
        occurred_at=occurred,
    )


def _has(message: Message, name: str) -> bool:
    return any(str(segment[0]) == name for segment in message)


def _people(message: Message) -> list[Person]:
    """Each PID with the PV1 (and first DG1) that follow it, before the next PID."""
    groups: list[list[object | None]] = []
    for segment in message:
        kind = str(segment[0])
        if kind == "PID":
            groups.append([segment, None, None])
        elif groups and kind == "PV1" and groups[-1][1] is None:
            groups[-1][1] = segment
        elif groups and kind == "DG1" and groups[-1][2] is None:
            groups[-1][2] = segment
    return [_person(pid, pv1, dg1) for pid, pv1, dg1 in groups]


_FALLBACK_MSH = "MSH|^~\\&|HIS||WARDBOARD||{ts}||ADT^A01|?|P|2.5"


def build_ack(
    received: Received,
    code: str,
    *,
    now: datetime,
    ack_id: str,
    reason: str | None = None,
    error: int | None = None,
) -> bytes:
    """MSA `code` for the message (its MSH-10), with MSA-3 and an ERR segment on refusal."""
    stamp = now.strftime("%Y%m%d%H%M%S")
    source = received.message
    if source is None:
        source = hl7.parse(_FALLBACK_MSH.format(ts=stamp))
    ack = source.create_ack(code, message_id=ack_id, application="WARDBOARD")
    ack.segment("MSH").assign_field(stamp, 7)
    if source is not received.message:
        ack.segment("MSA").assign_field("", 2)
    text = (reason or "").replace("|", "/").replace("^", " ").replace("&", " ")[:80]
    segments = [str(segment) for segment in ack]
    if text:
        segments[-1] = f"{segments[-1]}|{text}"
    if code != "AA":
        number = error or 207
        version = _get(source, "MSH.F12.R1.C1")
        if version.startswith("2.5"):
            segments.append(f"ERR|||{number}^{text}^HL70357|E")
        else:
            segments.append(f"ERR|^^^{number}&{text}&HL70357")
    return ("\r".join(segments) + "\r").encode(received.encoding, "replace")
