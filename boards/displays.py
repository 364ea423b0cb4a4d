"""The ward's station screen: its secret link (given, rotated, revoked) and its names setting.

A link's token is derived from a random seed with the server's secret (HMAC-SHA256), so the
bot can give the same link again while the database holds only the seed and the token's
SHA-256: a copy of the database alone opens no screen. A token is looked up by its hash and
then compared in constant time.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import secrets
from datetime import datetime

from boards.access import Actor, record_audit, require_head
from boards.model import Ward, WardDisplay
from boards.ports import Clock, UnitOfWork

__all__ = [
    "SEED_BYTES",
    "display_link",
    "display_names",
    "display_token",
    "open_display",
    "revoke_display",
    "token_hash",
]

SEED_BYTES = 16  # 128 random bits per link; the token itself carries 256
_CONTEXT = b"wardboard-display-v1:"


def display_token(secret: bytes, seed: str) -> str:
    """The link's token for `seed`: 43 URL-safe characters."""
    digest = hmac.new(secret, _CONTEXT + seed.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _settings(ward: Ward, current: WardDisplay | None, actor: Actor, now: datetime) -> WardDisplay:
    if current is not None:
        return current
    return WardDisplay(
        ward_id=ward.id,
        seed=None,
        token_hash=None,
        names_full=False,
        rotated_at=None,
        updated_at=now,
        updated_by=actor.user_id,
    )


async def display_link(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, secret: bytes, new: bool
) -> tuple[str, WardDisplay, bool]:
    """The screen's token (a new one when `new` or none exists) and whether it changed."""
    await require_head(uow, ward.id, actor.user_id)
    now = clock.now()
    current = _settings(ward, await uow.displays.get(ward.id), actor, now)
    if current.seed is not None and not new:
        token = display_token(secret, current.seed)
        if hmac.compare_digest(token_hash(token), current.token_hash or ""):
            return token, current, False
        # The server's secret changed (a new bot token): the old link no longer opens, so
        # the new one is recorded and given; audited like a rotation.
    seed = secrets.token_urlsafe(SEED_BYTES)
    token = display_token(secret, seed)
    updated = dataclasses.replace(
        current,
        seed=seed,
        token_hash=token_hash(token),
        rotated_at=now,
        updated_at=now,
        updated_by=actor.user_id,
    )
    await uow.displays.put(updated)
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "display:rotate" if current.seed is not None else "display:create",
        f"ward:{ward.id}",
        before={"active": current.seed is not None},
        after={"active": True},
    )
    return token, updated, True


async def revoke_display(uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward) -> bool:
    """Stop the screen link at once; False when there was none."""
    await require_head(uow, ward.id, actor.user_id)
    current = await uow.displays.get(ward.id)
    if current is None or current.seed is None:
        return False
    now = clock.now()
    await uow.displays.put(
        dataclasses.replace(
            current, seed=None, token_hash=None, updated_at=now, updated_by=actor.user_id
        )
    )
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "display:revoke",
        f"ward:{ward.id}",
        before={"active": True},
        after={"active": False},
    )
    return True


async def display_names(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, full: bool
) -> WardDisplay:
    """Full names on the screen (one facing no visitors) or masked ones (the default)."""
    await require_head(uow, ward.id, actor.user_id)
    now = clock.now()
    current = _settings(ward, await uow.displays.get(ward.id), actor, now)
    updated = dataclasses.replace(
        current, names_full=full, updated_at=now, updated_by=actor.user_id
    )
    await uow.displays.put(updated)
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "display:names",
        f"ward:{ward.id}",
        before={"names_full": current.names_full},
        after={"names_full": full},
    )
    return updated


async def open_display(
    uow: UnitOfWork, *, token: str, secret: bytes
) -> tuple[Ward, WardDisplay] | None:
    """The ward a screen token opens, or None for a wrong, rotated or revoked one."""
    if not 20 <= len(token) <= 64:
        return None
    display = await uow.displays.by_token_hash(token_hash(token))
    if display is None or display.seed is None:
        return None
    if not hmac.compare_digest(display_token(secret, display.seed), token):
        return None
    ward = await uow.wards.get(display.ward_id)
    return None if ward is None else (ward, display)
