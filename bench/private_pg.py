"""A private PostgreSQL cluster for a benchmark that restarts its server (the machine's own on
5432 is shared and never touched): initdb in a temporary folder, a free port, trust auth.

    async with PrivatePostgres() as pg:
        pg.root            # postgresql+asyncpg://postgres@127.0.0.1:PORT
        await pg.restart("fast")   # or "immediate": no shutdown checkpoint, clients cut off

Run as root (the cluster runs as the postgres user) or as postgres.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

BIN = Path("/usr/lib/postgresql/15/bin")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivatePostgres:
    """One throwaway cluster: started on enter, stopped and deleted on exit."""

    def __init__(self, bin_dir: Path = BIN) -> None:
        self.bin = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="wardboard-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        # Seconds each restart kept the server away (stop begun to accepting again).
        self.downtimes: list[float] = []

    @property
    def root(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}"

    async def _run(self, *args: str) -> None:
        command = [str(a) for a in args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        out, _ = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {out.decode(errors='replace')[-800:]}")

    async def _ctl(self, *args: str) -> None:
        await self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), *args)

    async def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=200"
        )
        log = str(self.folder / "server.log")
        await self._ctl("-o", options, "-l", log, "-w", "start")

    async def stop(self, mode: str = "fast") -> None:
        await self._ctl("-m", mode, "-w", "stop")

    async def restart(self, mode: str, down: float = 0.0) -> float:
        """Stop (`fast`: clients disconnected, a clean shutdown; `immediate`: killed, crash
        recovery at start), stay down `down` seconds, start again; returns the seconds the
        server was away."""
        began = time.monotonic()
        await self.stop(mode)
        await asyncio.sleep(down)
        await self.start()
        away = time.monotonic() - began
        self.downtimes.append(away)
        return away

    async def __aenter__(self) -> Self:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        await self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"
        )
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await self.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
