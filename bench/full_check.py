"""A full `mailcheck` report in the world of bench/world.py (STARTTLS relay with AUTH, DNS, Kratos,
Resend, each with injected latency) versus its critical-path bound: in a warm process, in a cold
work-horse forked from a warmed worker parent (as RQ runs a job), and end to end through Slack (the
real bot and worker, bench/e2e_slack.py); and as a person at a terminal gets it, a fresh
`mailcheck check --json` process from start to exit. Also checkdmarc's DNS-only pass over the same
domain.

Usage: python -m bench.full_check [--runs 7] [--cli-runs 5] [--e2e-runs 15] [--slack-ms 0] [--day 250]
                                  [--profile FILE]

--day N puts N other emails of the last 24 hours in the Resend account, so that the provider check's
24-hour aggregate (SPEC §15) is a real scan beside the recipient's own; it runs beside the other checks,
and end to end (the worker has the provider answer cache) it is asked once for all the Gmail recipients
of a minute: the summary says how many reports read it from the cache.

--slack-ms gives each Slack Web API call end to end that latency, as the real Slack has (~100-300 ms;
issue 12's world has none); the end-to-end bound then adds one call, the final update, which must
follow the diagnosis (the parent's post may run beside it).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import pickle
import statistics
import subprocess
import sys
import time

import checkdmarc
import dns.nameserver

from bench import world
from bench.e2e_slack import end_to_end, summary
from bench.stack import percentile
from tests.processes import ROOT, mailcheck_env
from workers.checks.diagnostics import preload, run_diagnostics
from workers.core.settings import Settings, load_settings
from workers.jobs import worker  # noqa: F401  # what RQ's worker parent has loaded before it forks
from workers.report.model import Report


def _forked(email: str, settings: Settings, report_id: str, profile: str | None) -> tuple[float, Report]:
    """One report in a work-horse forked from this warmed process, as RQ runs each job: the wall time
    from the fork to the report back in the parent."""
    read, write = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the work-horse
        os.close(read)
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        report = asyncio.run(run_diagnostics(email, settings, report_id=report_id))
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        with os.fdopen(write, "wb") as out:
            pickle.dump(report.to_dict(), out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as source:
        data = pickle.load(source)
    elapsed = time.perf_counter() - started
    os.waitpid(pid, 0)
    return elapsed, Report.from_dict(data)


def _cli(env: dict[str, str], recipients: list[str]) -> tuple[list[float], list[float]]:
    """Wall time of a fresh `mailcheck check --json` process each (interpreter start, imports, the
    report, exit), and the report's own elapsed_ms."""
    walls, reports = [], []
    for email in recipients:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "check", "--json", email],
            env=mailcheck_env(**env),
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        walls.append(time.perf_counter() - started)
        if done.returncode not in (0, 1):  # 1: the report found a problem; it still printed
            raise RuntimeError(f"mailcheck check exited {done.returncode}: {done.stderr.decode()[-500:]}")
        reports.append(json.loads(done.stdout)["elapsed_ms"] / 1000)
    return walls, reports


def _checkdmarc_seconds(port: int) -> float:
    nameserver = dns.nameserver.Do53Nameserver("127.0.0.1", port)
    started = time.perf_counter()
    checkdmarc.check_domains([world.DOMAIN], nameservers=[nameserver], timeout=2.0)
    return time.perf_counter() - started


def _in_process(
    settings: Settings, runs: int, profile: str | None
) -> tuple[list[float], list[float], Report]:
    """Cold work-horses first (a warm run would fill this parent's caches, which RQ's parent never
    does), then warm runs in this process; a new recipient each, as the e2e runs use."""
    preload()  # what `run_worker` does in the worker parent before it forks any work-horse
    gc.freeze()
    colds, walls = [], []
    recipients = iter(world.emails(2 * runs + 1, "inproc"))
    for run in range(runs):
        cold, report = _forked(next(recipients), settings, f"cold{run}", profile if run == 0 else None)
        colds.append(cold)
    for run in range(runs + 1):
        started = time.perf_counter()
        report = asyncio.run(run_diagnostics(next(recipients), settings, report_id=f"bench{run}"))
        if run:  # the first warm run fills this process's caches
            walls.append(time.perf_counter() - started)
    return colds, walls, report


def _aggregate_line(report: Report) -> str:
    """What the provider check's 24-hour aggregate counted in the last in-process report."""
    section = report.checks["provider"].details.get("mailbox_provider") or {}
    if section.get("outcome") != "counted":
        return f"24-h aggregate: not counted ({'; '.join(section.get('notes') or ['no provider section'])})"
    group, other = section["group"]["name"], section["other"]
    return (
        f"24-h aggregate: {group} {section['failed']} of {section['messages']} refused or deferred, "
        f"other mail {other['failed']} of {other['messages']} (in-process runs have no cache: asked each time)"
    )


def _line(name: str, values: list[float], bound: float, note: str) -> str:
    p50, p90 = statistics.median(values) * 1000, percentile(values, 90) * 1000
    return f"  {name:<20} p50 {p50:7.1f} ms  p90 {p90:7.1f} ms   ratio p50 {p50 / bound:.2f}  {note}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cli-runs", type=int, default=5)
    parser.add_argument("--e2e-runs", type=int, default=15)
    parser.add_argument("--slack-ms", type=float, default=0.0)
    parser.add_argument("--day", type=int, default=world.DAY_OF_MAIL, help="other emails of the last 24 h")
    parser.add_argument("--profile", metavar="FILE", help="cProfile one cold work-horse into FILE")
    args = parser.parse_args()
    cli_recipients = world.emails(args.cli_runs, "cli")
    e2e_recipients = world.emails(args.e2e_runs + 2, "e2e")
    recipients = world.emails(2 * args.runs + 1, "inproc") + e2e_recipients + cli_recipients
    with world.served(recipients, args.day) as servers:
        env = world.settings(servers)
        os.environ["SSL_CERT_FILE"] = env["SSL_CERT_FILE"]  # before preload() builds the TLS contexts
        settings = load_settings({key.lower(): value for key, value in env.items() if key != "SSL_CERT_FILE"})
        colds, walls, report = _in_process(settings, args.runs, args.profile)
        cli_walls, cli_reports = _cli(env, cli_recipients) if args.cli_runs else ([], [])
        theirs = statistics.median(_checkdmarc_seconds(servers["dns_port"]) for _ in range(3))
        runs = end_to_end(env, e2e_recipients, slack_ms=args.slack_ms) if args.e2e_runs else []
    replies = world.awaited_replies(report.checks["smtp"].details)
    bound, chains = world.bound_ms(replies, args.day + len(recipients))
    statuses = {name: result.status.value for name, result in report.checks.items()}
    phases = " ".join(f"{p['phase']}={p['ms']}" for p in report.checks["smtp"].details["phases"])
    print(
        f"full report, injected latency DNS {world.DNS_MS} ms/answer, Kratos {world.KRATOS_MS} ms/request, "
        f"SMTP {world.SMTP_MS} ms/reply (STARTTLS + AUTH), provider {world.PROVIDER_MS} ms/request"
    )
    print(f"  checks: {statuses}  verdict: {report.verdict}")
    print(f"  SMTP phases, ms: {phases}")
    print(f"  {_aggregate_line(report)}")
    print(f"  critical path bound  {bound:7.1f} ms  ({chains})")
    print(
        _line(
            "cold work-horse",
            colds,
            bound,
            f"({args.runs} runs; forked from a warmed parent, as RQ runs a job)",
        )
    )
    print(_line("warm process", walls, bound, f"({args.runs} runs)"))
    if cli_walls:
        print(
            _line(
                "mailcheck check",
                cli_walls,
                bound,
                f"({args.cli_runs} fresh processes, start to exit; the report inside: "
                f"p50 {statistics.median(cli_reports) * 1000:.0f} ms)",
            )
        )
    if runs:
        e2e_bound = bound + args.slack_ms
        if args.slack_ms:
            print(f"  end-to-end bound with Slack at {args.slack_ms:g} ms a call: {e2e_bound:.1f} ms")
        print("\n".join(summary(runs, e2e_bound)))
    print("  goal: <= 1.3 x the bound end to end")
    print(
        f"  checkdmarc {checkdmarc.__version__} DNS-only pass of {world.DOMAIN}: {theirs * 1000:7.1f} ms "
        f"(our warm complete report: {statistics.median(walls) * 1000:.1f} ms)"
    )


if __name__ == "__main__":
    main()
