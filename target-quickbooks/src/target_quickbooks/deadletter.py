"""The dead-letter file: every record that could not be written, one JSON line each, with why.

A line holds the record as it arrived, its stream, the object, the operation, the QuickBooks
fault (code, message, detail, element, ``intuit_tid``) and a reason that says what to do, so the
records can be fixed and sent again (the file is valid Singer-free JSONL, not a Singer stream).
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from .records import PendingRecord, RecordError


class FailFast(Exception):
    """Raised at the first dead letter when ``fail_fast`` is set."""


class DeadLetters:
    """Appends dead letters to a JSONL file (opened on the first one) and counts them."""

    def __init__(self, path: Path, *, fail_fast: bool = False, enabled: bool = True) -> None:
        self.path = path
        self.fail_fast = fail_fast
        self.enabled = enabled
        self.count = 0
        self.by_code: dict[str, int] = {}
        self._lock = threading.Lock()
        self._file: IO[str] | None = None

    def add(
        self,
        error: RecordError,
        *,
        stream: str,
        obj: str,
        operation: str,
        record: dict[str, Any],
        label: str = "",
    ) -> dict[str, Any]:
        entry = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "stream": stream,
            "object": obj,
            "operation": operation,
            "code": error.code,
            "message": error.message,
            "detail": error.detail,
            "element": error.element,
            "intuit_tid": error.intuit_tid,
            "reason": f"{label}: {error.reason}" if label else error.reason,
            "record": record,
        }
        with self._lock:
            self.count += 1
            self.by_code[error.code or "-"] = self.by_code.get(error.code or "-", 0) + 1
            if self.enabled:
                if self._file is None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    self._file = self.path.open("a", encoding="utf-8")
                line = json.dumps(entry, default=str, ensure_ascii=False)
                try:
                    line.encode("utf-8")
                except UnicodeEncodeError:  # a lone surrogate: written as its \\u escape
                    line = json.dumps(entry, default=str)
                self._file.write(line + "\n")
                self._file.flush()
        if self.fail_fast:
            raise FailFast(
                f"fail_fast is set and a record failed: {entry['reason']} (code {error.code or '-'})"
            )
        return entry

    def add_pending(self, error: RecordError, pending: PendingRecord, operation: str = "") -> dict[str, Any]:
        return self.add(
            error,
            stream=pending.stream,
            obj=pending.object,
            operation=operation or pending.operation.value,
            record=pending.record,
            label=pending.label(),
        )

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
