"""Helpers shared by the SSE tests (a plain module: pytest puts this directory on sys.path)."""

from __future__ import annotations

import asyncio
import re
from typing import Any


def parse_stream(raw: bytes) -> list[dict[str, Any]]:
    """A small EventSource-style parser (WHATWG rules) to check what a browser would see."""
    events: list[dict[str, Any]] = []
    data: list[str] = []
    current: dict[str, Any] = {}
    for line in re.split(r'\r\n|\r|\n', raw.decode('utf-8')):
        if line == '':
            if data or current:
                event = dict(current)
                if data:
                    event['data'] = '\n'.join(data)
                events.append(event)
            data, current = [], {}
            continue
        if line.startswith(':'):
            current.setdefault('comments', []).append(line[1:].removeprefix(' '))
            continue
        name, _, value = line.partition(':')
        value = value.removeprefix(' ')
        if name == 'data':
            data.append(value)
        elif name in ('event', 'id', 'retry'):
            current[name] = value
        else:
            current.setdefault('unknown', []).append(name)
    return events


class FakeASGIClient:
    """ASGI ``send``/``receive`` doubles: records what is sent, disconnects on demand."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.gone = asyncio.Event()
        self.new_message = asyncio.Event()

    async def send(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        self.new_message.set()

    async def receive(self) -> dict[str, Any]:
        await self.gone.wait()
        return {'type': 'http.disconnect'}

    def disconnect(self) -> None:
        self.gone.set()

    @property
    def body(self) -> bytes:
        return b''.join(m.get('body', b'') for m in self.messages)

    @property
    def chunks(self) -> list[bytes]:
        return [m['body'] for m in self.messages if m.get('more_body')]

    @property
    def completed(self) -> bool:
        return bool(self.messages) and self.messages[-1].get('more_body') is False

    async def wait_for_chunks(self, count: int, timeout: float = 2.0) -> None:
        async def _wait() -> None:
            while len(self.chunks) < count:
                self.new_message.clear()
                await self.new_message.wait()

        await asyncio.wait_for(_wait(), timeout)
