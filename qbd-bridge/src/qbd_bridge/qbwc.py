"""The conversation with the Web Connector: the eight operations over the durable queue.

QBWC starts every session (authenticate), asks for one qbXML request at a time (sendRequestXML),
posts QuickBooks' answer back (receiveResponseXML) and ends (closeConnection). Everything here is
keyed by the session's ticket, so several companies (and several Web Connectors) are served at
once, and each call is one database transaction, so a restart in the middle loses nothing.

What the service must never do, and how it avoids it:

- **block inside a SOAP call**: when a job's producer has nothing ready, sendRequestXML answers
  ``""`` and getLastError ``NoOp``; QBWC waits about 5 s and asks again in the same session.
- **send to the wrong company file**: the first sendRequestXML checks the FileID that QBWC stored
  in the open file (CompanyQueryRs, DataExtRet of our OwnerID) against the company's; another
  file gets nothing and the jobs stay queued.
- **keep an iterator past its session**: continuations are bound to the session's ticket; when the
  session ends first, the iterator is recorded as lost (the client starts the query again).
- **apply a write twice**: a write whose answer never came is sent again in the next session with
  ``oldMessageSetID`` = ``newMessageSetID`` = its own UUID, which it keeps for every attempt:
  QuickBooks answers the stored outcome if it had applied it, else applies it once. (Queries
  get a fresh id at every send: an old iterator's stored answer would be useless.)
- **fail work QuickBooks never ran**: an answer with an HRESULT meaning QuickBooks could not be
  reached (``0x80040401``) puts the message set back in the queue and ends the session; after
  :data:`UNREACHABLE_ATTEMPTS` sends it fails, naming the HRESULT. connectionError with such an
  HRESULT is answered ``""`` (try the open company file again) once per session, then ``done``.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import uuid
from typing import Any

from qbd_client import qbxml
from qbd_client.client import ago
from qbd_client.errors import HRESULTS, RequestRefused
from qbd_client.xml import Element, local_name

from . import __version__, messagesets, passwords
from .config import BridgeConfig
from .jobs import ApiError, Signals, add_line, close_idle_jobs, iso, refresh_job
from .store import Companies, Database

log = logging.getLogger("qbd_bridge")

NOOP = "NoOp"
#: A message set QuickBooks could not be reached for is sent this many times before it fails.
UNREACHABLE_ATTEMPTS = 5
#: How a session's error about QuickBooks being out of reach begins (connectionError retries once).
UNREACHABLE = "QuickBooks could not be reached"
UNKNOWN_TICKET = "unknown session ticket: the Web Connector must sign in again (authenticate)"


class HostRefused(Exception):
    """The open company file, or what QBWC said about it, rules the session out."""


def _children(element: Element, name: str) -> list[Element]:
    return [c for c in element if isinstance(c.tag, str) and local_name(c) == name]


def _text(element: Element, name: str) -> str | None:
    found = _children(element, name)
    return (found[0].text or "").strip() if found else None


class Conversation:
    """The eight QBWC operations; each method is one transaction (call them from worker threads)."""

    def __init__(
        self, db: Database, config: BridgeConfig, signals: Signals, throttle: passwords.LoginThrottle
    ) -> None:
        self.db = db
        self.config = config
        self.signals = signals
        self.throttle = throttle
        self.companies = Companies(db)
        self._touched: set[str] = set()

    # -- bookkeeping ---------------------------------------------------------------------------------

    def _flush(self) -> None:
        with self.db.lock:
            touched, self._touched = self._touched, set()
        if touched:
            self.signals.bump(*touched)

    def _session(self, conn: sqlite3.Connection, ticket: str) -> sqlite3.Row | None:
        if not ticket:
            return None
        return conn.execute(
            "SELECT s.*, c.name AS company, c.owner_id, c.file_id FROM sessions s "
            "JOIN companies c ON c.id = s.company_id WHERE s.ticket_hash = ?",
            (passwords.digest(ticket),),
        ).fetchone()

    def _live(self, conn: sqlite3.Connection, ticket: str, now: float) -> sqlite3.Row | None:
        """The open session of ``ticket``, after ending it if it went idle; None when there is none."""
        session = self._session(conn, ticket)
        if session is None or session["closed_at"] is not None:
            return None
        if now - session["last_seen_at"] > self.config.session_idle_timeout:
            self._end(conn, session, "expired: idle for longer than the session timeout", now)
            return None
        conn.execute(
            "UPDATE sessions SET last_seen_at = ? WHERE ticket_hash = ?", (now, session["ticket_hash"])
        )
        conn.execute("UPDATE companies SET last_call_at = ? WHERE id = ?", (now, session["company_id"]))
        return session

    def _company_error(self, conn: sqlite3.Connection, company_id: int, message: str, now: float) -> None:
        conn.execute(
            "UPDATE companies SET last_error = ?, last_error_at = ? WHERE id = ?",
            (message[:2000], now, company_id),
        )

    def _session_error(self, conn: sqlite3.Connection, session: sqlite3.Row, message: str | None) -> None:
        conn.execute(
            "UPDATE sessions SET last_error = ? WHERE ticket_hash = ?", (message, session["ticket_hash"])
        )

    def _expire_stale(self, conn: sqlite3.Connection, company_id: int, now: float) -> None:
        for session in conn.execute(
            "SELECT s.*, c.name AS company FROM sessions s JOIN companies c ON c.id = s.company_id "
            "WHERE s.company_id = ? AND s.closed_at IS NULL AND s.last_seen_at < ?",
            (company_id, now - self.config.session_idle_timeout),
        ).fetchall():
            self._end(conn, session, "expired: idle for longer than the session timeout", now)

    def _end(self, conn: sqlite3.Connection, session: sqlite3.Row, reason: str, now: float) -> None:
        """Close a session: its unanswered message set goes back to the queue, its iterators are lost."""
        ticket_hash = session["ticket_hash"]
        conn.execute(
            "UPDATE sessions SET closed_at = ?, close_reason = ?, pending = NULL WHERE ticket_hash = ?",
            (now, reason, ticket_hash),
        )
        if session["pending"] is not None:
            self._unanswered(conn, int(session["pending"]), now)
        for row in conn.execute(
            "SELECT * FROM message_sets WHERE bound_ticket = ? AND state = 'queued'", (ticket_hash,)
        ).fetchall():
            self._lose(conn, row, f"the session ended before page {row['part'] + 1} was asked for", now)
        log.info("session %s… of %s closed: %s", session["ticket_hint"], session["company"], reason)

    def _lose(self, conn: sqlite3.Connection, row: sqlite3.Row, why: str, now: float) -> None:
        left = f" ({row['remaining']} records were left)" if row["remaining"] else ""
        message = (
            f"message set {row['idx']}: {why}{left}; QuickBooks' iterator ended with the session, "
            "so the query must be submitted again from its filters"
        )
        conn.execute("UPDATE message_sets SET state = 'lost', error = ? WHERE id = ?", (message, row["id"]))
        add_line(
            conn, row["job_id"], row["idx"], row["part"], message=message, error="iterator_lost", now=now
        )
        refresh_job(conn, row["job_id"], now)
        self._touched.add(row["job_id"])

    def _unanswered(self, conn: sqlite3.Connection, row_id: int, now: float) -> None:
        """A message set was sent and its answer never came."""
        row = conn.execute(
            "SELECT m.*, j.status AS job_status FROM message_sets m JOIN jobs j ON j.id = m.job_id "
            "WHERE m.id = ?",
            (row_id,),
        ).fetchone()
        if row is None or row["state"] != "sent":
            return
        if row["part"] > 0:
            # The iterator moved on when QuickBooks answered: asking again would skip a page.
            self._lose(conn, row, f"the answer to page {row['part'] + 1} never came", now)
            return
        if row["job_status"] == "cancelled":
            conn.execute(
                "UPDATE message_sets SET state = 'cancelled', error = ? WHERE id = ?",
                (
                    "cancelled after it was sent; its answer never came, so QuickBooks may have applied it",
                    row_id,
                ),
            )
        else:
            # A write is asked again with oldMessageSetID (the same UUID), a query afresh.
            conn.execute(
                "UPDATE message_sets SET state = 'queued', recover = ? WHERE id = ?", (row["writes"], row_id)
            )
        refresh_job(conn, row["job_id"], now)
        self._touched.add(row["job_id"])

    def _still_open(self, conn: sqlite3.Connection, company_id: int, now: float) -> bool:
        """Whether the company's open session (if any) is alive, now that its company signs in again.

        A session awaiting QuickBooks' answer is alive until the idle timeout (QuickBooks may take
        a minute and more on one request): the company is ``busy``. One that awaits nothing is
        alive only while QBWC keeps calling, which it does within seconds of each answer (5 s
        after a NoOp); silent longer than ``session_quiet_timeout``, it was abandoned, and is
        ended so the new sign-in gets a session.
        """
        session = conn.execute(
            "SELECT s.*, c.name AS company FROM sessions s JOIN companies c ON c.id = s.company_id "
            "WHERE s.company_id = ? AND s.closed_at IS NULL",
            (company_id,),
        ).fetchone()
        if session is None:
            return False
        if (
            session["pending"] is not None
            or now - session["last_seen_at"] <= self.config.session_quiet_timeout
        ):
            return True
        self._end(conn, session, "abandoned: silent, then the Web Connector signed in again", now)
        return False

    def _waiting_producer(self, conn: sqlite3.Connection, company_id: int, now: float) -> bool:
        """An open job whose producer added to it recently: more work is expected soon."""
        return (
            conn.execute(
                "SELECT 1 FROM jobs WHERE company_id = ? AND open = 1 AND status IN ('queued', 'running') "
                "AND updated_at >= ? LIMIT 1",
                (company_id, now - self.config.producer_timeout),
            ).fetchone()
            is not None
        )

    def _has_work(self, conn: sqlite3.Connection, company_id: int, now: float) -> bool:
        queued = conn.execute(
            "SELECT 1 FROM message_sets m JOIN jobs j ON j.id = m.job_id WHERE j.company_id = ? "
            "AND j.status IN ('queued', 'running') AND m.state = 'queued' AND m.bound_ticket IS NULL LIMIT 1",
            (company_id,),
        ).fetchone()
        return queued is not None or self._waiting_producer(conn, company_id, now)

    def _next(
        self, conn: sqlite3.Connection, session: sqlite3.Row, now: float
    ) -> tuple[sqlite3.Row | None, bool]:
        """The next message set for the session, or (None, whether a producer is expected to add one)."""
        row = conn.execute(
            "SELECT * FROM message_sets WHERE bound_ticket = ? AND state = 'queued' ORDER BY id LIMIT 1",
            (session["ticket_hash"],),
        ).fetchone()
        if row is not None:
            return row, False
        for job in conn.execute(
            "SELECT id, open, updated_at FROM jobs WHERE company_id = ? AND status IN ('queued', 'running') "
            "ORDER BY seq",
            (session["company_id"],),
        ).fetchall():
            row = conn.execute(
                "SELECT * FROM message_sets WHERE job_id = ? AND state = 'queued' AND bound_ticket IS NULL "
                "ORDER BY idx, part LIMIT 1",
                (job["id"],),
            ).fetchone()
            if row is not None:
                return row, False
            if job["open"]:
                if now - job["updated_at"] <= self.config.producer_timeout:
                    # Jobs run in submission order: a later job waits for this one's producer.
                    return None, True
                self._touched.update(
                    close_idle_jobs(conn, session["company_id"], now, self.config.producer_timeout)
                )
        return None, False

    def _percent(self, conn: sqlite3.Connection, session: sqlite3.Row, now: float) -> int:
        """Percent done of the session's work: answered / (answered + pages still to ask)."""
        row = conn.execute(
            "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN m.remaining > 0 AND m.page > 0 "
            "THEN (m.remaining + m.page - 1) / m.page - 1 ELSE 0 END), 0) AS more "
            "FROM message_sets m JOIN jobs j ON j.id = m.job_id WHERE j.company_id = ? "
            "AND j.status IN ('queued', 'running') AND m.state = 'queued' "
            "AND (m.bound_ticket IS NULL OR m.bound_ticket = ?)",
            (session["company_id"], session["ticket_hash"]),
        ).fetchone()
        left = int(row["n"]) + int(row["more"])
        if left == 0:
            return 99 if self._waiting_producer(conn, session["company_id"], now) else 100
        done = int(session["answered"])
        return max(0, min(99, 100 * done // (done + left)))

    # -- the operations -------------------------------------------------------------------------------

    def server_version(self) -> str:
        return self.config.server_version or f"qbd-bridge {__version__}"

    def client_version(self, version: str) -> str:
        """``""`` (go on), or ``O:<version>`` for a Web Connector older than the oldest supported."""
        try:
            theirs = tuple(int(part) for part in version.strip().split("."))
            least = tuple(int(part) for part in self.config.min_client_version.split("."))
        except ValueError:
            return ""
        return f"O:{self.config.min_client_version}" if theirs < least else ""

    def authenticate(self, username: str, password: str) -> tuple[list[str], float]:
        """The answer to authenticate, and the delay to apply before answering (refused logins)."""
        now = self.config.clock()
        found = self.companies.by_username(username)
        locked = self.throttle.locked(username, now)
        # The hash is checked for unknown users and locked ones too: every refusal costs the same.
        matches = passwords.verify_password(password, found[1] if found else passwords.unknown_user_hash())
        filler = passwords.new_ticket()
        if found is None or not matches or locked:
            if not locked:
                self.throttle.failed(username, now)
            if found is not None:
                with self.db.transaction() as conn:
                    self._company_error(
                        conn,
                        found[0].id,
                        f"the Web Connector's login as {found[0].username} was refused: wrong password, or "
                        "locked after repeated failures (reset it with `qbd-bridge company reset-password`)",
                        now,
                    )
            log.warning("authenticate refused for a user name (%d characters)", len(username))
            return [filler, "nvu"], self.config.failure_delay
        self.throttle.succeeded(username)
        company = found[0]
        with self.db.transaction() as conn:
            conn.execute("UPDATE companies SET last_call_at = ? WHERE id = ?", (now, company.id))
            self._expire_stale(conn, company.id, now)
            if self._still_open(conn, company.id, now):
                answer = [filler, "busy"]
            else:
                self._touched.update(close_idle_jobs(conn, company.id, now, self.config.producer_timeout))
                if not self._has_work(conn, company.id, now):
                    answer = [filler, "none", str(self.config.postpone_seconds)]
                else:
                    ticket = passwords.new_ticket()
                    conn.execute(
                        "INSERT INTO sessions(ticket_hash, ticket_hint, company_id, opened_at, last_seen_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (passwords.digest(ticket), ticket[:8], company.id, now, now),
                    )
                    log.info("session %s… opened for %s", ticket[:8], company.name)
                    answer = [ticket, ""]
        self._flush()
        return answer, 0.0

    def send_request(self, ticket: str, hcp: str, company_file: str, major: str, minor: str) -> str:
        """The next qbXML request of the session, or ``""`` (getLastError then says why, or NoOp)."""
        now = self.config.clock()
        try:
            with self.db.transaction() as conn:
                session = self._live(conn, ticket, now)
                if session is None or session["refused"]:
                    return ""
                version = session["qbxml_version"]
                if not session["verified"]:
                    try:
                        version = self._check_host(conn, session, hcp, company_file, major, minor, now)
                    except HostRefused as exc:
                        message = str(exc)
                        conn.execute(
                            "UPDATE sessions SET refused = ?, last_error = ? WHERE ticket_hash = ?",
                            (message, message, session["ticket_hash"]),
                        )
                        self._company_error(conn, session["company_id"], message, now)
                        log.warning(
                            "session %s… of %s refused: %s",
                            session["ticket_hint"],
                            session["company"],
                            message,
                        )
                        return ""
                if session["pending"] is not None:
                    # Asked again without an answer to the last request: that answer is lost.
                    conn.execute(
                        "UPDATE sessions SET pending = NULL WHERE ticket_hash = ?", (session["ticket_hash"],)
                    )
                    self._unanswered(conn, int(session["pending"]), now)
                while True:
                    row, waiting = self._next(conn, session, now)
                    if row is None:
                        self._session_error(
                            conn, session, NOOP if waiting else "nothing left to send in this session"
                        )
                        return ""
                    if row["version"] and messagesets.version_key(row["version"]) > messagesets.version_key(
                        version
                    ):
                        message = (
                            f"message set {row['idx']} is qbXML {row['version']}, but QuickBooks on this "
                            f"machine reads qbXML up to {version}: submit it for qbXML {version}"
                        )
                        conn.execute(
                            "UPDATE message_sets SET state = 'failed', error = ? WHERE id = ?",
                            (message, row["id"]),
                        )
                        add_line(
                            conn,
                            row["job_id"],
                            row["idx"],
                            row["part"],
                            message=message,
                            error="not_sent",
                            now=now,
                        )
                        refresh_job(conn, row["job_id"], now)
                        self._touched.add(row["job_id"])
                        continue
                    return self._send(conn, session, row, version, now)
        finally:
            self._flush()

    def _send(
        self, conn: sqlite3.Connection, session: sqlite3.Row, row: sqlite3.Row, version: str, now: float
    ) -> str:
        if row["writes"]:
            new_id = row["msg_id"]
            old_id = row["msg_id"] if row["recover"] else None
        else:
            new_id, old_id = str(uuid.uuid4()), None
        text = messagesets.render(row["request"], row["version"] or version, new_id=new_id, old_id=old_id)
        conn.execute(
            "UPDATE message_sets SET state = 'sent', attempts = attempts + 1, sent_ticket = ?, sent_at = ?, "
            "msg_id = ? WHERE id = ?",
            (session["ticket_hash"], now, new_id, row["id"]),
        )
        conn.execute(
            "UPDATE sessions SET pending = ?, last_error = NULL WHERE ticket_hash = ?",
            (row["id"], session["ticket_hash"]),
        )
        refresh_job(conn, row["job_id"], now)
        self._touched.add(row["job_id"])
        log.debug(
            "session %s…: message set %d.%d of job %s sent%s",
            session["ticket_hint"],
            row["idx"],
            row["part"],
            row["job_id"],
            " again with oldMessageSetID" if old_id else "",
        )
        return text

    def _check_host(
        self,
        conn: sqlite3.Connection,
        session: sqlite3.Row,
        hcp: str,
        company_file: str,
        major: str,
        minor: str,
        now: float,
    ) -> str:
        """Check what QBWC says about QuickBooks and the open file; returns the session's qbXML version."""
        name = session["company"]
        if not hcp.strip():
            raise HostRefused(
                f"the Web Connector sent no host information (strHCPResponse) at the start of the session, "
                f"so the bridge cannot tell whether the open company file is {name}'s"
            )
        try:
            answer = qbxml.parse_response(hcp)
        except RequestRefused as exc:
            raise HostRefused(
                f"the Web Connector's host information (strHCPResponse) cannot be read: {exc.message}"
            ) from None
        by_tag = {r.tag: r for r in answer.responses}
        versions: list[tuple[int, int]] = []
        product = None
        host = by_tag.get("HostQueryRs")
        for ret in _children(host.element, "HostRet") if host is not None else []:
            product = _text(ret, "ProductName")
            for supported in _children(ret, "SupportedQBXMLVersion"):
                try:
                    versions.append(messagesets.version_key(supported.text or ""))
                except ValueError:
                    continue
        file_id = None
        company_name = None
        company_rs = by_tag.get("CompanyQueryRs")
        for ret in _children(company_rs.element, "CompanyRet") if company_rs is not None else []:
            company_name = _text(ret, "CompanyName")
            for ext in _children(ret, "DataExtRet"):
                if (
                    passwords.same_guid(_text(ext, "OwnerID"), session["owner_id"])
                    and _text(ext, "DataExtName") == "FileID"
                ):
                    file_id = _text(ext, "DataExtValue")
        where = company_file.strip() or company_name or "the open company file"
        if file_id is None:
            raise HostRefused(
                f"the company file open in QuickBooks ({where}) carries no FileID for {name} "
                f"(OwnerID {session['owner_id']}): add {name}'s .qwc file to the Web Connector again"
            )
        if not passwords.same_guid(file_id, session["file_id"]):
            raise HostRefused(
                f"wrong company file: {name} expects FileID {session['file_id']}, but the file open in "
                f"QuickBooks ({where}) has FileID {file_id}; open {name}'s company file, or give this file a "
                "company of its own with `qbd-bridge company add`"
            )
        if not versions:
            try:
                versions.append((int(major), int(minor or "0")))
            except ValueError:
                raise HostRefused(
                    "the Web Connector did not say which qbXML versions QuickBooks reads"
                ) from None
        chosen = min(messagesets.version_key(messagesets.OUR_VERSION), max(versions))
        version = f"{chosen[0]}.{chosen[1]}"
        conn.execute(
            "UPDATE sessions SET verified = 1, qbxml_version = ? WHERE ticket_hash = ?",
            (version, session["ticket_hash"]),
        )
        conn.execute(
            "UPDATE companies SET product = ?, qbxml_version = ? WHERE id = ?",
            (product, version, session["company_id"]),
        )
        return version

    def receive_response(self, ticket: str, response: str, hresult: str, message: str) -> int:
        """Record QuickBooks' answer; percent done (100: nothing left), or -1 (getLastError says why)."""
        now = self.config.clock()
        try:
            with self.db.transaction() as conn:
                session = self._live(conn, ticket, now)
                if session is None:
                    return -1
                if session["refused"]:
                    return -1
                digest = hashlib.sha256(f"{hresult}\0{response}".encode()).hexdigest()
                if session["pending"] is None:
                    if session["last_digest"] == digest and session["last_percent"] is not None:
                        # The same answer posted again (QBWC retries after a timeout): the same
                        # reply, and nothing recorded twice.
                        return int(session["last_percent"])
                    self._session_error(
                        conn,
                        session,
                        "receiveResponseXML came with no request outstanding in this session: the "
                        "conversation is out of step; the Web Connector should end the session",
                    )
                    return -1
                row = conn.execute(
                    "SELECT m.*, j.status AS job_status FROM message_sets m JOIN jobs j ON j.id = m.job_id "
                    "WHERE m.id = ?",
                    (session["pending"],),
                ).fetchone()
                conn.execute(
                    "UPDATE sessions SET pending = NULL, answered = answered + 1 WHERE ticket_hash = ?",
                    (session["ticket_hash"],),
                )
                if row is None or row["state"] != "sent":
                    self._session_error(conn, session, "the request this answers is no longer in the queue")
                    return -1
                unreachable = self._record(conn, session, row, response, hresult.strip(), message, now)
                refresh_job(conn, row["job_id"], now)
                self._touched.add(row["job_id"])
                session = self._session(conn, ticket)
                assert session is not None
                if unreachable is not None:
                    # QuickBooks is out of reach: the session ends (getLastError says why) and the
                    # work waits for the next update.
                    self._session_error(conn, session, unreachable)
                    percent = -1
                else:
                    percent = self._percent(conn, session, now)
                conn.execute(
                    "UPDATE sessions SET last_digest = ?, last_percent = ? WHERE ticket_hash = ?",
                    (digest, percent, session["ticket_hash"]),
                )
                return percent
        finally:
            self._flush()

    def _record(
        self,
        conn: sqlite3.Connection,
        session: sqlite3.Row,
        row: sqlite3.Row,
        response: str,
        hresult: str,
        message: str,
        now: float,
    ) -> str | None:
        """Record an answer; returns why the session must end when QuickBooks could not be reached."""
        where = (row["job_id"], row["idx"], row["part"])
        if hresult or not response.strip():
            code = hresult.upper().replace("0X", "0x")
            meaning = HRESULTS.get(code)
            detail = message.strip() or (meaning.meaning if meaning else "no response")
            if meaning is not None and meaning.retry:
                requeued = self._unreachable(conn, session, row, code, detail, now)
                if requeued is not None:
                    return requeued
                error = (
                    f"{UNREACHABLE} for message set {row['idx']} of job {row['job_id']} ({code} {detail}) "
                    f"in {row['attempts']} attempts; it was not applied: check that QuickBooks runs with "
                    "the company file open, then submit it again"
                )
                detail = error
            else:
                error = (
                    f"QuickBooks refused message set {row['idx']} of job {row['job_id']}: "
                    f"{hresult or 'no HRESULT'} {detail}"
                )
            add_line(conn, *where, hresult=hresult or None, message=detail, error="hresult", now=now)
            conn.execute(
                "UPDATE message_sets SET state = 'failed', answered_at = ?, error = ? WHERE id = ?",
                (now, error, row["id"]),
            )
            self._company_error(conn, session["company_id"], error, now)
            log.warning("session %s…: %s", session["ticket_hint"], error)
            return None
        try:
            answer = qbxml.parse_response(response)
        except RequestRefused as exc:
            error = f"the answer to message set {row['idx']} cannot be read: {exc.message}"
            add_line(conn, *where, message=error, error="unreadable", now=now)
            conn.execute(
                "UPDATE message_sets SET state = 'failed', answered_at = ?, error = ? WHERE id = ?",
                (now, error, row["id"]),
            )
            return None
        add_line(conn, *where, response=response, now=now)
        conn.execute(
            "UPDATE message_sets SET state = 'answered', answered_at = ?, error = NULL WHERE id = ?",
            (now, row["id"]),
        )
        if row["job_status"] == "cancelled":
            return None
        following = messagesets.continuation(row["request"], answer)
        if following is not None:
            conn.execute(
                "INSERT INTO message_sets(job_id, idx, part, request, version, writes, state, msg_id, "
                "bound_ticket, remaining, page) VALUES (?, ?, ?, ?, ?, 0, 'queued', ?, ?, ?, ?)",
                (
                    row["job_id"],
                    row["idx"],
                    row["part"] + 1,
                    following.text,
                    row["version"],
                    str(uuid.uuid4()),
                    session["ticket_hash"],
                    following.remaining,
                    following.page,
                ),
            )
        return None

    def _unreachable(
        self,
        conn: sqlite3.Connection,
        session: sqlite3.Row,
        row: sqlite3.Row,
        code: str,
        detail: str,
        now: float,
    ) -> str | None:
        """QuickBooks could not be reached, so nothing ran: the message set goes back to the queue.

        Returns the session's error then, or None when it has had its attempts (it fails).
        """
        if row["attempts"] >= UNREACHABLE_ATTEMPTS:
            return None
        if row["job_status"] == "cancelled":
            state, error = (
                "cancelled",
                f"cancelled; QuickBooks could not be reached ({code}), so it never ran",
            )
        else:
            state, error = "queued", None
        # A write keeps its id and goes with oldMessageSetID, in case QuickBooks did get it after all.
        conn.execute(
            "UPDATE message_sets SET state = ?, recover = ?, error = ? WHERE id = ?",
            (state, row["writes"], error, row["id"]),
        )
        why = (
            f"{UNREACHABLE} ({code} {detail}): message set {row['idx']} of job {row['job_id']} is queued "
            f"again for the next update (attempt {row['attempts']} of {UNREACHABLE_ATTEMPTS})"
        )
        self._company_error(conn, session["company_id"], why, now)
        log.warning("session %s…: %s", session["ticket_hint"], why)
        return why

    def connection_error(self, ticket: str, hresult: str, message: str) -> str:
        """QBWC could not reach QuickBooks or open the file: recorded; ``""`` or ``done``.

        For an HRESULT that may pass (QuickBooks starting, not reachable yet) the first answer of
        the session is ``""``: QBWC tries the open company file again. The next one is ``done``:
        the session is over and the work waits, queued, for the next update.
        """
        now = self.config.clock()
        try:
            with self.db.transaction() as conn:
                session = self._live(conn, ticket, now)
                if session is None:
                    return "done"
                code = hresult.strip().upper().replace("0X", "0x")
                meaning = HRESULTS.get(code)
                error = f"{UNREACHABLE} ({code or 'no HRESULT'}): {message.strip()}"
                if meaning and meaning.hint:
                    error += f"; {meaning.hint}"
                retried = str(session["last_error"] or "").startswith(UNREACHABLE)
                self._company_error(conn, session["company_id"], error, now)
                if meaning is not None and meaning.retry and not retried:
                    self._session_error(conn, session, error)
                    log.info("session %s…: %s; trying the company file again", session["ticket_hint"], error)
                    return ""
                self._session_error(conn, session, error)
                self._end(conn, session, f"connectionError {code}", now)
                return "done"
        finally:
            self._flush()

    def last_error(self, ticket: str) -> str:
        """What went wrong in the session, ``NoOp`` to be asked again in 5 s, or ``""``."""
        now = self.config.clock()
        try:
            with self.db.transaction() as conn:
                session = self._session(conn, ticket)
                if session is None:
                    return UNKNOWN_TICKET
                if session["closed_at"] is None:
                    self._live(conn, ticket, now)
                    session = self._session(conn, ticket)
                    assert session is not None
                if session["refused"]:
                    return str(session["refused"])
                if session["closed_at"] is not None:
                    error = session["last_error"] if session["last_error"] not in (None, NOOP) else None
                    return error or (
                        f"this session has ended ({session['close_reason']}); the Web Connector starts a new "
                        "one at its next update"
                    )
                return str(session["last_error"] or "")
        finally:
            self._flush()

    def close_connection(self, ticket: str) -> str:
        now = self.config.clock()
        try:
            with self.db.transaction() as conn:
                session = self._session(conn, ticket)
                if session is not None and session["closed_at"] is None:
                    self._end(conn, session, "closeConnection", now)
                return "OK"
        finally:
            self._flush()

    # -- for the API and the CLI ---------------------------------------------------------------------

    def company_status(self, name: str, *, expire: bool = True) -> dict[str, Any]:
        """When QBWC last called, the open session, the queue depth and the last error of a company.

        ``expire`` ends the company's idle sessions first (their iterators are then reported lost).
        """
        now = self.config.clock()
        company = self.companies.find(name)
        if company is None:
            raise ApiError(404, "unknown_company", f"unknown company {name}")
        try:
            with self.db.transaction() as conn:
                if expire:
                    self._expire_stale(conn, company.id, now)
                row = conn.execute("SELECT * FROM companies WHERE id = ?", (company.id,)).fetchone()
                session = conn.execute(
                    "SELECT * FROM sessions WHERE company_id = ? AND closed_at IS NULL", (company.id,)
                ).fetchone()
                depth = conn.execute(
                    "SELECT COUNT(*) AS n FROM message_sets m JOIN jobs j ON j.id = m.job_id "
                    "WHERE j.company_id = ? AND j.status IN ('queued', 'running') AND m.state = 'queued'",
                    (company.id,),
                ).fetchone()["n"]
                active = conn.execute(
                    "SELECT COUNT(*) AS n FROM jobs WHERE company_id = ? AND status IN ('queued', 'running')",
                    (company.id,),
                ).fetchone()["n"]
        finally:
            self._flush()
        last = row["last_call_at"]
        since = None if last is None else round(now - last, 1)
        return {
            "company": name,
            "last_call_at": iso(last),
            "seconds_since_last_call": since,
            "last_call": ago(since),
            "session_open": session is not None,
            "session": None
            if session is None
            else {
                "ticket": session["ticket_hint"] + "…",
                "opened_at": iso(session["opened_at"]),
                "last_seen_at": iso(session["last_seen_at"]),
                "qbxml_version": session["qbxml_version"],
                "answered": session["answered"],
            },
            "queue_depth": int(depth),
            "jobs_active": int(active),
            "last_error": row["last_error"],
            "last_error_at": iso(row["last_error_at"]),
            "product": row["product"],
            "qbxml_version": row["qbxml_version"],
            "owner_id": row["owner_id"],
            "file_id": row["file_id"],
        }
