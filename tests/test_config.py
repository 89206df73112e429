"""Settings: defaults, malformed values and the network key rules."""

from __future__ import annotations

import stat

import pytest

from prospecting.config import load_settings
from prospecting.errors import ConfigError
from prospecting.resolver.keyring import KeyRing, load_keyring


def test_defaults_are_the_embedded_sqlite_stores(tmp_path, monkeypatch):
    monkeypatch.delenv("PROSPECTING_PORT", raising=False)
    settings = load_settings(data_dir=tmp_path)
    assert settings.port == 3060
    assert settings.resolved_tenant_url == f"sqlite:///{tmp_path / 'tenant.sqlite3'}"
    assert settings.resolved_graph_url == f"sqlite:///{tmp_path / 'graph.sqlite3'}"


def test_malformed_port_names_the_variable(monkeypatch):
    monkeypatch.setenv("PROSPECTING_PORT", "sixty")
    with pytest.raises(ConfigError, match="PROSPECTING_PORT"):
        load_settings()


def test_unknown_database_backend_is_refused(monkeypatch):
    monkeypatch.setenv("PROSPECTING_TENANT_DATABASE_URL", "mysql://x/y")
    with pytest.raises(ConfigError, match="PROSPECTING_TENANT_DATABASE_URL"):
        load_settings()


def test_production_refuses_to_start_without_a_key(tmp_path):
    settings = load_settings(mode="production", data_dir=tmp_path)
    with pytest.raises(ConfigError, match="NETWORK_KEY"):
        load_keyring(settings)
    assert not (tmp_path / "network.key").exists()


def test_development_generates_a_private_key_once(tmp_path):
    settings = load_settings(mode="development", data_dir=tmp_path)
    first = load_keyring(settings)
    second = load_keyring(settings)
    path = tmp_path / "network.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.active.secret == second.active.secret
    assert first.active.secret.decode() not in repr(first)
    assert first.active.secret.decode() not in repr(settings)


def test_key_file_with_rotation_lines(tmp_path):
    key_file = tmp_path / "keys"
    key_file.write_text("k1=" + "a" * 40 + "\nk2=" + "b" * 40 + "\n")
    ring = load_keyring(load_settings(network_key_file=key_file, mode="production"))
    assert ring.active.key_id == "k2" and set(ring.keys) == {"k1", "k2"}
    pinned = load_keyring(load_settings(network_key_file=key_file, network_key_id="k1"))
    assert pinned.active.key_id == "k1"


@pytest.mark.parametrize(
    ("text", "reason"),
    [("k1=short", "at least 32"), ("", "no key"), ("bad id!=" + "x" * 40, "key id")],
)
def test_malformed_key_material(text, reason):
    with pytest.raises(ConfigError, match=reason):
        KeyRing.parse(text)


def test_missing_key_file_is_a_clear_error(tmp_path):
    settings = load_settings(network_key_file=tmp_path / "nope", mode="production")
    with pytest.raises(ConfigError, match="PROSPECTING_NETWORK_KEY_FILE"):
        load_keyring(settings)
