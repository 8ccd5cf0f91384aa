"""Deterministic bulk data shared by the soak app and the soak clients (standard library only)."""

from __future__ import annotations

from collections.abc import Iterator
import hashlib

BLOCK = 64 * 1024


def block(seed: str, number: int) -> bytes:
    """Block ``number`` of the stream for ``seed``: 64 KiB, cheap to make on both sides."""
    return hashlib.sha256(f'{seed}:{number}'.encode()).digest() * (BLOCK // 32)


def blocks(seed: str, size: int) -> Iterator[bytes]:
    """The first ``size`` bytes of the stream for ``seed``, block by block."""
    sent = 0
    number = 0
    while sent < size:
        data = block(seed, number)[: size - sent]
        yield data
        sent += len(data)
        number += 1


def sha256_of(seed: str, size: int) -> str:
    digest = hashlib.sha256()
    for data in blocks(seed, size):
        digest.update(data)
    return digest.hexdigest()
