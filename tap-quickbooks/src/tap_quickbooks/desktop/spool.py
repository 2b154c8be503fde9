"""Records of streams whose turn has not come, kept on disk until it does.

The SDK syncs one stream at a time, while one message set brings pages of several streams: the
records of the stream being synced are emitted as they come, the others are written here (one
temporary file of JSON lines per stream) and read back when their stream syncs. Memory stays flat
however large the company; amounts keep their exact decimal value.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import msgspec

_ENCODER = msgspec.json.Encoder(decimal_format="number")
_DECODER = msgspec.json.Decoder(float_hook=Decimal)


class Spool:
    """One run's spooled records, a file per stream in a temporary folder (removed by :meth:`close`)."""

    def __init__(self) -> None:
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._files: dict[str, IO[bytes]] = {}
        self._counts: dict[str, int] = {}
        self._made = 0

    def _file(self, stream: str) -> IO[bytes]:
        found = self._files.get(stream)
        if found is None:
            if self._folder is None:
                self._folder = tempfile.TemporaryDirectory(prefix="tap-quickbooks-spool-")
            # Numbered by creation: a stream's file is removed when replayed, so no count of the
            # open files names a new one uniquely.
            self._made += 1
            found = (Path(self._folder.name) / f"{self._made}.jsonl").open("w+b")
            self._files[stream] = found
        return found

    def write(self, stream: str, record: dict[str, Any]) -> None:
        """Keep a record of ``stream`` until :meth:`replay`."""
        out = self._file(stream)
        out.write(_ENCODER.encode(record))
        out.write(b"\n")
        self._counts[stream] = self._counts.get(stream, 0) + 1

    def count(self, stream: str) -> int:
        """Records of ``stream`` waiting."""
        return self._counts.get(stream, 0)

    def replay(self, stream: str) -> Iterator[dict[str, Any]]:
        """The records kept for ``stream``, in the order they came; they are gone afterwards."""
        found = self._files.pop(stream, None)
        self._counts.pop(stream, None)
        if found is None:
            return
        path = Path(found.name)
        with found:
            found.flush()
            found.seek(0)
            for line in found:
                if line.strip():
                    record: dict[str, Any] = _DECODER.decode(line)
                    yield record
        path.unlink(missing_ok=True)

    def close(self) -> None:
        """Remove every file."""
        for handle in self._files.values():
            handle.close()
        self._files.clear()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None


__all__ = ["Spool"]
