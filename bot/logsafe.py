"""Logging a failure without patient data: the exception's type and stack, never its text."""

from __future__ import annotations

import logging
import sys
import traceback

__all__ = ["log_failure"]


def log_failure(
    logger: logging.Logger, what: str, *args: object, error: BaseException | None = None
) -> None:
    """Log `what` with the failure's type and stack.

    Exception messages can quote SQL parameters or message texts (names, diagnoses), so
    they are left out; the stack still says where it failed.
    """
    failure = error if error is not None else sys.exc_info()[1]
    if failure is None:
        logger.error(what, *args)
        return
    stack = "".join(traceback.format_tb(failure.__traceback__))
    logger.error(f"{what}: {type(failure).__name__}\n%s", *args, stack)
