"""A12 over the wire: a cancelled transfer between two wards brings the patient back to
her own stay, bed and card; the receiving ward's stay is undone."""

from __future__ import annotations

import pytest

from boards.feed import HIS_ACTOR
from bot.emulator import EmuChat
from tests.bot.conftest import Ward
from tests.bot.test_hl7 import active, adt, board, hl7_ward, msa, patient, send

__all__ = ["hl7_ward"]

pytestmark = pytest.mark.filterwarnings("error")

CARDIO_GROUP = -1009002


async def _cardiology(ward: Ward) -> EmuChat:
    """A second ward, 心内科, mapped to 4B, its board pinned in a group of its own."""
    assert "已创建病区" in await ward.reply(ward.head, "/newward 心内科 30")
    assert "4B" in await ward.reply(ward.head, "/hiscode 4B")
    group = ward.emu.add_group(CARDIO_GROUP, "心内科群", members=[ward.head])
    await ward.head.say("/bind 心内科", chat=group)
    return group


async def _pinned(ward: Ward, group: EmuChat) -> str:
    await ward.runtime.publisher.flush()
    await ward.emu.settle()
    (pinned,) = [m for m in group.messages if m.message_id == group.pinned_message_id]
    return pinned.text


async def _stays(ward: Ward, number: str) -> list[tuple[str, str, str]]:
    async with ward.database.uow() as uow:
        names = {w.id: w.name for w in await uow.wards.all()}
        stays = await uow.stays.by_admission(number)
    return sorted((names[s.ward_id], s.bed, s.status.value) for s in stays)


async def test_a_cancelled_transfer_reopens_her_stay_with_its_tags(hl7_ward: Ward) -> None:
    ward = hl7_ward
    cardio = await _cardiology(ward)
    (ack,) = await send(ward, adt("A01", "K1", patient("A1", bed="12")))
    assert msa(ack)[0] == "AA"
    assert "✅" in await ward.reply(ward.nurse, "/tag 12 防跌倒")
    assert "✅" in await ward.reply(ward.nurse, "/note 12 复测血压")
    async with ward.database.uow() as uow:
        (own,) = await uow.stays.active(await ward.ward_id())
    (ack,) = await send(
        ward, adt("A02", "K2", patient("A1", unit="4B", bed="3", prior=("4A", "12")))
    )
    assert msa(ack)[0] == "AA"
    assert "3床 张*" in await _pinned(ward, cardio)
    assert "12床 张*" not in (await board(ward)).split("【", 1)[0]

    # The transfer was a mistake: PV1-3 is her own bed again, PV1-6 where she was sent.
    (ack,) = await send(ward, adt("A12", "K3", patient("A1", bed="12", prior=("4B", "3"))))
    assert msa(ack)[:2] == ("AA", "K3")
    async with ward.database.uow() as uow:
        (back,) = await uow.stays.active(await ward.ward_id())
    assert back.id == own.id and back.bed == "12" and back.transferred_to is None
    card = await ward.reply(ward.nurse, "/card 12")
    assert "张三" in card and "防跌倒" in card and "复测血压" in card
    home = await board(ward)
    assert "12床 张* " in home and "防跌倒" in home
    # Neither board counts a transfer that did not happen.
    assert "转入 0 · 转出 0" in home
    cardio_board = await _pinned(ward, cardio)
    assert "3床 张*" not in cardio_board and "转入 0 · 转出 0" in cardio_board
    assert await _stays(ward, "A1") == [
        ("心内科", "3", "cancelled"),
        ("普外科一病区", "12", "active"),
    ]
    surgery_id, cardio_id = await ward.ward_id(), await ward.ward_id("心内科")
    async with ward.database.uow() as uow:
        entries = await uow.audit.of_ward(surgery_id)
        cardio_entries = await uow.audit.of_ward(cardio_id)
    reopened = next(e for e in entries if e.action == "stay:cancel_transfer_out")
    undone = next(e for e in cardio_entries if e.action == "stay:cancel_transfer_in")
    for entry in (reopened, undone):
        assert entry.actor_id == HIS_ACTOR.user_id and entry.after is not None
        assert entry.after["source"] == "HIS" and entry.after["message"] == "K3"
    # The same A12 again is acknowledged and changes nothing more.
    (ack,) = await send(ward, adt("A12", "K3", patient("A1", bed="12", prior=("4B", "3"))))
    assert msa(ack)[:2] == ("AA", "K3")
    assert await _stays(ward, "A1") == [
        ("心内科", "3", "cancelled"),
        ("普外科一病区", "12", "active"),
    ]


async def test_a_cancelled_transfer_to_a_bed_taken_meanwhile_is_an_error(hl7_ward: Ward) -> None:
    ward = hl7_ward
    cardio = await _cardiology(ward)
    acks = await send(
        ward,
        adt("A01", "L1", patient("A1", bed="12")),
        adt("A02", "L2", patient("A1", unit="4B", bed="3", prior=("4A", "12"))),
    )
    assert [msa(a)[0] for a in acks] == ["AA", "AA"]
    assert "已入院" in await ward.reply(ward.nurse, "/admit 12 李四 女 40 肺炎")
    before = await _pinned(ward, cardio)
    (ack,) = await send(ward, adt("A12", "L3", patient("A1", bed="12", prior=("4B", "3"))))
    code, control, reason = msa(ack)
    assert (code, control) == ("AE", "L3") and "bed 12" in reason
    assert str(ack["ERR.F3.R1.C1"]) == "205"
    # Nothing changed: she is still in cardiology, the ward's bed 12 is 李四's.
    assert await active(ward) == {"12": ("李四", None)}
    assert await _stays(ward, "A1") == [
        ("心内科", "3", "active"),
        ("普外科一病区", "12", "transferred"),
    ]
    assert await _pinned(ward, cardio) == before


async def test_a_cancelled_transfer_out_to_an_unmapped_unit_reopens_the_stay(
    hl7_ward: Ward,
) -> None:
    ward = hl7_ward
    (ack,) = await send(ward, adt("A01", "I1", patient("A1", bed="12")))
    assert msa(ack)[0] == "AA"
    assert "✅" in await ward.reply(ward.nurse, "/tag 12 防跌倒")
    (ack,) = await send(
        ward, adt("A02", "I2", patient("A1", unit="ICU", bed="1", prior=("4A", "12")))
    )
    assert msa(ack)[0] == "AA" and await active(ward) == {}
    # No bed in PV1-3: she goes back to the one she left.
    (ack,) = await send(ward, adt("A12", "I3", patient("A1", bed="", prior=("ICU", "1"))))
    assert msa(ack)[0] == "AA"
    assert await active(ward) == {"12": ("张三", "A1")}
    assert await _stays(ward, "A1") == [("普外科一病区", "12", "active")]
    assert "防跌倒" in await ward.reply(ward.nurse, "/card 12")
    assert "转出 0" in await board(ward)
