"""Configuration from environment variables only (documented in .env.example)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = f"sqlite:///{ROOT / 'instance' / 'virtcompat.sqlite3'}"


def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or DEFAULT_SQLITE
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return url


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"environment variable {name} must be an integer, got {raw!r}") from exc


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    max_body_bytes: int
    probe_max_bytes: int
    config_max_bytes: int
    log_level: str
    probe_salt: str
    catalog_ttl: float

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=database_url(),
            max_body_bytes=_int_env("VIRTCOMPAT_MAX_BODY_BYTES", 1024 * 1024),
            probe_max_bytes=_int_env("VIRTCOMPAT_PROBE_MAX_BYTES", 2 * 1024 * 1024),
            config_max_bytes=_int_env("VIRTCOMPAT_CONFIG_MAX_BYTES", 256 * 1024),
            log_level=os.environ.get("VIRTCOMPAT_LOG_LEVEL", "INFO"),
            # Salts the hashes that replace serial numbers, UUIDs and MACs in probes.
            probe_salt=os.environ.get("VIRTCOMPAT_PROBE_SALT", "virtcompat-default-salt"),
            catalog_ttl=float(_int_env("VIRTCOMPAT_CATALOG_TTL_MS", 1000)) / 1000.0,
        )
