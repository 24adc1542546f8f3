"""Where an Optuna study lives when several processes or machines share it.

``--storage`` takes ``journal:PATH`` (Optuna's journal file: processes on one
machine or a shared file system) or a SQLAlchemy URL such as
``postgresql://user@host/db`` (machines sharing one database server).
"""
from __future__ import annotations

import os
import re
import socket
import time
from importlib.util import find_spec
from pathlib import Path
from typing import Any


def make_storage(url: str | None, attempts: int = 5) -> Any:
    """The optuna storage of --storage `url`: None (in memory) for None,
    JournalStorage(JournalFileBackend(PATH)) for "journal:PATH", else
    RDBStorage(url), retried: workers starting at once on an empty database
    race to create its tables. postgresql:// URLs use psycopg2 when psycopg
    (SQLAlchemy 2.1's default driver) is missing. Raises ValueError (a
    malformed URL, a missing journal folder), ImportError (no driver),
    sqlalchemy.exc.SQLAlchemyError (e.g. an unreachable server)."""
    import optuna
    from sqlalchemy import exc as sql_exc

    if url is None:
        return None
    if url.startswith("journal:"):
        path = Path(url.removeprefix("journal:"))
        if not path.parent.is_dir():
            raise ValueError(f"--storage: folder {path.parent} does not exist")
        return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))
    if url.startswith("postgresql://") and not find_spec("psycopg") and find_spec("psycopg2"):
        url = url.replace("postgresql://", "postgresql+psycopg2://", 1)
    for attempt in range(1, attempts + 1):
        try:
            return optuna.storages.RDBStorage(url)
        except sql_exc.ArgumentError as exc:
            raise ValueError(f"--storage: not a usable database URL: {shown(url)} ({exc})") from None
        except sql_exc.SQLAlchemyError:
            if attempt == attempts:
                raise
            time.sleep(0.2 * attempt + 0.05 * (os.getpid() % 7))


def shown(url: str | None) -> str | None:
    """A --storage value as printed and saved: without its password."""
    return url and re.sub(r"^(\w[\w+]*://[^:/@]*):[^@/]*@", r"\1:***@", url)


def worker_id() -> str:
    """'hostname:pid' of this process, recorded on each trial it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"
