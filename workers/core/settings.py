"""The one typed settings object (SPEC §3), loaded once at start-up and passed down.

Sources, highest first: environment variables, then the TOML file named by `MAILCHECK_CONFIG`
(same keys in lower case). Nothing else in the code base reads `os.environ`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from workers.core.nameservers import parse_nameserver
from workers.core.smtp_uri import parse_smtp_uri

CommaList = Annotated[tuple[str, ...], NoDecode]
Provider = Literal["auto", "resend", "postmark", "brevo", "smtp2go", "smtp"]


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


@dataclass(frozen=True)
class KratosInstance:
    """One Kratos deployment (SPEC §12): Olympus runs `ciam` for customers and `iam` for employees."""

    name: str
    admin_url: str
    public_url: str
    listed: bool = True  # named in KRATOS_INSTANCES; else made of KRATOS_ADMIN_URL and KRATOS_PUBLIC_URL

    def setting(self, api: Literal["admin", "public"]) -> str:
        """Where this instance's `api` URL is configured, as an error telling what to fix names it."""
        if self.listed:
            return f"KRATOS_INSTANCES ({self.name} {api} URL)"
        return f"KRATOS_{api.upper()}_URL"


DEFAULT_INSTANCE = "kratos"
_INSTANCE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def parse_kratos_instances(text: str) -> tuple[KratosInstance, ...]:
    """`name=admin_url|public_url,…` → instances; ValueError naming the bad entry otherwise."""
    instances: list[KratosInstance] = []
    for entry in (part.strip() for part in text.split(",") if part.strip()):
        name, sep, urls = entry.partition("=")
        admin, bar, public = urls.partition("|")
        name = name.strip()
        if not sep or not bar or not _INSTANCE_NAME.match(name):
            raise ValueError(
                f"bad entry {entry!r}: expected name=admin_url|public_url with a lower-case name"
            )
        for url in (admin.strip(), public.strip()):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"bad entry {name!r}: {url!r} is not an http(s) URL")
        if any(known.name == name for known in instances):
            raise ValueError(f"instance {name!r} is named twice")
        instances.append(KratosInstance(name, admin.strip().rstrip("/"), public.strip().rstrip("/")))
    if not instances:
        raise ValueError("names no instance")
    return tuple(instances)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: AnyHttpUrl = AnyHttpUrl("https://slack.com/api/")
    port: int = Field(default=3000, ge=1, le=65535)
    redis_url: str = "redis://localhost:6379/0"
    mailcheck_queue: str = Field(default="mailcheck", pattern=r"^[A-Za-z0-9_.:-]+$")
    kratos_admin_url: AnyHttpUrl = AnyHttpUrl("http://localhost:3101")
    kratos_public_url: AnyHttpUrl = AnyHttpUrl("http://localhost:3100")
    courier_smtp_connection_uri: SecretStr | None = None
    courier_smtp_from_address: str | None = None
    mail_provider: Provider = "auto"
    mail_provider_api_key: SecretStr | None = None
    mail_provider_api_url: AnyHttpUrl | None = None
    postmark_message_stream: str = "outbound"
    postmark_account_token: SecretStr | None = None
    resend_webhook_secret: SecretStr | None = None
    dns_nameservers: CommaList = ()
    dns_timeout: float = Field(default=2.0, gt=0, le=30)
    dnsbl_zones: CommaList | None = None
    dnsbl_domain_zones: CommaList | None = None
    sending_ips: CommaList = ()
    dkim_selectors: CommaList = ()
    return_path_domain: str | None = None
    mailcheck_channels: CommaList = ()
    mailcheck_operators: CommaList = ()
    mailcheck_operator_group: str | None = None
    courier_flush_command: str | None = None
    courier_stuck_after: int = Field(default=120, ge=1)
    lookback_days: int = Field(default=7, ge=1, le=90)
    resend_limit_per_hour: int = Field(default=3, ge=0)
    report_deadline: float = Field(default=20.0, gt=0, le=600)
    follow_up_seconds: int = Field(default=120, ge=1)
    kratos_instances: str | None = None
    history_days: int = Field(default=30, ge=1, le=365)
    watch_channel: str | None = Field(default=None, pattern=r"^[CGD][A-Z0-9]{2,}$")
    watch_interval: int = Field(default=60, ge=10, le=86400)
    queue_timeout: float = Field(default=300.0, gt=0, le=7 * 24 * 3600)

    @field_validator(
        "dns_nameservers",
        "dnsbl_zones",
        "dnsbl_domain_zones",
        "sending_ips",
        "dkim_selectors",
        "mailcheck_channels",
        "mailcheck_operators",
        mode="before",
    )
    @classmethod
    def _comma_lists(cls, value: Any) -> Any:
        return _split_commas(value)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("courier_smtp_connection_uri")
    @classmethod
    def _smtp_uri(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parts = urlsplit(value.get_secret_value())
            if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
                raise ValueError("must be smtp://host[:port] or smtps://host[:port] (Kratos format)")
            parse_smtp_uri(value.get_secret_value())  # the probe's reader; its errors never quote credentials
        return value

    @field_validator("dns_nameservers")
    @classmethod
    def _nameservers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            parse_nameserver(entry)
        return value

    @field_validator("kratos_instances")
    @classmethod
    def _instances(cls, value: str | None) -> str | None:
        if value is not None and value.strip():
            parse_kratos_instances(value)
            return value
        return None

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("MAILCHECK_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @property
    def slack_api_base(self) -> str:
        base = str(self.slack_api_url)
        return base if base.endswith("/") else base + "/"

    @property
    def instances(self) -> tuple[KratosInstance, ...]:
        """Every Kratos deployment to ask; one named `kratos` when KRATOS_INSTANCES is unset."""
        if self.kratos_instances:
            return parse_kratos_instances(self.kratos_instances)
        admin, public = str(self.kratos_admin_url).rstrip("/"), str(self.kratos_public_url).rstrip("/")
        return (KratosInstance(DEFAULT_INSTANCE, admin, public, listed=False),)

    def instance(self, name: str) -> KratosInstance | None:
        return next((known for known in self.instances if known.name == name), None)

    @property
    def from_domain(self) -> str | None:
        if self.courier_smtp_from_address and "@" in self.courier_smtp_from_address:
            return self.courier_smtp_from_address.rsplit("@", 1)[1].lower()
        return None


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else "MAILCHECK_CONFIG"
        lines.append(f"{name}: {item['msg']}")
    return "invalid settings:\n  " + "\n  ".join(lines)


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Read and validate the settings; raise ConfigError naming the variable on a bad value."""
    try:
        return Settings(**dict(overrides or {}))
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    except (OSError, ValueError) as exc:  # unreadable or malformed MAILCHECK_CONFIG file
        raise ConfigError(f"MAILCHECK_CONFIG: {exc}") from None


def require(settings: Settings, *names: str) -> None:
    """Fail start-up when a setting a command needs is unset."""
    missing = [name.upper() for name in names if getattr(settings, name) is None]
    if missing:
        raise ConfigError("missing required settings: " + ", ".join(missing))


def operators_configured(settings: Settings) -> bool:
    """Whether anybody at all may press a changing button (SPEC §7: fail closed when nobody is named)."""
    return bool(settings.mailcheck_operators or settings.mailcheck_operator_group)
