"""Jobs as API clients see them: message sets submitted, followed, read back, cancelled.

A job is an ordered list of message sets for one company. Its message sets are sent in order,
and jobs in the order they were submitted; each answer (and each page of an iterator the bridge
continued, and each error) is one response line of the job, numbered from 1, kept in the
database until read by whoever wants them.

A job submitted with ``open`` accepts more message sets later (a producer that decides its next
request from an answer); while it is open and has nothing queued, the QBWC session is kept alive
with NoOp, for at most ``producer_timeout`` seconds since the producer last added to it.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from . import messagesets
from .config import BridgeConfig
from .store import Companies, Database

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")
#: Message-set states that are over; ``lost`` is an iterator cut by the end of its session.
OVER = ("answered", "failed", "lost", "cancelled")


class ApiError(Exception):
    """An API request the bridge refuses: HTTP status, a short code and a message saying what to do."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def iso(moment: float | None) -> str | None:
    """A stored epoch time as ISO 8601 in UTC."""
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class Signals:
    """Wakes the response streams of a job when something was recorded for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[str, int] = {}

    def bump(self, *job_ids: str) -> None:
        with self._lock:
            for job_id in job_ids:
                self._versions[job_id] = self._versions.get(job_id, 0) + 1

    def version(self, job_id: str) -> int:
        with self._lock:
            return self._versions.get(job_id, 0)

    def forget(self, job_ids: Sequence[str]) -> None:
        """Drop the counters of jobs that are gone (the service runs for months)."""
        with self._lock:
            for job_id in job_ids:
                self._versions.pop(job_id, None)


# --- helpers shared with the QBWC side (called inside a transaction) -------------------------------


def add_line(
    conn: sqlite3.Connection,
    job_id: str,
    message_set: int,
    part: int,
    *,
    response: str | None = None,
    hresult: str | None = None,
    message: str | None = None,
    error: str | None = None,
    now: float,
) -> int:
    """Record one response line of a job; returns its seq."""
    row = conn.execute("SELECT responses FROM jobs WHERE id = ?", (job_id,)).fetchone()
    seq = int(row["responses"]) + 1
    conn.execute(
        "INSERT INTO responses(job_id, seq, message_set, part, response, hresult, message, error, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (job_id, seq, message_set, part, response, hresult, message, error, now),
    )
    conn.execute("UPDATE jobs SET responses = ? WHERE id = ?", (seq, job_id))
    return seq


def refresh_job(conn: sqlite3.Connection, job_id: str, now: float) -> str:
    """Recompute a job's status from its message sets; returns it."""
    job = conn.execute("SELECT status, open FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if job["status"] == "cancelled":
        return "cancelled"
    counts = {
        row["state"]: row["n"]
        for row in conn.execute(
            "SELECT state, COUNT(*) AS n FROM message_sets WHERE job_id = ? GROUP BY state", (job_id,)
        )
    }
    active = counts.get("queued", 0) + counts.get("sent", 0)
    if active or job["open"]:
        started = sum(n for state, n in counts.items() if state != "queued")
        status = "running" if started else "queued"
        conn.execute("UPDATE jobs SET status = ?, finished_at = NULL WHERE id = ?", (status, job_id))
        return status
    status = "failed" if counts.get("failed", 0) or counts.get("lost", 0) else "done"
    if status != job["status"]:
        conn.execute("UPDATE jobs SET status = ?, finished_at = ? WHERE id = ?", (status, now, job_id))
    return status


def close_idle_jobs(conn: sqlite3.Connection, company_id: int, now: float, timeout: float) -> list[str]:
    """Close the company's open jobs whose producer added nothing for ``timeout`` seconds."""
    closed = []
    for job in conn.execute(
        "SELECT id FROM jobs WHERE company_id = ? AND open = 1 AND status IN ('queued', 'running') "
        "AND updated_at < ?",
        (company_id, now - timeout),
    ).fetchall():
        conn.execute(
            "UPDATE jobs SET open = 0, note = ? WHERE id = ?",
            (f"closed by the bridge: its producer added no message set for {timeout:g} s", job["id"]),
        )
        refresh_job(conn, job["id"], now)
        closed.append(job["id"])
    return closed


def job_view(conn: sqlite3.Connection, job_id: str) -> dict[str, Any]:
    """A job's status as the API answers it."""
    job = conn.execute(
        "SELECT j.*, c.name AS company FROM jobs j JOIN companies c ON c.id = j.company_id WHERE j.id = ?",
        (job_id,),
    ).fetchone()
    if job is None:
        raise ApiError(404, "unknown_job", f"unknown job {job_id}")
    # A message set's state is the state of its last part (its iterator's latest page).
    counts = dict.fromkeys(("queued", "sent", "answered", "failed", "cancelled"), 0)
    for row in conn.execute(
        "SELECT m.state, COUNT(*) AS n FROM message_sets m WHERE m.job_id = ? AND m.part = "
        "(SELECT MAX(part) FROM message_sets x WHERE x.job_id = m.job_id AND x.idx = m.idx) GROUP BY m.state",
        (job_id,),
    ):
        state = "failed" if row["state"] == "lost" else row["state"]
        counts[state] = counts.get(state, 0) + row["n"]
    remaining = conn.execute(
        "SELECT COALESCE(SUM(remaining), 0) AS n FROM message_sets "
        "WHERE job_id = ? AND state IN ('queued', 'sent')",
        (job_id,),
    ).fetchone()["n"]
    total = int(job["total"])
    over = counts["answered"] + counts["failed"] + counts["cancelled"]
    return {
        "job": job["id"],
        "company": job["company"],
        "label": job["label"],
        "status": job["status"],
        "open": bool(job["open"]),
        "message_sets": total,
        "counts": counts,
        "responses": int(job["responses"]),
        "iterator_remaining": int(remaining),
        "progress": round(100.0 * over / total, 1) if total else 0.0,
        "created_at": iso(job["created_at"]),
        "finished_at": iso(job["finished_at"]),
        "note": job["note"],
    }


@dataclass(frozen=True)
class Line:
    """One response line of a job."""

    seq: int
    message_set: int
    part: int
    response: str | None
    hresult: str | None
    message: str | None
    error: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "message_set": self.message_set,
            "part": self.part,
            "response": self.response,
            "hresult": self.hresult,
            "message": self.message,
            "error": self.error,
        }


class Jobs:
    """Submitting, following, reading and cancelling jobs."""

    #: Response lines read from the database at a time while streaming (each up to a few MB).
    BATCH = 16

    def __init__(self, db: Database, config: BridgeConfig, signals: Signals) -> None:
        self.db = db
        self.config = config
        self.signals = signals
        self.companies = Companies(db)

    def _checked(self, message_sets: Any) -> list[tuple[str, messagesets.Checked]]:
        if not isinstance(message_sets, list):
            raise ApiError(
                400, "bad_request", "message_sets must be a list of qbXML request documents (strings)"
            )
        out = []
        for index, text in enumerate(message_sets):
            if not isinstance(text, str):
                raise ApiError(
                    400,
                    "bad_message_set",
                    f"message_sets[{index}] must be a string, not {type(text).__name__}",
                )
            try:
                out.append((text, messagesets.check(text)))
            except messagesets.MessageSetRefused as exc:
                raise ApiError(400, "bad_message_set", f"message_sets[{index}]: {exc}") from None
        return out

    def _insert(
        self,
        conn: sqlite3.Connection,
        job_id: str,
        start: int,
        checked: Sequence[tuple[str, messagesets.Checked]],
    ) -> None:
        conn.executemany(
            "INSERT INTO message_sets(job_id, idx, part, request, version, writes, state, msg_id) "
            "VALUES (?, ?, 0, ?, ?, ?, 'queued', ?)",
            [
                (job_id, start + i, text, facts.version, int(facts.writes), str(uuid.uuid4()))
                for i, (text, facts) in enumerate(checked)
            ],
        )

    def submit(
        self, company: str, message_sets: Any, *, label: str = "", open_: bool = False, key: Any = None
    ) -> dict[str, Any]:
        """Queue a job of message sets for a company.

        ``key`` (optional, unique per company) makes the submission idempotent: a job submitted
        again with a key the company already has is not queued twice; the existing job is answered
        (``"existing": true``), with its responses. A producer that lost track of a job it
        submitted (it was killed, or the answer to its POST was lost) gets that job back instead
        of having its writes done a second time.
        """
        found = self.companies.find(company)
        if found is None:
            raise ApiError(
                404, "unknown_company", f"unknown company {company}: add it with `qbd-bridge company add`"
            )
        if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 200):
            raise ApiError(400, "bad_request", "key must be a string of 1 to 200 characters")
        if key is not None:
            with self.db.transaction() as conn:
                row = conn.execute(
                    "SELECT id FROM jobs WHERE company_id = ? AND key = ?", (found.id, key)
                ).fetchone()
                if row is not None:
                    return {**job_view(conn, row["id"]), "existing": True}
        checked = self._checked(message_sets)
        if not checked and not open_:
            raise ApiError(400, "bad_request", 'a job needs at least one message set (or "open": true)')
        if not isinstance(label, str):
            raise ApiError(400, "bad_request", "label must be a string")
        job_id = uuid.uuid4().hex
        now = self.config.clock()
        with self.db.transaction() as conn:
            if key is not None:
                row = conn.execute(
                    "SELECT id FROM jobs WHERE company_id = ? AND key = ?", (found.id, key)
                ).fetchone()
                if row is not None:  # submitted by another request meanwhile
                    return {**job_view(conn, row["id"]), "existing": True}
            conn.execute(
                "INSERT INTO jobs(id, company_id, label, status, open, total, created_at, updated_at, key) "
                "VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?)",
                (job_id, found.id, label[:200], int(open_), len(checked), now, now, key),
            )
            self._insert(conn, job_id, 0, checked)
            refresh_job(conn, job_id, now)
            view = job_view(conn, job_id)
        self.signals.bump(job_id)
        return view

    def append(self, job_id: str, message_sets: Any, *, close: bool = False) -> dict[str, Any]:
        """Add message sets to an open job (and close it when ``close``)."""
        checked = self._checked(message_sets)
        now = self.config.clock()
        with self.db.transaction() as conn:
            job = conn.execute("SELECT status, open, total FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if job is None:
                raise ApiError(404, "unknown_job", f"unknown job {job_id}")
            if job["status"] == "cancelled" or not job["open"]:
                raise ApiError(
                    409,
                    "job_closed",
                    f"job {job_id} is {'cancelled' if job['status'] == 'cancelled' else 'closed'}: "
                    "submit a new job",
                )
            self._insert(conn, job_id, int(job["total"]), checked)
            conn.execute(
                "UPDATE jobs SET total = total + ?, updated_at = ?, open = ? WHERE id = ?",
                (len(checked), now, 0 if close else 1, job_id),
            )
            refresh_job(conn, job_id, now)
            view = job_view(conn, job_id)
        self.signals.bump(job_id)
        return view

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Cancel what of a job is not sent yet (a message set QuickBooks is answering is still recorded)."""
        now = self.config.clock()
        with self.db.transaction() as conn:
            job = conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if job is None:
                raise ApiError(404, "unknown_job", f"unknown job {job_id}")
            if job["status"] in ACTIVE:
                conn.execute(
                    "UPDATE message_sets SET state = 'cancelled', error = 'cancelled before it was sent' "
                    "WHERE job_id = ? AND state = 'queued'",
                    (job_id,),
                )
                conn.execute(
                    "UPDATE jobs SET status = 'cancelled', open = 0, finished_at = ?, updated_at = ? "
                    "WHERE id = ?",
                    (now, now, job_id),
                )
            view = job_view(conn, job_id)
        self.signals.bump(job_id)
        return view

    def get(self, job_id: str) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return job_view(conn, job_id)

    def purge(self) -> int:
        """Delete jobs finished more than ``retention_days`` ago; returns how many."""
        cutoff = self.config.clock() - self.config.retention_days * 86400
        with self.db.transaction() as conn:
            old = [
                row["id"]
                for row in conn.execute(
                    "SELECT id FROM jobs WHERE status IN ('done', 'failed', 'cancelled') AND finished_at < ?",
                    (cutoff,),
                )
            ]
            for job_id in old:
                conn.execute("DELETE FROM responses WHERE job_id = ?", (job_id,))
                conn.execute("DELETE FROM message_sets WHERE job_id = ?", (job_id,))
                conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
        self.signals.forget(old)
        return len(old)

    def lines(self, job_id: str, after: int, limit: int = BATCH) -> tuple[list[Line], bool]:
        """Up to ``limit`` response lines after seq ``after``, and whether the job is over."""
        with self.db.transaction() as conn:
            job = conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if job is None:
                raise ApiError(404, "unknown_job", f"unknown job {job_id}")
            rows = conn.execute(
                "SELECT seq, message_set, part, response, hresult, message, error FROM responses "
                "WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                (job_id, after, limit),
            ).fetchall()
        return [Line(**dict(row)) for row in rows], job["status"] in FINISHED
