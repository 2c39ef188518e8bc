"""The Alembic configuration of this repository, for code that migrates or inspects."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory

from virtcompat.config import ROOT


def alembic_config() -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["configure_logger"] = False
    return cfg


def heads() -> tuple[str, ...]:
    return tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))
