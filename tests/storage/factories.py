"""Small builders of domain objects for the storage tests."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta, timezone

from boards import services
from boards.hospital import Hospital
from boards.model import Age, Sex, Stay, StayStatus, Ward
from boards.ports import Clock, UnitOfWork

__all__ = ["BIG_CHAT", "BIG_USER", "NOW", "SHANGHAI", "add_ward", "create_ward", "stay"]

NOW = datetime(2025, 3, 9, 1, 30, 15, 123456, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))
# Telegram ids do not fit in 32 bits: group chats are -100xxxxxxxxxx.
BIG_USER = 7_123_456_789
BIG_CHAT = -1_001_234_567_890


async def add_ward(
    uow: UnitOfWork, name: str = "普外科一病区", bed_count: int | None = 40
) -> Ward:
    return await uow.wards.add(
        name=name, timezone="Asia/Shanghai", locale="zh_CN", created_at=NOW, bed_count=bed_count
    )


async def create_ward(
    uow: UnitOfWork,
    clock: Clock,
    actor: services.Actor,
    name: str = "普外科一病区",
    bed_count: int | None = None,
) -> Ward:
    """A ward created through the service, as a head nurse would in a hospital with no
    operators (it audits, and makes `actor` its head)."""
    return await services.create_ward(
        uow,
        clock,
        actor=actor,
        hospital=Hospital(frozenset()),
        name=name,
        timezone="Asia/Shanghai",
        locale="zh_CN",
        bed_count=bed_count,
    )


def stay(ward_id: int, bed: str, *, name: str = "张三", at: datetime = NOW) -> Stay:
    return Stay(
        id=0,
        ward_id=ward_id,
        bed=bed,
        name=name,
        sex=Sex.MALE,
        age=Age(67),
        diagnosis=None,
        level=None,
        admitted_at=at,
        token=secrets.token_urlsafe(16),
        status=StayStatus.ACTIVE,
    )
