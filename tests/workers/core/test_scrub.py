"""Scrubbing what we did not write: known secrets, secret-shaped strings, links and codes."""

from __future__ import annotations

import logging

from workers.core.scrub import SelfServiceUrlFilter, credentials_scrubber, last_lines, scrub, settings_secrets
from workers.core.settings import load_settings
from workers.core.smtp_uri import parse_smtp_uri

SMTP_PASSWORD = "p@ss w0rd/with:odd"
SMTP_URI = "smtp://mailer:p%40ss%20w0rd%2Fwith%3Aodd@smtp.example.com:587/"


def test_known_secrets_are_removed_also_url_encoded() -> None:
    settings = load_settings(
        {
            "slack_bot_token": "xoxb-1-2-abcdef",
            "mail_provider_api_key": "unusual-key-shape-42",
            "courier_smtp_connection_uri": SMTP_URI,
        }
    )
    secrets = settings_secrets(settings)
    text = f"key=unusual-key-shape-42 uri {SMTP_URI} pw {SMTP_PASSWORD} enc p%40ss%20w0rd%2Fwith%3Aodd"
    cleaned = scrub(text, secrets)
    for leak in ("unusual-key-shape-42", SMTP_PASSWORD, "p%40ss", "xoxb-1-2-abcdef"):
        assert leak not in cleaned
    assert "[secret]" in cleaned


def test_secret_shapes_links_and_codes_are_removed() -> None:
    text = (
        "token xoxb-999-888-zzz and xapp-1-A0-123\n"
        "Authorization: Bearer abc.def.ghi\n"
        "password=hunter2 api_key: re_abcdefgh12345\n"
        "open https://kratos.example/self-service/verification?code=123456&flow=f1 now\n"
        "relay smtp://user:pw@relay.example:465\n"
        "your code is 493021\n"
        "container prod_ciam-kratos_1 restarted in 2.5 s, exit code 0"
    )
    cleaned = scrub(text)
    for leak in (
        "xoxb-999",
        "xapp-1",
        "abc.def.ghi",
        "hunter2",
        "re_abcdefgh",
        "123456",
        "user:pw",
        "493021",
        "flow=f1",
    ):
        assert leak not in cleaned, leak
    assert "container prod_ciam-kratos_1 restarted in 2.5 s, exit code 0" in cleaned


def test_last_lines_keeps_whole_lines_from_the_end_within_the_limit() -> None:
    text = "\n".join(f"line {i:03d} " + "x" * 40 for i in range(100))
    tail = last_lines(text, 500)
    assert len(tail) <= 500
    assert tail.endswith("line 099 " + "x" * 40)
    assert all(line.startswith("line ") for line in tail.splitlines())
    assert last_lines("y" * 900, 500) == "y" * 500
    assert last_lines("\n\n", 500) == ""


def test_self_service_urls_lose_their_query_in_logs(caplog) -> None:
    logger = logging.getLogger("tests.scrub.httpx")
    logger.addFilter(SelfServiceUrlFilter())
    with caplog.at_level(logging.INFO, logger="tests.scrub.httpx"):
        logger.info("HTTP Request: %s %s", "POST", "http://k/self-service/recovery?flow=abc-123")
        logger.info("HTTP Request: %s %s", "GET", "http://k/admin/courier/messages?page_size=100")
    assert "flow=abc-123" not in caplog.text
    assert "/self-service/recovery?[redacted]" in caplog.text
    assert "page_size=100" in caplog.text


def _credentials(uri: str) -> tuple[str, str]:
    relay = parse_smtp_uri(uri)
    return relay.username or "", relay.password.get_secret_value() if relay.password else ""


def test_scrubber_removes_credentials_and_their_base64_forms() -> None:
    scrub = credentials_scrubber(*_credentials("smtp://apikey:SG.abcdefgh12345@smtp.sendgrid.net:587"))
    # PLAIN's blob for these credentials, and LOGIN's base64 of the password:
    assert scrub("535 bad AGFwaWtleQBTRy5hYmNkZWZnaDEyMzQ1") == "535 bad [redacted]"
    assert "SG.abcdefgh12345" not in scrub("535 rejected SG.abcdefgh12345")
    assert scrub("535 U0cuYWJjZGVmZ2gxMjM0NQ== invalid") == "535 [redacted]== invalid"
    assert scrub("535 for apikey") == "535 for [redacted]"


def test_scrubber_leaves_words_that_merely_contain_a_short_credential() -> None:
    scrub = credentials_scrubber(*_credentials("smtp://u:test@h:587"))
    assert scrub("connection refused; test failed") == "connection refused; [redacted] failed"
    assert scrub("the latest attempt") == "the latest attempt"
