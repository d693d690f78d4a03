"""The real app served by uvicorn on an ephemeral loopback port, in this event loop."""

from __future__ import annotations

import asyncio
import socket
from types import TracebackType

import uvicorn

from bot.app import Runtime
from bot.server import HindsightASGI

# The task in which Bolt finishes a listener after its ack (slack_bolt's asyncio runner).
BOLT_LISTENER_TASK = "run_ack_function_asynchronously"


class Served:
    """`async with Served(runtime) as url:` the bot answers at `url` + /slack/events."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            HindsightASGI(runtime), lifespan="on", log_config=None, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> str:
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        while not self.server.started:
            if self.task.done():
                self.task.result()  # surface the start-up error
            await asyncio.sleep(0.005)
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/slack/events"

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task
        self.sock.close()


async def idle(timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Until every listener still running after its ack has returned: all the bot was going to
    send for the last request has been sent."""
    running = [
        task
        for task in asyncio.all_tasks()
        if BOLT_LISTENER_TASK in getattr(task.get_coro(), "__qualname__", "")
    ]
    if running:
        await asyncio.wait(running, timeout=timeout)
