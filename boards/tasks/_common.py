"""Helpers the task modules share: free text checked for length, the ward's stored policy."""

from __future__ import annotations

from boards.errors import BadInput
from boards.ports import UnitOfWork
from boards.schedule import WardPolicy, default_ward_policy
from boards.text import clean_text

__all__ = ["clean_field", "policy_of"]


def clean_field(text: str | None, *, limit: int) -> str | None:
    """Cleaned (boards.text, without NFKC: 10⁹/L keeps its meaning); None for nothing;
    BadInput past `limit` characters."""
    if text is None:
        return None
    clean = clean_text(text, nfkc=False)
    if not clean:
        return None
    if len(clean) > limit:
        raise BadInput("err.too_long", limit=limit)
    return clean


async def policy_of(uow: UnitOfWork, ward_id: int) -> WardPolicy:
    document = await uow.policies.get(ward_id)
    return default_ward_policy() if document is None else WardPolicy.from_dict(document)
