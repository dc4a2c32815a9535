"""Settings: one prefix per service, nested groups, and a refusal to start unsafely in production."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from tefu_common.field_crypto import generate_key
from tefu_common.settings import ServiceSettings


class DemoSettings(ServiceSettings):
    service_name: ClassVar[str] = "demo"
    model_config = SettingsConfigDict(env_prefix="TEFU_DEMO_", env_nested_delimiter="__", extra="ignore")
    port: int = 8099


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("TEFU_DEMO_"):
            monkeypatch.delenv(name)


def test_defaults_run_on_a_laptop():
    settings = DemoSettings()
    assert settings.port == 8099
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.auth.audience == "tefu-demo"


def test_environment_with_prefix_and_nesting(monkeypatch):
    monkeypatch.setenv("TEFU_DEMO_PORT", "9000")
    monkeypatch.setenv("TEFU_DEMO_AUTH__JWKS_URL", "http://issuer/.well-known/jwks.json")
    monkeypatch.setenv("TEFU_DEMO_ENCRYPTION__KEYS", '{"k1": "%s", "k2": "%s"}' % (generate_key(), generate_key()))
    monkeypatch.setenv("TEFU_DEMO_ENCRYPTION__ACTIVE_KEY_ID", "k2")
    monkeypatch.setenv("TEFU_PAYMENTS_PORT", "1234")  # another service's prefix is not ours
    settings = DemoSettings()
    assert settings.port == 9000
    assert settings.auth.jwks_url == "http://issuer/.well-known/jwks.json"
    assert settings.auth.audience == "tefu-demo"  # filled in although auth came from the environment
    assert set(settings.encryption.keys) == {"k1", "k2"}


def test_active_key_must_exist(monkeypatch):
    monkeypatch.setenv("TEFU_DEMO_ENCRYPTION__ACTIVE_KEY_ID", "k9")
    with pytest.raises(ValidationError, match="active_key_id 'k9' is not one of the configured"):
        DemoSettings()


def test_production_refuses_development_defaults(monkeypatch):
    monkeypatch.setenv("TEFU_DEMO_ENVIRONMENT", "production")
    monkeypatch.setenv("TEFU_DEMO_AUTH__JWKS_FILE", "/nonexistent/jwks.json")
    monkeypatch.setenv("TEFU_DEMO_AUTH__TOKEN_URL", "http://issuer/oauth/token")
    with pytest.raises(ValidationError) as error:
        DemoSettings()
    message = str(error.value)
    assert "TEFU_DEMO_DATABASE_URL points at the embedded SQLite file" in message
    assert "TEFU_DEMO_ENCRYPTION__KEYS still holds the public development key" in message
    assert "TEFU_DEMO_ENCRYPTION__BLIND_INDEX_KEY is the public development key" in message
    assert "no issuer keys" in message
    assert "AUTH__TOKEN_URL is set without AUTH__CLIENT_ID" in message


def test_production_with_real_settings_starts(monkeypatch, tmp_path):
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": []}')
    monkeypatch.setenv("TEFU_DEMO_ENVIRONMENT", "production")
    monkeypatch.setenv("TEFU_DEMO_DATABASE_URL", "postgresql+asyncpg://tefu@db/demo")
    monkeypatch.setenv("TEFU_DEMO_AUTH__JWKS_FILE", str(jwks))
    monkeypatch.setenv("TEFU_DEMO_ENCRYPTION__KEYS", '{"2026-01": "%s"}' % generate_key())
    monkeypatch.setenv("TEFU_DEMO_ENCRYPTION__ACTIVE_KEY_ID", "2026-01")
    monkeypatch.setenv("TEFU_DEMO_ENCRYPTION__BLIND_INDEX_KEY", generate_key())
    assert DemoSettings().production_problems() == []
