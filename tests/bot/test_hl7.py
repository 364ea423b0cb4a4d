"""The HIS feed end to end: python-hl7's own MLLP client sends real ADT messages to the
listener of the running bot; the ACKs and the pinned board say what happened."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hl7
import pytest
from hl7.client import MLLPClient

from boards.feed import HIS_ACTOR
from bot.hl7.feed import HisFeed
from storage.uow import Database
from tests.bot.conftest import GROUP_ID, Ward, _running

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture
async def hl7_ward(database: Database) -> AsyncIterator[Ward]:
    # 08:00 Monday in Shanghai, the listener on a free port of 127.0.0.1.
    start = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    async with _running(database, start, 3600.0, hl7_listen="127.0.0.1:0") as ready:
        await ready.ready()
        assert "4A" in await ready.reply(ready.head, "/hiscode 4A")
        yield ready


def _port(ward: Ward) -> int:
    feed = ward.runtime.extras["hl7"]
    assert isinstance(feed, HisFeed) and feed.port is not None
    return feed.port


def patient(
    mrn: str,
    name: str = "张^三",
    *,
    sex: str = "M",
    born: str = "19800101",
    unit: str = "4A",
    bed: str = "12",
    prior: tuple[str, str] = ("", ""),
    visit: str = "",
    diagnosis: str = "",
) -> list[str]:
    pv1 = ["PV1", "1", "I", f"{unit}^^{bed}^HOSP"] + [""] * 42
    pv1[6] = f"{prior[0]}^^{prior[1]}" if prior[0] else ""
    pv1[19] = visit
    pid = f"PID|1||{mrn}^^^HOSP^MR||{name}||{born}|{sex}"
    group = [pid, "|".join(pv1).rstrip("|")]
    if diagnosis:
        group.append(f"DG1|1||{diagnosis}")
    return group


def adt(trigger: str, control: str, *groups: list[str], version: str = "2.5") -> str:
    segments = [
        f"MSH|^~\\&|HIS|HOSP|WARDBOARD|WARD|20261123080000||ADT^{trigger}^ADT_A01|{control}"
        f"|P|{version}||||||UNICODE UTF-8",
        f"EVN|{trigger}|20261123080000",
    ]
    for group in groups:
        segments += group
    return "\r".join(segments) + "\r"


def _send_blocking(port: int, messages: list[str | bytes]) -> list[hl7.Message]:
    with MLLPClient("127.0.0.1", port) as client:
        answers = [client.send_message(m) for m in messages]
    return [hl7.parse(a.strip(b"\x0b\x1c\r").decode("utf-8")) for a in answers]


async def send(ward: Ward, *messages: str | bytes) -> list[hl7.Message]:
    """Each message over one connection of python-hl7's (blocking) client, in a thread."""
    return await asyncio.to_thread(_send_blocking, _port(ward), list(messages))


def msa(ack: hl7.Message) -> tuple[str, str, str]:
    return str(ack["MSA.F1"]), str(ack["MSA.F2"]), str(ack["MSA.F3"])


async def board(ward: Ward) -> str:
    return (await ward.board()).text


async def active(ward: Ward) -> dict[str, tuple[str, str | None]]:
    async with ward.database.uow() as uow:
        stays = await uow.stays.active(await ward.ward_id())
    return {s.bed: (s.name, s.admission_no) for s in stays}


async def test_admit_acknowledged_after_commit_and_on_the_board(hl7_ward: Ward) -> None:
    ward = hl7_ward
    (ack,) = await send(ward, adt("A01", "M1", patient("A123", diagnosis="K35^急性阑尾炎")))
    assert msa(ack) == ("AA", "M1", "")
    assert str(ack["MSH.F9.R1.C1"]) == "ACK" and str(ack["MSH.F5"]) == "HIS"
    text = await board(ward)
    assert "12床 张* " in text and "张三" not in text and "A123" not in text
    card = await ward.reply(ward.nurse, "/card 12")
    assert "张三" in card and "急性阑尾炎" in card
    async with ward.database.uow() as uow:
        entries = await uow.audit.of_ward(await ward.ward_id())
    admit = next(e for e in entries if e.action == "stay:admit")
    assert admit.actor_id == HIS_ACTOR.user_id and admit.after is not None
    assert admit.after["source"] == "HIS" and admit.after["message"] == "M1"


async def test_a_bed_written_with_its_unit_in_front(hl7_ward: Ward) -> None:
    ward = hl7_ward
    acks = await send(
        ward,
        adt("A01", "B1", patient("A1", bed="4A-16")),
        adt("A01", "B2", patient("A2", bed="4a07")),
        adt("A01", "B3", patient("A3", bed="4A-99")),
    )
    assert [msa(a)[0] for a in acks] == ["AA", "AA", "AR"]
    assert set(await active(ward)) == {"16", "7"}


async def test_the_same_message_twice_is_applied_once_acknowledged_twice(hl7_ward: Ward) -> None:
    ward = hl7_ward
    message = adt("A01", "DUP-1", patient("A123"))
    first, again = await send(ward, message, message)
    assert msa(first)[:2] == msa(again)[:2] == ("AA", "DUP-1")
    assert await active(ward) == {"12": ("张三", "A123")}
    async with ward.database.uow() as uow:
        entries = await uow.audit.of_ward(await ward.ward_id())
    assert len([e for e in entries if e.action == "stay:admit"]) == 1


async def test_unknown_ward_code_and_malformed_messages_are_rejected(hl7_ward: Ward) -> None:
    ward = hl7_ward
    unknown, garbage, no_id, unsupported = await send(
        ward,
        adt("A01", "U1", patient("B1", unit="9Z")),
        "this is not HL7",
        adt("A01", "U2", ["PID|1||||王^五||19700101|F", "PV1|1|I|4A^^3"]),
        adt("A05", "U3", patient("B2")),
    )
    assert msa(unknown)[:2] == ("AR", "U1") and "9Z" in msa(unknown)[2]
    assert str(unknown["ERR.F3.R1.C1"]) == "103"
    assert msa(garbage)[0] == "AR"
    assert msa(no_id)[0] == "AR" and "PID-3" in msa(no_id)[2]
    assert msa(unsupported)[0] == "AR" and "A05" in msa(unsupported)[2]
    assert await active(ward) == {}


async def test_bed_taken_by_another_patient_is_an_error_and_changes_nothing(
    hl7_ward: Ward,
) -> None:
    ward = hl7_ward
    assert "已入院" in await ward.reply(ward.nurse, "/admit 12 李四 女 40 肺炎")
    before = await board(ward)
    (ack,) = await send(ward, adt("A01", "T1", patient("A123", bed="12")))
    code, control, reason = msa(ack)
    assert (code, control) == ("AE", "T1") and "bed 12" in reason
    assert await active(ward) == {"12": ("李四", None)}
    assert await board(ward) == before


async def test_swap_naming_beds_the_patients_are_not_in_is_an_error(hl7_ward: Ward) -> None:
    ward = hl7_ward
    acks = await send(
        ward,
        adt("A01", "W1", patient("A1", "张^三", bed="12")),
        adt("A01", "W2", patient("A2", "赵^六", sex="F", born="20260901", bed="13")),
    )
    assert [msa(a)[0] for a in acks] == ["AA", "AA"]
    before = await board(ward)
    # A1 to bed 14, which A2 does not hold: the HIS and the ward disagree on the census.
    (ack,) = await send(ward, adt("A17", "W3", patient("A1", bed="14"), patient("A2", bed="12")))
    code, control, reason = msa(ack)
    assert (code, control) == ("AE", "W3") and "bed 14" in reason
    assert await active(ward) == {"12": ("张三", "A1"), "13": ("赵六", "A2")}
    assert await board(ward) == before


async def test_swap_transfer_discharge_and_cancels(hl7_ward: Ward) -> None:
    ward = hl7_ward
    acks = await send(
        ward,
        adt("A01", "S1", patient("A1", "张^三", bed="12")),
        adt("A01", "S2", patient("A2", "赵^六", sex="F", born="20260901", bed="13")),
        # A17: two PID/PV1 groups, each patient to the other's bed.
        adt("A17", "S3", patient("A1", bed="13"), patient("A2", bed="12")),
    )
    assert [msa(a)[0] for a in acks] == ["AA", "AA", "AA"]
    assert await active(ward) == {"13": ("张三", "A1"), "12": ("赵六", "A2")}
    text = await board(ward)
    assert "12床 赵* " in text and "13床 张* " in text
    acks = await send(
        ward,
        adt("A02", "S4", patient("A1", bed="15", prior=("4A", "13"))),
        adt("A03", "S5", patient("A2", bed="12")),
        adt("A13", "S6", patient("A2", bed="12")),
        adt("A11", "S7", patient("A1", bed="15")),
    )
    assert [msa(a)[0] for a in acks] == ["AA", "AA", "AA", "AA"]
    assert await active(ward) == {"12": ("赵六", "A2")}
    text = await board(ward)
    # The discharge was cancelled and the admission of A1 never happened: neither shows.
    assert "原有 0 · 入院 1 · 出院 0 · 转入 0 · 转出 0 · 现有 1" in text
    assert "【入院】\n12床 赵* 女 2个月\n" in text
    assert "15床" not in text and "出院 / 转出" not in text


async def test_times_are_the_wards_wall_clock(hl7_ward: Ward) -> None:
    ward = hl7_ward
    yesterday = patient("A1", bed="12")
    yesterday[1] += "|" * (44 - yesterday[1].count("|")) + "20261122213000"
    offset = patient("A2", bed="13")
    offset[1] += "|" * (44 - offset[1].count("|")) + "20261123073000+0800"
    acks = await send(ward, adt("A01", "W1", yesterday), adt("A01", "W2", offset))
    assert [msa(a)[0] for a in acks] == ["AA", "AA"]
    async with ward.database.uow() as uow:
        stays = {s.bed: s for s in await uow.stays.active(await ward.ward_id())}
    assert stays["12"].admitted_at == datetime(2026, 11, 22, 13, 30, tzinfo=UTC)
    assert stays["13"].admitted_at == datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    text = await board(ward)
    assert "原有 1 · 入院 1" in text and "【入院】\n13床 张* 男 46岁\n" in text


async def test_hiscode_is_the_head_nurses_and_audited(hl7_ward: Ward) -> None:
    ward = hl7_ward
    assert await ward.reply(ward.nurse, "/hiscode 4C") == "只有护士长可以这样做。"
    assert await ward.reply(ward.head, "/hiscode") == "本病区的 HIS 代码：4A"
    refused = await ward.reply(ward.head, "/hiscode 4A!")
    assert refused.startswith("HIS 代码「4A!」无效") and "/hiscode 4A" in refused
    assert "已创建病区" in await ward.reply(ward.head, "/newward 心内科 30")
    assert (await ward.reply(ward.head, "/hiscode 4A")).startswith(
        "【心内科】HIS 代码 4A 已被另一个病区使用。"
    )
    async with ward.database.uow() as uow:
        entries = await uow.audit.of_ward(await ward.ward_id())
    mapped = next(e for e in entries if e.action == "ward:his_code")
    assert mapped.actor_id == ward.head.id and mapped.after == {"his_code": "4A"}


async def test_an_unmapped_ward_gets_nothing(hl7_ward: Ward) -> None:
    ward = hl7_ward
    assert "取消 HIS 代码" in await ward.reply(ward.head, "/hiscode off")
    (ack,) = await send(ward, adt("A01", "N1", patient("A1")))
    assert msa(ack)[0] == "AR"
    assert await active(ward) == {}
    assert "12床" not in await board(ward)
    assert "4A" in await ward.reply(ward.head, "/hiscode 4A")
    (ack,) = await send(ward, adt("A01", "N1", patient("A1")))
    # Refused before, so not remembered: sent again once mapped, it is applied.
    assert msa(ack)[0] == "AA" and "12" in await active(ward)


async def test_update_changes_details_matched_on_the_number_not_the_name(
    hl7_ward: Ward,
) -> None:
    ward = hl7_ward
    acks = await send(
        ward,
        adt("A01", "P1", patient("A1", "张^三", bed="12")),
        adt("A08", "P2", patient("A1", "张^叁", bed="12", diagnosis="K35^阑尾炎")),
        # Same name, another number: another patient, so not an update of bed 12.
        adt("A08", "P3", patient("A9", "张^叁", bed="12")),
    )
    assert [msa(a)[0] for a in acks] == ["AA", "AA", "AE"]
    assert await active(ward) == {"12": ("张叁", "A1")}
    assert "阑尾炎" in await ward.reply(ward.nurse, "/card 12")


async def test_transfers_between_wards_and_out_to_an_unmapped_unit(hl7_ward: Ward) -> None:
    ward = hl7_ward
    assert "已创建病区" in await ward.reply(ward.head, "/newward 心内科 30")
    assert "4B" in await ward.reply(ward.head, "/hiscode 4B")
    acks = await send(
        ward,
        adt("A01", "X1", patient("A1", bed="12")),
        adt("A01", "X2", patient("A2", "钱^七", bed="14")),
        adt("A02", "X3", patient("A1", unit="4B", bed="3", prior=("4A", "12"))),
        adt("A02", "X4", patient("A2", unit="ICU", bed="1", prior=("4A", "14"))),
    )
    assert [msa(a)[0] for a in acks] == ["AA"] * 4
    assert await active(ward) == {}
    async with ward.database.uow() as uow:
        cardio = await uow.wards.by_his_code("4B")
        assert cardio is not None
        (arrived,) = await uow.stays.active(cardio.id)
        gone = await uow.stays.by_admission("A2")
    assert (arrived.bed, arrived.name, arrived.transferred_from) == ("3", "张三", "普外科一病区")
    assert gone[0].status.value == "transferred" and gone[0].transferred_to == "ICU"
    assert "12床" not in (await board(ward)).split("【", 1)[0]
    # From a unit no ward maps (the emergency department): an arrival.
    acks = await send(
        ward,
        adt("A02", "X6", patient("E1", "吴^十", unit="4A", bed="20", prior=("ER", "3"))),
        adt("A03", "X7", patient("E404", unit="4A", bed="21")),
    )
    assert [msa(a)[0] for a in acks] == ["AA", "AE"]
    assert str(acks[1]["ERR.F3.R1.C1"]) == "204"
    async with ward.database.uow() as uow:
        (arrival,) = await uow.stays.active(await ward.ward_id())
    assert (arrival.bed, arrival.name, arrival.transferred_from) == ("20", "吴十", "ER")
    acks = await send(ward, adt("A11", "X8", patient("E1", unit="4A", bed="20")))
    # A12: the transfer to 4B was a mistake; PV1-3 names where the patient is again.
    (ack,) = await send(ward, adt("A12", "X5", patient("A1", bed="12", prior=("4B", "3"))))
    assert msa(ack)[0] == "AA"
    assert await active(ward) == {"12": ("张三", "A1")}
    async with ward.database.uow() as uow:
        assert await uow.stays.active(cardio.id) == []


async def test_a_change_over_a_recent_hand_edit_is_applied_and_the_group_told(
    hl7_ward: Ward,
) -> None:
    ward = hl7_ward
    (ack,) = await send(ward, adt("A01", "C1", patient("A1", bed="12")))
    assert msa(ack)[0] == "AA"
    assert "✅" in await ward.reply(ward.nurse, "/critical 12 病重")
    ward.clock.advance(timedelta(minutes=10))
    (ack,) = await send(ward, adt("A03", "C2", patient("A1", bed="12")))
    assert msa(ack)[0] == "AA"
    feed = ward.runtime.extras["hl7"]
    assert isinstance(feed, HisFeed)
    await feed.settle()
    await ward.emu.settle()
    told = [m.text for m in ward.emu.chat(GROUP_ID).messages if "HIS" in m.text]
    assert told and "12床 张*" in told[-1] and "张三" not in told[-1]
    assert await active(ward) == {}


async def test_one_wards_events_from_two_connections_apply_in_order(hl7_ward: Ward) -> None:
    ward = hl7_ward
    port = _port(ward)
    first = [adt("A01", f"O{i}", patient(f"N{i}", bed=str(i))) for i in range(1, 11)]
    second = [adt("A03", f"D{i}", patient(f"N{i}", bed=str(i))) for i in range(1, 6)]
    await asyncio.to_thread(_send_blocking, port, first)
    answers = await asyncio.gather(
        asyncio.to_thread(_send_blocking, port, second),
        asyncio.to_thread(
            _send_blocking,
            port,
            [adt("A01", f"Q{i}", patient(f"M{i}", bed=str(20 + i))) for i in range(1, 6)],
        ),
    )
    assert all(msa(a)[0] == "AA" for batch in answers for a in batch)
    beds = await active(ward)
    assert sorted(beds, key=int) == ["6", "7", "8", "9", "10", "21", "22", "23", "24", "25"]


async def test_gb18030_message_and_the_mllp_send_command(hl7_ward: Ward, tmp_path: Path) -> None:
    """python-hl7's `mllp_send` command, a separate process, as the hospital's sender."""
    ward = hl7_ward
    command = shutil.which("mllp_send") or str(Path(sys.executable).with_name("mllp_send"))
    messages = tmp_path / "adt.hl7"
    text = "\n".join(
        [
            adt("A01", "F1", patient("G1", "孙^八", bed="7")).replace("\r", "\n"),
            adt("A01", "F2", patient("G2", bed="7")).replace("\r", "\n"),
        ]
    )
    messages.write_text(text, encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        command,
        "--loose",
        "-f",
        str(messages),
        "-p",
        str(_port(ward)),
        "127.0.0.1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err
    acks = [
        hl7.parse(block.strip(b"\x0b\x1c\r\n").decode())
        for block in out.split(b"\x1c\r")
        if block.strip()
    ]
    assert [msa(a)[:2] for a in acks] == [("AA", "F1"), ("AE", "F2")]
    gb = adt("A01", "F3", patient("G3", "周^九", bed="8")).replace(
        "UNICODE UTF-8", "GB 18030-2000"
    )
    (ack,) = await send(ward, gb.encode("gb18030"))
    assert msa(ack)[0] == "AA"
    assert (await active(ward))["8"] == ("周九", "G3")
