"""The head nurse maps her ward to the hospital system's point-of-care code (`/hiscode`)."""

from __future__ import annotations

import re

from boards.access import Actor, record_audit, require_head
from boards.errors import BadInput, Conflict
from boards.model import Ward
from boards.ports import Clock, UnitOfWork
from boards.text import clean_text, excerpt

__all__ = ["MAX_CODE", "parse_his_code", "set_his_code"]

MAX_CODE = 32
# What hospital systems use for a point of care: letters, digits, - _ . / (4A, ICU-2, 0412).
_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z_./-]*")
_OFF = {"off", "关", "关闭", "取消", "none"}


def parse_his_code(text: str) -> str | None:
    """A code as typed, or None for `off`; refused when not a plain code."""
    code = clean_text(text)
    if code.lower() in _OFF:
        return None
    if not _CODE.fullmatch(code) or len(code) > MAX_CODE:
        raise BadInput("err.his_code_form", code=excerpt(code, MAX_CODE))
    return code


async def set_his_code(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, code: str | None
) -> Ward:
    """Map (or unmap, `code` None) the ward; a code another ward holds is refused."""
    await require_head(uow, ward.id, actor.user_id)
    if code == ward.his_code:
        raise Conflict("err.unchanged")
    if code is not None:
        other = await uow.wards.by_his_code(code)
        if other is not None and other.id != ward.id:
            raise Conflict("err.his_code_taken", code=code)
    mapped = await uow.wards.set_his_code(ward.id, code)
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "ward:his_code",
        code or "-",
        before={"his_code": ward.his_code},
        after={"his_code": code},
    )
    return mapped
