"""The one error family services raise: each carries a translatable, user-safe message."""

from __future__ import annotations

from typing import Any

__all__ = ["BadInput", "Conflict", "Forbidden", "NotFound", "WardError"]


class WardError(Exception):
    """A refusal the nurse should read: a catalogue key plus its parameters.

    Handlers turn these into replies; anything else escaping a handler is a bug.
    """

    def __init__(self, key: str, /, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def __repr__(self) -> str:
        # Parameters may hold patient data: keep them out of reprs and logs.
        return f"{type(self).__name__}({self.key!r})"


class BadInput(WardError):
    """The text typed does not have the accepted form."""


class NotFound(WardError):
    """The bed, ward or person named does not exist (or is not visible)."""


class Conflict(WardError):
    """The request clashes with the ward's current state (an occupied bed...)."""


class Forbidden(WardError):
    """The sender may not do this."""
