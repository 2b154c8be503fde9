"""Fixtures for the qbd-sandbox tests: emulated company files in real SQLite files.

``qbd_company`` is a fresh, empty company; ``qbd_sample_company_db`` is the path of a copy of the
sample company (seeded once per test session, copied for each test so that tests may write to it);
``qbd_clock`` is a clock a test moves by hand, and ``make_qbd_company`` opens companies that read it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from qbd_client import qbxml
from qbd_client.qbxml import MessageSetResponse, Response
from qbd_client.xml import Element
from qbd_sandbox.company import Company, CompanyConfig

#: The instant the sample company's history ends at (its "now"); fixed so that seeded files are the
#: same on every run.
SAMPLE_NOW = datetime(2024, 6, 28, 17, 0, tzinfo=timezone.utc)


class ManualClock:
    """An aware "now" that moves only when a test moves it."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current

    def set(self, moment: datetime) -> datetime:
        self.current = moment
        return moment


class QbxmlSession:
    """Sends qbXML documents to a company as one QuickBooks session and parses the answers."""

    def __init__(self, company: Company, session: str = "session-1") -> None:
        self.company = company
        self.session = session

    def send(
        self,
        *requests: Element,
        on_error: str = "stopOnError",
        new_message_set_id: str | None = None,
        old_message_set_id: str | None = None,
    ) -> MessageSetResponse:
        document = qbxml.message_set(
            requests,
            on_error=on_error,
            new_message_set_id=new_message_set_id,
            old_message_set_id=old_message_set_id,
        )
        return qbxml.parse_response(self.company.process(document, self.session))

    def one(self, request: Element) -> Response:
        (response,) = self.send(request).responses
        return response

    def query(self, object_name: str, fields: dict[str, object] | None = None, **attrs: str) -> Response:
        """``XxxQueryRq`` of ``fields`` (in any order: they are put in the spec's order)."""
        return self.one(qbxml.build(f"{object_name}QueryRq", fields or {}, **attrs))

    def add(self, object_name: str, fields: dict[str, object], request_id: str | None = None) -> Response:
        return self.one(qbxml.add_request(object_name, fields, request_id=request_id))

    def mod(self, object_name: str, fields: dict[str, object]) -> Response:
        return self.one(qbxml.mod_request(object_name, fields))

    def end(self) -> None:
        self.company.end_session(self.session)


@pytest.fixture
def qbd_session() -> Callable[..., QbxmlSession]:
    """``qbd_session(company, session="...")``: a qbXML conversation with a company."""
    return QbxmlSession


@pytest.fixture
def qbd_clock() -> ManualClock:
    return ManualClock(datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc))


@pytest.fixture
def make_qbd_company(tmp_path: Path, qbd_clock: ManualClock) -> Iterator[Callable[..., Company]]:
    """Open companies in ``tmp_path`` (``name``, CompanyConfig fields) on the test's manual clock."""
    opened: list[Company] = []

    def make(name: str = "company.qbw", **config: object) -> Company:
        config.setdefault("clock", qbd_clock)
        company = Company(tmp_path / name, CompanyConfig(**config))  # type: ignore[arg-type]
        opened.append(company)
        return company

    yield make
    for company in opened:
        company.close()


@pytest.fixture
def qbd_company(tmp_path: Path) -> Iterator[Company]:
    """A fresh, empty company file in ``tmp_path`` (real time)."""
    company = Company(tmp_path / "qbd_company.qbw")
    yield company
    company.close()


@pytest.fixture(scope="session")
def _qbd_sample_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from qbd_sandbox.sample import seed_company

    path = tmp_path_factory.mktemp("qbd_sample") / "sample.qbw"
    company = Company(path, CompanyConfig(clock=lambda: SAMPLE_NOW))
    try:
        seed_company(company, seed=1, now=SAMPLE_NOW)
    finally:
        company.close()
    return path


@pytest.fixture
def qbd_sample_company_db(_qbd_sample_master: Path, tmp_path: Path) -> Path:
    """The path of this test's own copy of the seeded sample company file."""
    target = tmp_path / "sample.qbw"
    shutil.copyfile(_qbd_sample_master, target)
    return target


@pytest.fixture(scope="session")
def qbd_sample_now() -> datetime:
    """The "now" the sample company file was seeded at: its history is the year before it."""
    return SAMPLE_NOW
