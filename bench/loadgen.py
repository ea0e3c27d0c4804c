"""One load generator for every server a bench compares: bursts of simultaneous signed slash commands.

Each burst opens its connections first (not timed), then sends every request at once over asyncio
streams, so a burst costs the generator almost nothing and every server meets the same load. Targets
take turns burst by burst, in a shuffled order each round, so that a change in the machine's load
falls on all of them alike.
"""

from __future__ import annotations

import asyncio
import random
import time

from tests.standins.slack_requests import signed_headers, slash_command_body

SETTLE_S = 0.1  # after connecting, so that the server has accepted every connection before the burst


def signed_request(port: int, body: str) -> bytes:
    """A signed `POST /slack/events` with `body`, as raw HTTP/1.1 bytes."""
    headers = {**signed_headers(body), "Host": f"127.0.0.1:{port}", "Content-Length": str(len(body.encode()))}
    head = "".join(f"{key}: {value}\r\n" for key, value in headers.items())
    return f"POST /slack/events HTTP/1.1\r\n{head}\r\n{body}".encode()


async def timed_post(port: int, request: bytes, start: asyncio.Event) -> tuple[float, float]:
    """Connect, wait for `start`, send `request` and read the whole answer: (when it was sent on the
    monotonic clock, seconds until the answer was read). Anything but 200 is an error."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        await start.wait()
        sent = time.monotonic()
        writer.write(request)
        status = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        elapsed = time.monotonic() - sent
    finally:
        writer.close()
    if b" 200 " not in status:
        raise RuntimeError(f"port {port}: {status!r}")
    return sent, elapsed


async def _one(port: int, request: bytes, start: asyncio.Event) -> float:
    return (await timed_post(port, request, start))[1]


async def burst(port: int, texts: list[str]) -> list[float]:
    start = asyncio.Event()
    tasks = [
        asyncio.create_task(_one(port, signed_request(port, slash_command_body(t)), start)) for t in texts
    ]
    await asyncio.sleep(SETTLE_S)
    start.set()
    return list(await asyncio.gather(*tasks))


async def interleaved(
    targets: dict[str, int], *, concurrency: int, rounds: int, pause_s: float
) -> dict[str, list[float]]:
    """Latencies (seconds) per target; the first round warms every target up and is not counted."""
    latencies: dict[str, list[float]] = {name: [] for name in targets}
    names = list(targets)
    for round_no in range(rounds + 1):
        random.shuffle(names)
        for name in names:
            texts = [f"{name}{round_no}.{i}@example.com" for i in range(concurrency)]
            results = await burst(targets[name], texts)
            if round_no:
                latencies[name].extend(results)
            await asyncio.sleep(pause_s)  # what a burst started after its ack finishes before the next
    return latencies
