"""Hospital identifiers: stays by admission number, wards by HIS code, HL7 messages once."""

from __future__ import annotations

import dataclasses

import pytest

from boards.errors import Conflict
from boards.model import HisMessage, StayStatus
from storage import Database
from tests.storage.factories import NOW, add_ward, stay

__all__: list[str] = []


async def test_a_stay_is_found_by_admission_number_in_its_ward(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        other = await add_ward(uow, "骨科")
        first = await uow.stays.add(
            dataclasses.replace(stay(ward.id, "1"), admission_no="A123", visit_no="V1")
        )
        await uow.stays.add(dataclasses.replace(stay(ward.id, "2"), admission_no=None))
        await uow.commit()
    async with database.uow() as uow:
        found = await uow.stays.active_by_admission(ward.id, "A123")
        assert found == first and found.visit_no == "V1"
        assert await uow.stays.active_by_admission(other.id, "A123") is None
        assert await uow.stays.active_by_admission(ward.id, "B9") is None
        assert [s.id for s in await uow.stays.by_admission("A123")] == [first.id]


async def test_an_admission_number_names_one_active_stay_of_a_ward(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        other = await add_ward(uow, "骨科")
        old = await uow.stays.add(dataclasses.replace(stay(ward.id, "1"), admission_no="A1"))
        await uow.stays.update(
            dataclasses.replace(old, status=StayStatus.DISCHARGED, ended_at=NOW)
        )
        # Ended stays and other wards do not count; stays without a number never collide.
        await uow.stays.add(dataclasses.replace(stay(ward.id, "2"), admission_no="A1"))
        await uow.stays.add(dataclasses.replace(stay(other.id, "2"), admission_no="A1"))
        await uow.stays.add(stay(ward.id, "3"))
        await uow.stays.add(stay(ward.id, "4"))
        await uow.commit()
    async with database.uow() as uow:
        with pytest.raises(Conflict):
            await uow.stays.add(dataclasses.replace(stay(ward.id, "5"), admission_no="A1"))
    async with database.uow() as uow:
        assert len(await uow.stays.by_admission("A1")) == 3


async def test_a_ward_is_found_by_its_his_code_which_is_unique(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        other = await add_ward(uow, "骨科")
        mapped = await uow.wards.set_his_code(ward.id, "4A")
        assert mapped.his_code == "4A"
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.wards.by_his_code("4A") == mapped
        assert await uow.wards.by_his_code("5B") is None
        with pytest.raises(Conflict):
            await uow.wards.set_his_code(other.id, "4A")
    async with database.uow() as uow:
        cleared = await uow.wards.set_his_code(ward.id, None)
        assert cleared.his_code is None
        await uow.commit()


async def test_a_his_message_is_recorded_once(database: Database) -> None:
    async with database.uow() as uow:
        ward = await add_ward(uow)
        message = HisMessage("MSG0001", ward.id, NOW, "A01", "AA")
        saved = await uow.his_messages.add(message)
        await uow.his_messages.add(HisMessage("MSG0002", None, NOW, "A01", "AR", "未知病区 9Z"))
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.his_messages.get("MSG0001") == saved == message
        refused = await uow.his_messages.get("MSG0002")
        assert (
            refused is not None and refused.ack_text == "未知病区 9Z" and refused.ward_id is None
        )
        assert await uow.his_messages.get("nope") is None
        with pytest.raises(Conflict):
            await uow.his_messages.add(message)
