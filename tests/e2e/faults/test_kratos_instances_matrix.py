"""The fault matrix's Kratos part (SPEC §16): each Kratos instance × {down, slow, garbage}, with the
identity in the failing instance or in the other one, through real Kratos and DNS stand-ins behind
fault proxies. Invariants: the report completes; the failing instance is `error` for itself; when it
holds the identity, no verdict is drawn from the other instance's evidence (never "no identity",
"already verified", "no message" or "sent"); when it does not, the report is what a healthy day gives."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.processes import BASE_ZONES
from tests.standins.dns_server import DnsServer
from tests.standins.fault_proxy import TcpFaultProxy
from tests.standins.kratos import KratosStandIn
from workers.checks.diagnostics import run_diagnostics
from workers.core.settings import Settings, load_settings
from workers.report.model import Report, State, Status

DEADLINE_S = 4
SLOW_S = DEADLINE_S + 1  # past every per-instance bound
INSTANCES = ("ciam", "iam")
MODES = ("down", "slow", "garbage")
# What a verdict may never be when the instance holding the identity could not be read.
UNREAD_EVIDENCE = {
    "no_identity",
    "already_verified",
    "no_message",
    "sent",
    "courier_pending",
    "courier_stuck",
}
_ids = itertools.count(1)


@dataclass
class Instance:
    kratos: KratosStandIn
    proxy: TcpFaultProxy

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.proxy.port}"

    @contextlib.contextmanager
    def failing(self, mode: str) -> Iterator[None]:
        if mode == "slow":
            self.kratos.latency = SLOW_S
        elif mode == "garbage":
            self.kratos.garbage = True
        else:
            self.proxy.mode = "down"
        try:
            yield
        finally:
            self.kratos.latency, self.kratos.garbage, self.proxy.mode = 0.0, False, "pass"


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[dict[str, Instance], Settings]]:
    with contextlib.ExitStack() as stack:
        dns = DnsServer(BASE_ZONES).start()
        stack.callback(dns.stop)
        instances = {}
        for name in INSTANCES:
            kratos = stack.enter_context(KratosStandIn(verification_enabled=name == "ciam"))
            proxy = stack.enter_context(TcpFaultProxy(("127.0.0.1", int(kratos.admin_url.rsplit(":", 1)[1]))))
            instances[name] = Instance(kratos, proxy)
        listed = ",".join(f"{n}={i.url}|{i.url}" for n, i in instances.items())
        settings = load_settings(
            {
                "kratos_instances": listed,
                "dns_nameservers": dns.nameserver,
                "dns_timeout": 0.5,
                "report_deadline": DEADLINE_S,
            }
        )
        yield instances, settings
        for instance in instances.values():
            assert instance.kratos.violations == []


def _report(email: str, settings: Settings) -> Report:
    return asyncio.run(run_diagnostics(email, settings, report_id=f"m{next(_ids)}"))


@pytest.mark.parametrize("holder", INSTANCES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("failing", INSTANCES)
def test_a_failing_instance_never_lends_its_place_to_another(
    world: tuple[dict[str, Instance], Settings], failing: str, mode: str, holder: str
) -> None:
    instances, settings = world
    email = f"matrix{next(_ids)}@example.com"
    instances[holder].kratos.add_identity(email, verified=True)
    instances[holder].kratos.add_message(email, status="sent", age_s=120)
    with instances[failing].failing(mode):
        report = _report(email, settings)

    assert report.state == State.COMPLETE and report.elapsed_ms < (DEADLINE_S + 1) * 1000
    for check in ("identity", "courier"):
        per_instance = report.checks[check].details["instances"]
        assert per_instance[failing]["status"] == "error", (check, per_instance[failing])
    if failing == holder:
        assert report.checks["identity"].status == Status.ERROR
        assert f"KRATOS_INSTANCES ({failing} admin URL)" in report.checks["identity"].summary
        assert report.verdict not in UNREAD_EVIDENCE and report.verdict == "unknown"
        assert "resend_recovery" not in report.actions
    else:
        assert report.checks["identity"].status == Status.OK and report.instance == holder
        assert report.checks["courier"].status == Status.OK
        assert report.verdict == "sent"
