"""A full `mailcheck` report against local servers with injected latency, versus its critical path
and versus checkdmarc's DNS-only pass over the same sender domain and DNS server.

Latency: DNS 20 ms per query, Kratos 30 ms per request, SMTP 50 ms per server reply.
Usage: python -m bench.full_check [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import logging
import multiprocessing
import os
import pickle
import statistics
import tempfile
import time
import warnings
from multiprocessing.connection import Connection
from pathlib import Path

import checkdmarc
import dns.nameserver

from bench.delay_proxy import DelayProxy
from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from tests.standins.mail_dns import sender_zones
from tests.standins.smtp_server import SmtpStandin, make_pki
from workers.checks.diagnostics import preload, run_diagnostics
from workers.core.settings import Settings, load_settings
from workers.jobs import worker  # noqa: F401  # what RQ's worker parent has loaded before it forks
from workers.report.model import Report

DNS_MS, KRATOS_MS, SMTP_MS = 20, 30, 50
DOMAIN = "acme.test"
EMAIL = "bench@gmail.com"
# Sequential round trips on the Kratos and DNS chains of this scenario (the SMTP chain is counted live):
KRATOS_CHAIN = 2  # courier: list one page, then the newest messages' details (fetched concurrently)
DNS_CHAIN = 2  # SPF: TXT send.acme.test, then TXT amazonses.com from its include (DKIM, DMARC, MX alongside)


def _settings(servers: dict[str, object]) -> dict[str, object]:
    return {
        "kratos_admin_url": servers["kratos"],
        "dns_nameservers": servers["dns"],
        "dns_timeout": 2.0,
        "courier_smtp_connection_uri": f"smtp://relay-user:relay-secret@127.0.0.1:{servers['smtp']}/?disable_starttls=true",
        "courier_smtp_from_address": f"noreply@{DOMAIN}",
        "mail_provider": "resend",
        "dnsbl_zones": "zen.spamhaus.org,bl.spamcop.net",
        "dnsbl_domain_zones": "dbl.spamhaus.org",
        "report_deadline": 10,
    }


def _serve(conn: Connection) -> None:
    """The local servers, in their own process so they do not share our interpreter's GIL."""
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    zones = {**sender_zones("resend", DOMAIN), "gmail.com": {"MX": ["5 gmail-smtp-in.l.google.com."]}}
    with (
        DnsServer(zones) as dns_server,
        KratosStandIn() as kratos,
        SmtpStandin(make_pki(Path(tempfile.mkdtemp())), mode="plain") as relay,
        DelayProxy(relay.port, SMTP_MS / 1000) as proxy,
    ):
        kratos.add_identity(EMAIL)
        kratos.add_message(EMAIL, status="sent", age_s=60)
        dns_server.latency, kratos.latency = DNS_MS / 1000, KRATOS_MS / 1000
        conn.send(
            {
                "dns": dns_server.nameserver,
                "dns_port": dns_server.port,
                "kratos": kratos.admin_url,
                "smtp": proxy.port,
            }
        )
        conn.recv()  # until the bench is done


def _awaited_replies(details: dict[str, object]) -> int:
    """Server replies the probe waited for: every phase after connecting, but the pipelined goodbye."""
    phases = details.get("phases") or []
    assert isinstance(phases, list)
    return sum(1 for phase in phases if phase["phase"] not in ("resolve", "connect", "rset_quit"))


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


def _checkdmarc_seconds(port: int) -> float:
    nameserver = dns.nameserver.Do53Nameserver("127.0.0.1", port)
    started = time.perf_counter()
    checkdmarc.check_domains([DOMAIN], nameservers=[nameserver], timeout=2.0)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--profile", metavar="FILE", help="cProfile one cold work-horse into FILE")
    args = parser.parse_args()
    parent, child = multiprocessing.Pipe()
    server_process = multiprocessing.Process(target=_serve, args=(child,), daemon=True)
    server_process.start()
    try:
        servers = parent.recv()
        settings = load_settings(_settings(servers))
        walls: list[float] = []
        colds: list[float] = []
        replies: list[int] = []
        preload()  # what `run_worker` does in the worker parent before it forks any work-horse
        gc.freeze()
        # Every cold run first: a warm run would fill this parent's caches, which RQ's parent never does.
        for run in range(args.runs):
            cold, report = _forked(EMAIL, settings, f"cold{run}", args.profile if run == 0 else None)
            colds.append(cold)
            replies.append(_awaited_replies(report.checks["smtp"].details))
        for run in range(args.runs + 1):
            started = time.perf_counter()
            report = asyncio.run(run_diagnostics(EMAIL, settings, report_id=f"bench{run}"))
            if run:  # the first warm run fills this process's caches
                walls.append(time.perf_counter() - started)
        theirs = statistics.median(_checkdmarc_seconds(servers["dns_port"]) for _ in range(3))
    finally:
        parent.send("stop")
        server_process.join(10)
    statuses = {name: result.status.value for name, result in report.checks.items()}
    phases = " ".join(f"{p['phase']}={p['ms']}" for p in report.checks["smtp"].details["phases"])
    ours, cold = statistics.median(walls), statistics.median(colds)
    bound = max(max(replies) * SMTP_MS, KRATOS_CHAIN * KRATOS_MS, DNS_CHAIN * DNS_MS) / 1000
    print(
        f"full report ({args.runs} runs, median), injected latency DNS {DNS_MS} ms/query, "
        f"Kratos {KRATOS_MS} ms/request, SMTP {SMTP_MS} ms/reply"
    )
    print(f"  checks: {statuses}  verdict: {report.verdict}")
    print(
        f"  cold work-horse      {cold * 1000:7.1f} ms   (forked from a warmed worker parent, as RQ runs a job)"
    )
    print(f"  warm process         {ours * 1000:7.1f} ms   (SMTP phases, ms: {phases})")
    print(
        f"  critical path bound  {bound * 1000:7.1f} ms  (SMTP {max(replies)} awaited replies x {SMTP_MS} ms; "
        f"Kratos {KRATOS_CHAIN} x {KRATOS_MS} ms; DNS {DNS_CHAIN} x {DNS_MS} ms)"
    )
    print(
        f"  ratio cold / bound   {cold / bound:7.2f}     ratio warm / bound {ours / bound:.2f}   (goal <= 1.3)"
    )
    print(
        f"  checkdmarc {checkdmarc.__version__} DNS-only pass of {DOMAIN}: {theirs * 1000:7.1f} ms "
        f"(our complete report is {'faster' if ours < theirs else 'slower'})"
    )


if __name__ == "__main__":
    main()
