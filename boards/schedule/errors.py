"""Schedule errors: a request that cannot be met, a ward policy that does not hold."""

from __future__ import annotations

from boards.errors import BadInput


class ScheduleError(ValueError):
    """A schedule request that cannot be met; ``key`` names the catalogue message."""

    def __init__(self, key: str, **params: str | int) -> None:
        super().__init__(key)
        self.key = key
        self.params: dict[str, str | int] = dict(params)

    def __repr__(self) -> str:
        # As boards.errors.WardError: parameters stay out of reprs and logs.
        return f"{type(self).__name__}({self.key!r})"


class PolicyError(ScheduleError, BadInput):
    """A ward policy that is malformed or inconsistent; nothing was changed.

    Also a BadInput: a head nurse's policy that does not hold together is refused with
    its catalogue key like any other bad input, wherever it is built.
    """
