"""MLLP framing over asyncio: one block in, one acknowledgement out, per connection in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.logsafe import log_failure

__all__ = ["END_BLOCK", "START_BLOCK", "MllpServer", "frame", "parse_listen"]

log = logging.getLogger(__name__)

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\x0d"
# No ADT message comes near this; a sender that never closes a block is cut off here.
MAX_MESSAGE = 1 << 20

Handler = Callable[[bytes], Awaitable[bytes]]


def frame(payload: bytes) -> bytes:
    return START_BLOCK + payload + END_BLOCK


def parse_listen(value: str) -> tuple[str, int]:
    """`host:port` (`[::1]:2575` for IPv6) as WARDBOARD_HL7_LISTEN gives it."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("WARDBOARD_HL7_LISTEN must be host:port")
    return host.strip("[]") or "127.0.0.1", int(port)


class MllpServer:
    """Accepts MLLP connections; each block is handed to `handler`, its answer framed back.

    One connection's messages are handled one after another (the sender waits for each
    ACK anyway); the handler orders messages of one ward across connections.
    """

    def __init__(self, handler: Handler, host: str, port: int) -> None:
        self._handler = handler
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None and self._server.sockets
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, self._host, self._port, limit=MAX_MESSAGE
        )

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                try:
                    block = await reader.readuntil(END_BLOCK)
                except asyncio.IncompleteReadError:
                    break  # the sender closed the connection (between blocks, or mid-block)
                except asyncio.LimitOverrunError:
                    log.warning("HL7: a block over %d bytes, connection closed", MAX_MESSAGE)
                    break
                start = block.find(START_BLOCK)
                payload = block[start + 1 if start >= 0 else 0 : -len(END_BLOCK)]
                answer = await self._handler(payload)
                writer.write(frame(answer))
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        except Exception as exc:  # one bad connection must not stop the feed
            log_failure(log, "HL7 connection failed", error=exc)
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
