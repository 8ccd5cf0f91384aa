"""A tiny note store over an embedded sqlite3 database (thread-safe, bounded inputs)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
import sqlite3
import threading
import time
from typing import Any

MAX_TITLE = 200
MAX_BODY = 10_000


@dataclass(frozen=True)
class Note:
    id: int
    title: str
    body: str
    created: float
    updated: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class NoteStore:
    """CRUD over one sqlite3 connection; a lock serialises access from worker threads.

    A database file may be shared by several processes (uvicorn workers): it is switched to
    WAL mode, where readers never block the writer, and a writer waits up to 5 s for another
    process's transaction instead of failing with "database is locked".
    """

    def __init__(self, path: str = ':memory:') -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=5.0)
        self._lock = threading.Lock()
        if path != ':memory:':
            self._db.execute('PRAGMA busy_timeout = 5000')
            self._db.execute('PRAGMA journal_mode = WAL')
        with self._lock, self._db:
            self._db.execute(
                'CREATE TABLE IF NOT EXISTS notes ('
                ' id INTEGER PRIMARY KEY AUTOINCREMENT,'
                ' title TEXT NOT NULL, body TEXT NOT NULL,'
                ' created REAL NOT NULL, updated REAL NOT NULL)'
            )

    @staticmethod
    def _row(row: tuple[Any, ...]) -> Note:
        return Note(*row)

    def list(self, limit: int = 50, offset: int = 0) -> list[Note]:
        with self._lock:
            rows = self._db.execute(
                'SELECT id, title, body, created, updated FROM notes ORDER BY id LIMIT ? OFFSET ?',
                (limit, offset),
            ).fetchall()
        return [self._row(r) for r in rows]

    def get(self, note_id: int) -> Note | None:
        with self._lock:
            row = self._db.execute(
                'SELECT id, title, body, created, updated FROM notes WHERE id = ?', (note_id,)
            ).fetchone()
        return self._row(row) if row else None

    def create(self, title: str, body: str) -> Note:
        now = time.time()
        with self._lock, self._db:
            cursor = self._db.execute(
                'INSERT INTO notes (title, body, created, updated) VALUES (?, ?, ?, ?)',
                (title, body, now, now),
            )
            note_id = cursor.lastrowid
        assert note_id is not None
        return Note(note_id, title, body, now, now)

    def update(self, note_id: int, title: str, body: str) -> Note | None:
        now = time.time()
        with self._lock, self._db:
            cursor = self._db.execute(
                'UPDATE notes SET title = ?, body = ?, updated = ? WHERE id = ?',
                (title, body, now, note_id),
            )
        return self.get(note_id) if cursor.rowcount else None

    def delete(self, note_id: int) -> bool:
        with self._lock, self._db:
            cursor = self._db.execute('DELETE FROM notes WHERE id = ?', (note_id,))
        return cursor.rowcount > 0

    def close(self) -> None:
        with self._lock:
            self._db.close()
