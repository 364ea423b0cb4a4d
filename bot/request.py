"""The bot's HTTP requests to the Bot API: JSON bodies, files as multipart (PTB's own).

PTB sends every parameter form-encoded, each value JSON inside a string. A board of 54
beds is some 6 KB of UTF-8, and urllib percent-quotes it byte by byte in Python: 0.3 ms
a board on the CI machine, where one JSON object (a single C call) takes 20-40 us. The
Bot API takes `application/json` as well (not for uploads: those stay PTB's multipart).
Nothing else changes: the same client, pool, timeouts and errors as `HTTPXRequest`.
"""

from __future__ import annotations

import json

import httpx
from telegram._utils.defaultvalue import DefaultValue  # the base class's own annotations
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

__all__ = ["JsonRequest", "json_body"]

_HEADERS = {"Content-Type": "application/json", "User-Agent": HTTPXRequest.USER_AGENT}


def json_body(request_data: RequestData) -> bytes:
    """The parameters as one JSON object, values in their own types (numbers, objects).

    ASCII with escapes: a lone surrogate (JSON can carry one into a typed text) is written
    as `\\udXXX` instead of failing to encode.
    """
    return json.dumps(request_data.parameters, separators=(",", ":")).encode("ascii")


class JsonRequest(HTTPXRequest):
    """`HTTPXRequest` that posts a request without files as JSON."""

    __slots__ = ()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if request_data is None or request_data.contains_files or method != "POST":
            return await super().do_request(
                url,
                method,
                request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
        client = self._client
        if client.is_closed:
            raise RuntimeError("This HTTPXRequest is not initialized!")
        default = client.timeout
        timeout = httpx.Timeout(
            connect=_seconds(connect_timeout, default.connect),
            read=_seconds(read_timeout, default.read),
            write=_seconds(write_timeout, default.write),
            pool=_seconds(pool_timeout, default.pool),
        )
        try:
            response = await client.request(
                "POST", url, content=json_body(request_data), headers=_HEADERS, timeout=timeout
            )
        except httpx.HTTPError as error:
            raise _ptb_error(error) from error
        return response.status_code, response.content


def _seconds(value: ODVInput[float], default: float | None) -> float | None:
    """A timeout the call gave, else the client's (as `HTTPXRequest` chooses them)."""
    return default if isinstance(value, DefaultValue) else value


def _ptb_error(error: httpx.HTTPError) -> Exception:
    """The error `HTTPXRequest` raises for the same failure (the bot's retries expect it)."""
    if isinstance(error, httpx.PoolTimeout):
        return TimedOut(
            "Pool timeout: All connections in the connection pool are occupied. "
            "Request was *not* sent to Telegram."
        )
    if isinstance(error, httpx.TimeoutException):
        return TimedOut()
    return NetworkError(f"httpx.{error.__class__.__name__}: {error}")
