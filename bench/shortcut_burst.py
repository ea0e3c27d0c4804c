"""Request → views.open under bursts of 50 simultaneous shortcut presses, beside the ack (SPEC §17).

A real bot process (HTTP mode) gets bursts of signed global shortcuts (`mailcheck.check_modal`) all at
once; each one's trigger_id must reach views.open within Slack's 3 seconds. The time counted is from the
moment the load generator sent the request to the moment the bot's views.open call arrived at the Slack
stand-in (both clocks are the machine's CLOCK_MONOTONIC). Two loads, taking turns round by round:
  alone     50 shortcuts
  beside    50 shortcuts and 50 `/mailcheck EMAIL` in the same instant: the commands' post-ack work
            (enqueue, parent post) runs while the modals open, and views.open must not wait behind it
The stand-in answers every Web API call after `--slack-ms` (the real Slack: 100-300 ms).
Usage: python -m bench.shortcut_burst [--concurrency 50] [--rounds 10] [--slack-ms 150]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import time
from multiprocessing.connection import Connection

from bench.ack_peers import register_idle_worker
from bench.loadgen import signed_request, timed_post
from bench.stack import percentile, running_stack
from tests.standins.slack_requests import (
    interaction_body,
    shortcut_payload,
    slash_command_body,
)

SETTLE_S = 0.1  # connections open before the burst
PAUSE_S = 1.5  # between bursts: the commands' post-ack work ends before the next
LISTEN_BACKLOG = 512
TRIGGER_WINDOW_S = 3.0  # Slack: a trigger_id expires 3 seconds after the interaction
Sample = tuple[str, str, float, float]  # (kind, trigger_id or "", sent at (monotonic), ack seconds)


async def _one(port: int, kind: str, trigger_id: str, body: str, start: asyncio.Event) -> Sample:
    sent, elapsed = await timed_post(port, signed_request(port, body), start)
    return kind, trigger_id, sent, elapsed


async def _burst(port: int, triggers: list[str], commands: int, label: str) -> list[Sample]:
    start = asyncio.Event()
    jobs = [
        ("shortcut", t, interaction_body(shortcut_payload(trigger_id=t, user=f"U0B{i:03d}")))
        for i, t in enumerate(triggers)
    ]
    jobs += [("command", "", slash_command_body(f"{label}.{i}@example.com")) for i in range(commands)]
    random.shuffle(jobs)
    tasks = [asyncio.create_task(_one(port, kind, t, body, start)) for kind, t, body in jobs]
    await asyncio.sleep(SETTLE_S)
    start.set()
    return list(await asyncio.gather(*tasks))


def _generate(port: int, bursts: list[tuple[str, list[str], int]], conn: Connection) -> None:
    """The load generator, a process of its own: it shares no interpreter with the bot or the stand-in."""

    async def run() -> dict[str, list[Sample]]:
        samples: dict[str, list[Sample]] = {}
        for label, triggers, commands in bursts:
            results = await _burst(port, triggers, commands, label)
            if not label.startswith("warmup"):
                samples.setdefault(label.split("-")[0], []).extend(results)
            await asyncio.sleep(PAUSE_S)
        return samples

    conn.send(asyncio.run(run()))


def _figures(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"p50 {percentile(ms, 50):6.1f} ms   p99 {percentile(ms, 99):6.1f} ms   max {max(ms):6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--slack-ms", type=float, default=150.0, help="what each Slack Web API call takes")
    args = parser.parse_args()
    with running_stack(workers=0) as stack:
        slack = stack.slack
        register_idle_worker(stack.settings["REDIS_URL"], stack.settings["MAILCHECK_QUEUE"])
        slack.latency_s = args.slack_ms / 1000
        slack.trigger_ttl_s = 3600.0  # the bench judges the 3 s itself, from the moment it sent
        # The stand-in's http.server listens with a backlog of 5: a burst of 50 views.open connections
        # overflows it and the kernel drops SYNs, retried after 1 s. Slack's front doors do not.
        slack._server.socket.listen(LISTEN_BACKLOG)
        bursts = []
        for round_no in range(args.rounds + 1):
            loads = [("alone", 0), ("beside", args.concurrency)]
            random.shuffle(loads)
            for name, commands in loads:
                label = f"{name}-{round_no}" if round_no else f"warmup{name}"
                bursts.append((label, [slack.issue_trigger() for _ in range(args.concurrency)], commands))
        parent, child = multiprocessing.get_context("spawn").Pipe()
        port = int(stack.bot_url.rsplit(":", 1)[1])
        generator = multiprocessing.get_context("spawn").Process(target=_generate, args=(port, bursts, child))
        generator.start()
        samples: dict[str, list[Sample]] = parent.recv()
        generator.join()
        time.sleep(1.0)  # the last views.open calls land
        used = {t.trigger_id: t.used_at for t in slack.triggers.values()}
        opened = len(slack.calls_of("views.open"))
    _report(args, samples, used, opened)


def _report(
    args: argparse.Namespace, samples: dict[str, list[Sample]], used: dict[str, float | None], opened: int
) -> None:
    print(
        f"bursts of {args.concurrency} simultaneous signed global shortcuts, {args.rounds} rounds after a "
        f"warm-up, Slack stand-in answering in {args.slack_ms:g} ms (load average {os.getloadavg()[0]:.2f}):"
    )
    late = missing = 0
    for name in ("alone", "beside"):
        shortcuts = [s for s in samples[name] if s[0] == "shortcut"]
        to_open = []
        for _, trigger_id, sent, _ack in shortcuts:
            at = used.get(trigger_id)
            if at is None:
                missing += 1
            else:
                to_open.append(at - sent)
        late += sum(1 for value in to_open if value > TRIGGER_WINDOW_S)
        print(f"  {name:<7} request → views.open  {_figures(to_open)}")
        print(f"  {'':<7} ack of the shortcuts   {_figures([s[3] for s in shortcuts])}")
        commands = [s[3] for s in samples[name] if s[0] == "command"]
        if commands:
            print(f"  {'':<7} ack of the commands    {_figures(commands)}")
    total = sum(1 for name in ("alone", "beside") for s in samples[name] if s[0] == "shortcut")
    print(
        f"  {total} shortcuts counted ({opened} views.open calls in all, warm-up included): "
        f"{late} past Slack's 3 s, {missing} never opened"
    )


if __name__ == "__main__":
    main()
