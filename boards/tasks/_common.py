"""Helpers the task modules share: free text checked for length, the ward's stored policy."""

from __future__ import annotations

from boards.ports import UnitOfWork
from boards.schedule import WardPolicy, default_ward_policy

__all__ = ["policy_of"]


async def policy_of(uow: UnitOfWork, ward_id: int) -> WardPolicy:
    document = await uow.policies.get(ward_id)
    return default_ward_policy() if document is None else WardPolicy.from_dict(document)
