"""Served documents as pieces, and their gzip siblings assembled from pieces compressed apart.

Every entry stands, byte for byte the same, in an archive page of each node it belongs to. Its
compressed form is made once and shared: a piece compressed on its own and ended with a sync
flush is a run of complete, byte-aligned, non-final deflate blocks that refer to nothing before
the piece, so such runs laid end to end, closed by an empty final block, are one valid deflate
stream (pigz builds its output the same way). The gzip file is that stream between a fixed
header (no name, timestamp zero: stable bytes) and the CRC and length of the whole. Restarting
the compressor at each piece of a few kilobytes makes the file about an eighth larger: worth it
for archive pages, written once and seldom fetched, not for feeds.
"""

from __future__ import annotations

import struct
import zlib
from concurrent.futures import Future
from dataclasses import dataclass

# Level 1: a few percent larger than 6 at a quarter of the CPU, on every publish.
LEVEL = 1
# ID, CM=deflate, FLG=0, MTIME=0, XFL=4 (fastest), OS=255 (unknown): what gzip.compress writes.
_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x04\xff"
_FINAL_BLOCK = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS).flush()


def deflated(raw: bytes) -> bytes:
    """``raw`` as byte-aligned, non-final raw deflate blocks, to be laid next to others."""
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(raw) + compressor.flush(zlib.Z_SYNC_FLUSH)


@dataclass(frozen=True, slots=True)
class Piece:
    """Consecutive bytes of a document. ``packed`` is :func:`deflated` of ``raw`` when it is
    made ahead (by another thread), to be shared by many documents; else it is made with each
    gzip file."""

    raw: bytes
    packed: Future[bytes] | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """The bytes of a served file, as the pieces it was put together from."""

    pieces: tuple[Piece, ...]

    @classmethod
    def of(cls, data: bytes) -> Document:
        """A document made in one piece."""
        return cls((Piece(data),))

    def raw(self) -> bytes:
        """The file's bytes."""
        return b"".join(piece.raw for piece in self.pieces)

    def gzip(self) -> bytes:
        """The gzip sibling: always the same bytes for the same pieces."""
        crc = 0
        size = 0
        for piece in self.pieces:
            crc = zlib.crc32(piece.raw, crc)
            size += len(piece.raw)
        return b"".join([
            _HEADER,
            *(deflated(p.raw) if p.packed is None else p.packed.result()
              for p in self.pieces),
            _FINAL_BLOCK,
            struct.pack("<II", crc, size & 0xFFFFFFFF),
        ])
