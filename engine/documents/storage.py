"""Where document files live: one small interface, a local directory by default.

Keys are opaque (`dossiers/<id>/<random>`): never a user's file name, so nothing a user types
reaches the file system. An object store can implement the same four methods later.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Protocol

from engine.errors import IPTError, NotFound

_KEY = re.compile(r"^[a-z0-9]+(/[a-z0-9_-]+)+$")


class StorageError(IPTError):
    code = "stockage"


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...


class LocalStorage:
    """Files under one directory (the instance folder, or a volume in production)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise StorageError(f"Clé de stockage invalide : {key!r}.")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(path.name + ".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def get(self, key: str) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise NotFound("Ce fichier n'est plus disponible.")
        return path.read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


def new_key(dossier_id: int, prefix: str) -> str:
    return f"dossiers/{int(dossier_id)}/{prefix}-{secrets.token_hex(16)}"


def storage_for(settings) -> Storage:
    return LocalStorage(settings.storage_dir or settings.instance_dir / "documents")
