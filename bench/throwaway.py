"""The database a bench script runs on: `DATABASE_URL` when set (PostgreSQL), else a
throw-away SQLite file under var/ (kept with `keep`), with Django's settings for a bench."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def use_database(name: str, keep: bool) -> None:
    """Point Django at the bench's database (`var/<name>.sqlite3` unless DATABASE_URL is set)
    and set the environment a bench needs; call before `django.setup()`."""
    database = ROOT / "var" / f"{name}.sqlite3"
    if "DATABASE_URL" not in os.environ:
        database.parent.mkdir(exist_ok=True)
        if not keep:
            database.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctg_portal.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
