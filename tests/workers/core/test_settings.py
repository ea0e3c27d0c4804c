from pathlib import Path

import pytest

from workers.core.settings import ConfigError, load_settings


def test_defaults_match_the_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAILCHECK_CONFIG", raising=False)
    settings = load_settings()
    assert settings.redis_url == "redis://localhost:6379/0"
    assert settings.mailcheck_queue == "mailcheck"
    assert str(settings.kratos_admin_url).rstrip("/") == "http://localhost:3101"
    assert settings.slack_api_base == "https://slack.com/api/"
    assert (settings.courier_stuck_after, settings.lookback_days, settings.resend_limit_per_hour) == (
        120,
        7,
        3,
    )
    assert (settings.report_deadline, settings.follow_up_seconds, settings.dns_timeout) == (20, 120, 2.0)
    assert settings.mail_provider == "auto" and settings.postmark_message_stream == "outbound"
    assert settings.queue_timeout == 300


def test_comma_lists_and_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILCHECK_CHANNELS", " C1, C2 ,,")
    monkeypatch.setenv("DNS_NAMESERVERS", "127.0.0.1:5353")
    monkeypatch.setenv("MAIL_PROVIDER_API_KEY", "re_secret_value")
    settings = load_settings()
    assert settings.mailcheck_channels == ("C1", "C2")
    assert settings.dns_nameservers == ("127.0.0.1:5353",)
    assert "re_secret_value" not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LOOKBACK_DAYS", "a week"),
        ("QUEUE_TIMEOUT", "-30"),
        ("REDIS_URL", "http://localhost"),
        ("MAIL_PROVIDER", "sendmail"),
        ("COURIER_SMTP_CONNECTION_URI", "https://smtp.example.com"),
        ("SLACK_APP_TOKEN", "xoxb-wrong-kind"),
        ("REPORT_DEADLINE", "-1"),
        ("KRATOS_ADMIN_URL", "not a url"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert variable in str(raised.value)
    assert value not in str(raised.value) or variable == "MAIL_PROVIDER"


def test_toml_file_holds_the_same_keys_and_env_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "mailcheck.toml"
    config.write_text('lookback_days = 3\nmailcheck_channels = "C9"\nreport_deadline = 11\n')
    monkeypatch.setenv("MAILCHECK_CONFIG", str(config))
    monkeypatch.setenv("REPORT_DEADLINE", "12")
    settings = load_settings()
    assert (settings.lookback_days, settings.mailcheck_channels, settings.report_deadline) == (3, ("C9",), 12)


def test_unreadable_config_file_is_a_config_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MAILCHECK_CONFIG", str(tmp_path / "missing.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text("lookback_days = [unclosed")
    monkeypatch.setenv("MAILCHECK_CONFIG", str(bad))
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert "MAILCHECK_CONFIG" in str(raised.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DNS_NAMESERVERS", "127.0.0.1:99999"),
        ("DNS_NAMESERVERS", "dns.example.com"),
        ("COURIER_SMTP_CONNECTION_URI", "smtp://user:hunter2@smtp.example.com:abc/"),
    ],
)
def test_addresses_are_checked_at_start_up(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert variable in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_kratos_instances_default_to_one_from_the_urls() -> None:
    settings = load_settings({"kratos_admin_url": "http://k:3101", "kratos_public_url": "http://k:3100"})
    assert [(i.name, i.admin_url, i.public_url) for i in settings.instances] == [
        ("kratos", "http://k:3101", "http://k:3100")
    ]


def test_kratos_instances_are_read_in_order() -> None:
    settings = load_settings(
        {"kratos_instances": "ciam=http://h:3101|http://h:3100, iam=http://h:4101/|http://h:4100"}
    )
    assert [(i.name, i.admin_url, i.public_url) for i in settings.instances] == [
        ("ciam", "http://h:3101", "http://h:3100"),
        ("iam", "http://h:4101", "http://h:4100"),
    ]
    assert (
        settings.instance("iam") is settings.instances[1] or settings.instance("iam") == settings.instances[1]
    )
    assert settings.instance("nope") is None


@pytest.mark.parametrize(
    "value",
    [
        "ciam=http://h:3101",
        "ciam",
        "CIAM=http://h:1|http://h:2",
        "a=ftp://h|http://h",
        "a=http://h|http://h,a=http://h|http://h",
    ],
)
def test_bad_kratos_instances_name_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="KRATOS_INSTANCES"):
        load_settings({"kratos_instances": value})


def test_watch_and_history_settings() -> None:
    settings = load_settings({})
    assert (
        settings.watch_channel,
        settings.watch_interval,
        settings.history_days,
        settings.queue_timeout,
    ) == (
        None,
        60,
        30,
        300,
    )
    with pytest.raises(ConfigError, match="WATCH_CHANNEL"):
        load_settings({"watch_channel": "#alerts"})
    with pytest.raises(ConfigError, match="WATCH_INTERVAL"):
        load_settings({"watch_interval": "1"})
