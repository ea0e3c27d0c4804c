"""The `smtp` check names the setting to fix when the relay's answer points at our configuration
(SPEC §5 "Configuration mistakes name the setting"), says goodbye on every failure after the
greeting, and keeps concurrent probes apart. Real aiosmtpd relays on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from tests.standins.smtp_server import (
    Pki,
    RecordingHandler,
    SilentServer,
    SmtpStandin,
    make_pki,
    server_context,
)
from tests.workers.checks.smtp.test_smtp import (
    FAST,
    RECIPIENT,
    SENDER,
    assert_failed,
    assert_sentence,
    phase_names,
    probe,
)
from workers.checks.smtp.check import check_smtp
from workers.checks.smtp.tls import tls_context
from workers.core.smtp_uri import parse_smtp_uri
from workers.report.model import CheckResult, Status

URI = "COURIER_SMTP_CONNECTION_URI"
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path)


# -- relaying denied without credentials ----------------------------------------------------------------


def test_relay_access_denied_with_no_credentials_in_the_uri(pki: Pki) -> None:
    handler = RecordingHandler(rcpt_reply=f"554 5.7.1 <{RECIPIENT}>: Relay access denied")
    with SmtpStandin(pki, handler=handler, auth_required=False) as relay:
        result = probe(relay.uri(user=""), ca_file=pki.ca_file)
    assert_failed(result, phase="rcpt_to", classification="smtp_rejected")
    assert "no username or password" in result.summary and URI in result.summary
    assert result.details["setting"] == URI and result.details["relay"]["authenticates"] is False
    assert relay.handler.commands[-1] == "QUIT"
    assert_sentence(result)


def test_authentication_required_at_mail_from_with_no_credentials_in_the_uri(pki: Pki) -> None:
    with SmtpStandin(pki) as relay:  # AUTH required before MAIL: aiosmtpd answers 530 5.7.0
        result = probe(relay.uri(user=""), ca_file=pki.ca_file)
    assert_failed(result, phase="mail_from", classification="smtp_auth_failed")
    assert "no username or password" in result.summary and result.details["setting"] == URI
    assert_sentence(result)


def test_relay_access_denied_with_credentials_is_not_blamed_on_missing_ones(pki: Pki) -> None:
    handler = RecordingHandler(rcpt_reply=f"554 5.7.1 <{RECIPIENT}>: Relay access denied")
    with SmtpStandin(pki, handler=handler) as relay:
        result = probe(relay.uri(), ca_file=pki.ca_file)
    assert_failed(result, phase="rcpt_to", classification="smtp_rejected")
    assert "no username" not in result.summary and "refused the recipient" in result.summary
    assert_sentence(result)


# -- smtp:// to an implicit-TLS port -----------------------------------------------------------------


def test_smtp_scheme_on_an_implicit_tls_port_suggests_smtps(pki: Pki) -> None:
    with SmtpStandin(pki, mode="implicit") as relay:
        result = probe(relay.uri(scheme="smtp"), ca_file=pki.ca_file, phase_timeout=FAST)
    assert_failed(result, phase="banner", classification="smtp_unreachable")
    assert result.details["answers_tls"] is True and result.details["setting"] == URI
    assert "smtps://" in result.summary and URI in result.summary
    assert_sentence(result)


def test_a_silent_plain_port_is_not_mistaken_for_implicit_tls() -> None:
    with SilentServer() as server:
        result = probe(f"smtp://u:p@127.0.0.1:{server.port}/", phase_timeout=FAST)
    assert_failed(result, phase="banner", classification="smtp_unreachable")
    assert result.details["answers_tls"] is False and result.details["setting"] is None
    assert "smtps://" not in result.summary and "sent no greeting" in result.summary
    assert_sentence(result)


# -- a sender refused at RCPT -------------------------------------------------------------------------


def test_sender_refused_at_rcpt_is_labelled_a_sender_refusal(pki: Pki) -> None:
    reply = f"553 5.7.1 <{SENDER}>: Sender address rejected: not owned by user relay-user"
    with SmtpStandin(pki, handler=RecordingHandler(rcpt_reply=reply)) as relay:
        result = probe(relay.uri(), ca_file=pki.ca_file)
    assert_failed(result, phase="rcpt_to", classification="smtp_rejected")
    assert f"refused the sender {SENDER}" in result.summary
    assert "COURIER_SMTP_FROM_ADDRESS" in result.summary and "recipient" not in result.summary
    assert result.details["setting"] == "COURIER_SMTP_FROM_ADDRESS"
    assert_sentence(result)


def test_recipient_refused_at_rcpt_stays_a_recipient_refusal(pki: Pki) -> None:
    reply = f"550 5.1.1 <{RECIPIENT}>: Recipient address rejected: User unknown"
    with SmtpStandin(pki, handler=RecordingHandler(rcpt_reply=reply)) as relay:
        result = probe(relay.uri(), ca_file=pki.ca_file)
    assert_failed(result, phase="rcpt_to", classification="smtp_rejected")
    assert "refused the recipient" in result.summary and result.details["setting"] is None
    assert_sentence(result)


# -- concurrent probes share the cached TLS context, not each other's state -------------------------


def test_concurrent_probes_each_keep_their_own_handshake(pki: Pki) -> None:
    """A probe whose TLS handshake finishes while another probe runs still sees its own handshake."""
    hold = threading.Event()
    shared = tls_context(parse_smtp_uri("smtps://h:465"), str(pki.ca_file))
    hook = shared.sslobject_class
    with (
        SilentServer(tls=server_context(pki), hold=hold) as stalled,
        SmtpStandin(pki, mode="implicit") as relay,
    ):

        async def both() -> tuple[CheckResult, CheckResult]:
            first = asyncio.create_task(
                _check(f"smtps://u:p@127.0.0.1:{stalled.port}/", pki, phase_timeout=3.0)
            )
            assert await asyncio.to_thread(stalled.hello_seen.wait, 5.0)
            second = await _check(relay.uri(), pki, phase_timeout=2.0)  # its handshake starts and ends now
            hold.set()  # only now may the first probe's handshake finish
            return await first, second

        silent_result, healthy_result = asyncio.run(both())
    assert healthy_result.status is Status.OK, healthy_result.summary
    # The first probe's handshake completed; what it then waited for in vain was the greeting.
    assert phase_names(silent_result) == ["connect", "tls", "banner"], silent_result.details["phases"]
    assert silent_result.details["phases"][1]["ok"] and silent_result.details["failed_phase"] == "banner"
    assert shared.sslobject_class is hook  # nobody rewired the shared context


async def _check(uri: str, pki: Pki, *, phase_timeout: float) -> CheckResult:
    return await check_smtp(
        RECIPIENT,
        relay=parse_smtp_uri(uri),
        from_address=SENDER,
        resolver=None,
        timeout=phase_timeout + 2,
        phase_timeout=phase_timeout,
        ca_file=str(pki.ca_file),
    )
