"""A connector's read of the sample company through qbXML: pages, bookmarks and deletions."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from qbd_client import catalog, qbxml
from qbd_sandbox.company import Company, CompanyConfig


def page_through(
    company: Company, spec: catalog.ObjectSpec, fields: dict[str, Any], session: str
) -> list[str]:
    """Every id a query returns, read as a connector does: iterator pages of 50, or one answer."""
    id_field = spec.id_field
    extra = {"ActiveStatus": "All"} if spec.is_list else {}
    if not spec.iterator:
        request = qbxml.build(spec.query_rq, {**extra, **fields})
        (answer,) = qbxml.parse_response(company.process(qbxml.message_set([request]), session)).responses
        return [str(r[id_field]) for r in answer.records()]
    ids: list[str] = []
    attrs = {"iterator": "Start"}
    while True:
        request = qbxml.build(spec.query_rq, {"MaxReturned": 50, **extra, **fields}, **attrs)
        (answer,) = qbxml.parse_response(company.process(qbxml.message_set([request]), session)).responses
        assert answer.status_code in (0, 1), answer.status_message
        ids.extend(str(r[id_field]) for r in answer.records())
        if not answer.iterator_remaining:
            return ids
        attrs = {"iterator": "Continue", "iteratorID": str(answer.iterator_id)}


def test_a_full_read_returns_every_record_once(qbd_sample_company_db: Path, qbd_sample_now: datetime) -> None:
    with Company(qbd_sample_company_db, CompanyConfig(clock=lambda: qbd_sample_now)) as company:
        for spec in catalog.objects():
            if spec.is_report:
                continue
            ids = page_through(company, spec, {}, "full-read")
            assert len(ids) == len(set(ids)), spec.name
            assert len(ids) == company.count(spec.name), spec.name


def test_an_incremental_read_from_a_bookmark_sees_what_changed(
    qbd_sample_company_db: Path, qbd_sample_now: datetime
) -> None:
    with Company(qbd_sample_company_db, CompanyConfig(clock=lambda: qbd_sample_now)) as company:
        spec = catalog.get("Invoice")
        bookmark = (qbd_sample_now - timedelta(days=30)).isoformat()
        recent = page_through(
            company, spec, {"ModifiedDateRangeFilter": {"FromModifiedDate": bookmark}}, "inc"
        )
        everything = page_through(company, spec, {}, "inc")
        assert set(recent) < set(everything)
        for txn_id in recent:
            record = company.get("Invoice", txn_id)
            assert record is not None
            assert datetime.fromisoformat(record["TimeModified"]) >= qbd_sample_now - timedelta(days=30)
        # A change made now shows up from the bookmark, once.
        first = company.get("Invoice", everything[0])
        assert first is not None
        company.modify(
            "Invoice", {"TxnID": first["TxnID"], "EditSequence": first["EditSequence"], "Memo": "seen"}
        )
        again = page_through(
            company, spec, {"ModifiedDateRangeFilter": {"FromModifiedDate": bookmark}}, "inc"
        )
        assert again.count(first["TxnID"]) == 1


def test_deletions_of_the_sample_are_listed(qbd_sample_company_db: Path, qbd_sample_now: datetime) -> None:
    with Company(qbd_sample_company_db, CompanyConfig(clock=lambda: qbd_sample_now)) as company:
        lists = [s.del_type for s in catalog.objects(catalog.Kind.LIST) if s.del_type]
        txns = [s.del_type for s in catalog.objects(catalog.Kind.TRANSACTION) if s.del_type]
        listed = []
        for tag, types in (("ListDeletedQueryRq", lists), ("TxnDeletedQueryRq", txns)):
            request = qbxml.build(tag, {"ListDelType" if "List" in tag else "TxnDelType": types})
            (answer,) = qbxml.parse_response(company.process(qbxml.message_set([request]), "s")).responses
            assert answer.status_code in (0, 1)
            listed.extend(ret.findtext("ListID") or ret.findtext("TxnID") for ret in answer.rets)
        assert listed
        for id_ in listed:
            assert all(
                company.get(spec.name, str(id_)) is None for spec in catalog.objects() if not spec.is_report
            )
