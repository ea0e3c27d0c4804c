from __future__ import annotations

import pytest

from workers.core.smtp_uri import parse_smtp_uri


def test_smtps_is_implicit_tls_with_verification() -> None:
    relay = parse_smtp_uri("smtps://resend:re_xxx@smtp.resend.com:465/?skip_ssl_verify=false")
    assert (relay.host, relay.port, relay.mode) == ("smtp.resend.com", 465, "implicit_tls")
    assert relay.implicit_tls and not relay.starttls
    assert relay.verify_certificate and relay.tls_server_name == "smtp.resend.com"
    assert relay.username == "resend"
    assert relay.password is not None and relay.password.get_secret_value() == "re_xxx"
    assert relay.local_name == "localhost" and relay.port_in_uri


def test_smtp_enforces_starttls() -> None:
    relay = parse_smtp_uri("smtp://login:pass@smtp-relay.brevo.com:587/?skip_ssl_verify=false")
    assert (relay.mode, relay.starttls, relay.implicit_tls) == ("starttls", True, False)


def test_disable_starttls_is_only_read_for_smtp() -> None:
    assert parse_smtp_uri("smtp://h:25/?disable_starttls=true").mode == "plain"
    assert parse_smtp_uri("smtps://h:465/?disable_starttls=true").mode == "implicit_tls"


def test_plain_mode_verifies_an_opportunistic_upgrade_against_the_host() -> None:
    # Kratos sets no TLS config with disable_starttls, so ory/mail's default (verify, ServerName=host) applies.
    relay = parse_smtp_uri(
        "smtp://h.example:25/?disable_starttls=true&skip_ssl_verify=true&server_name=x.test"
    )
    assert relay.skip_ssl_verify and relay.verify_certificate
    assert relay.tls_server_name == "h.example"


def test_server_name_and_skip_ssl_verify() -> None:
    relay = parse_smtp_uri("smtps://mailslurper:1025/?skip_ssl_verify=true&server_name=mail.test")
    assert relay.skip_ssl_verify and not relay.verify_certificate
    assert relay.server_name == "mail.test" and relay.tls_server_name == "mail.test"


@pytest.mark.parametrize("value", ["1", "t", "T", "TRUE", "true", "True"])
def test_go_parsebool_true_values(value: str) -> None:
    assert parse_smtp_uri(f"smtps://h:465/?skip_ssl_verify={value}").skip_ssl_verify


@pytest.mark.parametrize("value", ["0", "false", "yes", "on", "tRuE", ""])
def test_values_go_cannot_read_count_as_false(value: str) -> None:
    assert not parse_smtp_uri(f"smtps://h:465/?skip_ssl_verify={value}").skip_ssl_verify


def test_first_of_repeated_query_values_wins() -> None:
    assert parse_smtp_uri("smtps://h:465/?skip_ssl_verify=true&skip_ssl_verify=false").skip_ssl_verify


def test_credentials_are_percent_decoded() -> None:
    relay = parse_smtp_uri("smtp://user%40corp.test:p%2Fw%3Ad%40%25+x@h:587")
    assert relay.username == "user@corp.test"
    assert relay.password is not None and relay.password.get_secret_value() == "p/w:d@%+x"


def test_no_credentials() -> None:
    relay = parse_smtp_uri("smtp://h:587")
    assert relay.username is None and relay.password is None
    assert not relay.describe()["authenticates"]


def test_user_without_password() -> None:
    relay = parse_smtp_uri("smtp://apikey@h:587")
    assert relay.username == "apikey" and relay.password is None


@pytest.mark.parametrize(("uri", "port"), [("smtps://h", 465), ("smtp://h/", 587), ("smtp://h:/", 587)])
def test_missing_port_uses_the_usual_one_and_says_so(uri: str, port: int) -> None:
    relay = parse_smtp_uri(uri)
    assert relay.port == port and not relay.port_in_uri
    assert relay.describe()["port_in_uri"] is False


def test_local_name() -> None:
    assert parse_smtp_uri("smtp://h:587/?local_name=mail.example.org").local_name == "mail.example.org"
    with pytest.raises(ValueError, match="local_name"):
        parse_smtp_uri("smtp://h:587/?local_name=a%20b")


def test_ipv6_literal_host() -> None:
    relay = parse_smtp_uri("smtp://[::1]:2525")
    assert (relay.host, relay.port) == ("::1", 2525)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://h:25", "smtp:// or smtps://"),
        ("h:25", "smtp:// or smtps://"),
        ("smtp://:25", "no host"),
        ("smtp://h:0", "port is 0"),
        ("smtp://h:99999", "port"),
        ("smtp://h:abc", "port"),
    ],
)
def test_unusable_uris_raise_value_error(uri: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_smtp_uri(uri)


def test_errors_never_quote_the_password() -> None:
    # An unencoded "/" ends the authority early: Python then reads "hunter2" as the port.
    with pytest.raises(ValueError) as caught:
        parse_smtp_uri("smtp://user:hunter2/secret@smtp.example.com:587")
    assert "hunter2" not in str(caught.value) and "secret" not in str(caught.value)
    assert "URL-encode" in str(caught.value)


def test_repr_and_describe_never_show_credentials() -> None:
    relay = parse_smtp_uri("smtps://pm-token-123:pm-token-123@smtp.postmarkapp.com:465")
    assert "pm-token-123" not in repr(relay)
    assert "pm-token-123" not in str(relay.describe())
    assert relay.describe() == {
        "host": "smtp.postmarkapp.com",
        "port": 465,
        "mode": "implicit_tls",
        "skip_ssl_verify": False,
        "server_name": None,
        "verify_certificate": True,
        "local_name": "localhost",
        "port_in_uri": True,
        "authenticates": True,
    }
