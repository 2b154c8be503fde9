"""A company as the most used open-source QuickBooks tap writes it (singer-io's tap-quickbooks).

Read from a company over real HTTP and reshaped the way that tap shapes its output, from the
facts of its source (nothing of that project is used):

- streams named in snake_case plurals (``accounts``, ``bill_payments``, ... ``vendors``), in the
  order of its stream table, then ``profit_loss_report`` (one record per day: ``ReportDate``,
  ``AccountingMethod``, ``Details``) and ``deleted_objects`` (the CDC endpoint's deleted stubs:
  ``Id``, ``Type``, ``status``, ``MetaData``, with ``key_properties ["Id", "Type"]``);
- SCHEMA messages with ``key_properties ["Id"]`` and ``bookmark_properties ["MetaData"]``
  (the replication key is ``MetaData.LastUpdatedTime``), whose schemas type every date as
  ``{"type": ["null", "string"], "format": "date-time"}`` and every amount as a
  ``singer.decimal`` string;
- records as the API answers them (PascalCase, ``MetaData`` kept, no top-level
  ``LastUpdatedTime``), passed through singer-python's Transformer: a date becomes
  ``2025-12-08T00:00:00.000000Z``, a date-time is written in UTC the same way, an amount is the
  text of its decimal;
- a STATE with the stream's bookmark (``{"bookmarks": {stream: {"LastUpdatedTime": ...}}}``)
  after every page of 200 records and at the end of each stream.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

from qbo_client import schemas
from qbo_client.client import QBOClient
from tq_helpers import Message, rows

#: The tap's object streams, in its order, and the object each one reads.
STREAMS: dict[str, str] = {
    "accounts": "Account",
    "bill_payments": "BillPayment",
    "bills": "Bill",
    "budgets": "Budget",
    "classes": "Class",
    "credit_memos": "CreditMemo",
    "customers": "Customer",
    "departments": "Department",
    "deposits": "Deposit",
    "employees": "Employee",
    "estimates": "Estimate",
    "invoices": "Invoice",
    "items": "Item",
    "journal_entries": "JournalEntry",
    "payment_methods": "PaymentMethod",
    "payments": "Payment",
    "purchase_orders": "PurchaseOrder",
    "purchases": "Purchase",
    "refund_receipts": "RefundReceipt",
    "sales_receipts": "SalesReceipt",
    "tax_agencies": "TaxAgency",
    "tax_codes": "TaxCode",
    "tax_rates": "TaxRate",
    "terms": "Term",
    "time_activities": "TimeActivity",
    "transfers": "Transfer",
    "vendor_credits": "VendorCredit",
    "vendors": "Vendor",
}
#: The types whose deletions the tap reads from the CDC endpoint.
DELETED_ENTITIES = (
    "Account",
    "BillPayment",
    "Bill",
    "Budget",
    "Class",
    "CreditMemo",
    "Customer",
    "Department",
    "Deposit",
    "Employee",
    "Estimate",
    "Invoice",
    "Item",
    "JournalEntry",
    "PaymentMethod",
    "Payment",
    "PurchaseOrder",
    "Purchase",
    "RefundReceipt",
    "SalesReceipt",
    "Term",
    "Transfer",
    "VendorCredit",
    "Vendor",
)
PAGE = 200
_NULLABLE_STRING = ["null", "string"]


def tap_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema as the tap types it: dates and date-times as date-time strings, amounts as decimals."""
    out = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if not isinstance(node, dict):
            return
        kinds = node.get("type")
        kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
        if node.get("format") in ("date", "date-time"):
            node["type"], node["format"] = list(_NULLABLE_STRING), "date-time"
        elif "number" in kinds:
            node["type"], node["format"] = list(_NULLABLE_STRING), "singer.decimal"
        elif kinds and "null" not in kinds:
            node["type"] = ["null", *kinds]
        for child in (node.get("properties") or {}).values():
            walk(child)
        walk(node.get("items"))

    walk(out)
    return out


def _utc_text(moment: dt.datetime) -> str:
    """singer-python's ``strftime``: UTC, microseconds, ``Z``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def transform(value: Any, schema: dict[str, Any]) -> Any:
    """A value as singer-python's Transformer writes it for the tap's schema."""
    if value is None:
        return None
    if schema.get("format") == "date-time" and isinstance(value, str):
        try:
            return _utc_text(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    if schema.get("format") == "singer.decimal" and isinstance(value, int | float):
        return str(Decimal(str(value)))
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        return {k: transform(v, props.get(k) or {}) for k, v in value.items()}
    if isinstance(value, list):
        items = schema.get("items") or {}
        return [transform(v, items) for v in value]
    return value


def _object_stream(stream: str, found: list[dict[str, Any]], schema: dict[str, Any]) -> list[Message]:
    messages: list[Message] = [
        {
            "type": "SCHEMA",
            "stream": stream,
            "schema": schema,
            "key_properties": ["Id"],
            "bookmark_properties": ["MetaData"],
        }
    ]
    state: dict[str, Any] = {"bookmarks": {}}
    for start in range(0, len(found), PAGE):
        page = found[start : start + PAGE]
        messages.extend({"type": "RECORD", "stream": stream, "record": transform(r, schema)} for r in page)
        last = (page[-1].get("MetaData") or {}).get("LastUpdatedTime")
        state = {"bookmarks": {stream: {"LastUpdatedTime": last}}}
        messages.append({"type": "STATE", "value": copy.deepcopy(state)})
    messages.append({"type": "STATE", "value": state})
    return messages


def object_streams(client: QBOClient, streams: dict[str, str] = STREAMS) -> list[Message]:
    """The tap's object streams of a company."""
    messages: list[Message] = []
    for stream, obj in streams.items():
        found = sorted(rows(client, obj), key=lambda r: (r["MetaData"]["LastUpdatedTime"], int(r["Id"])))
        messages += _object_stream(stream, found, tap_schema(schemas.load(obj)))
    return messages


def profit_loss_report(client: QBOClient, start: str, end: str) -> list[Message]:
    """``profit_loss_report``: the report's rows for the period, as one record per period (the tap asks
    by day; the target reads the stream and writes nothing, whatever its days)."""
    report = client.report("ProfitAndLoss", {"start_date": start, "end_date": end})
    details: dict[str, str] = {}

    def walk(block: dict[str, Any]) -> None:
        for row in (block.get("Rows") or {}).get("Row") or []:
            for part in (row.get("Header"), row, row.get("Summary")):
                cells = (part or {}).get("ColData") or []
                if len(cells) > 1:
                    details[str(cells[0].get("value", ""))] = str(cells[-1].get("value", ""))
            walk(row)

    walk(report)
    schema = {
        "type": ["null", "object"],
        "properties": {
            "ReportDate": {"type": list(_NULLABLE_STRING), "format": "date-time"},
            "AccountingMethod": {"type": list(_NULLABLE_STRING)},
            "Details": {"type": ["null", "object"], "properties": {}},
        },
    }
    stream = "profit_loss_report"
    record = {"ReportDate": f"{start}T00:00:00.000000Z", "AccountingMethod": "Accrual", "Details": details}
    return [
        {
            "type": "SCHEMA",
            "stream": stream,
            "schema": schema,
            "key_properties": ["ReportDate"],
            "bookmark_properties": ["ReportDate"],
        },
        {"type": "RECORD", "stream": stream, "record": record},
        {"type": "STATE", "value": {"bookmarks": {stream: {"LastUpdatedTime": record["ReportDate"]}}}},
    ]


DELETED_SCHEMA: dict[str, Any] = {
    "type": ["null", "object"],
    "properties": {
        "Type": {"type": list(_NULLABLE_STRING)},
        "domain": {"type": list(_NULLABLE_STRING)},
        "Id": {"type": list(_NULLABLE_STRING)},
        "status": {"type": list(_NULLABLE_STRING)},
        "MetaData": {
            "type": ["null", "object"],
            "properties": {"LastUpdatedTime": {"type": list(_NULLABLE_STRING), "format": "date-time"}},
        },
    },
}


def deleted_objects_stream(stubs: list[dict[str, Any]], since: str) -> list[Message]:
    """``deleted_objects``: one record per deleted object (``Type`` added to the CDC stub)."""
    stream = "deleted_objects"
    messages: list[Message] = [
        {
            "type": "SCHEMA",
            "stream": stream,
            "schema": DELETED_SCHEMA,
            "key_properties": ["Id", "Type"],
            "bookmark_properties": ["MetaData"],
        }
    ]
    latest = since
    for stub in stubs:
        messages.append({"type": "RECORD", "stream": stream, "record": transform(stub, DELETED_SCHEMA)})
        latest = max(latest, str((stub.get("MetaData") or {}).get("LastUpdatedTime") or since))
    messages.append({"type": "STATE", "value": {"bookmarks": {stream: {"LastUpdatedTime": latest}}}})
    return messages


def deleted_since(client: QBOClient, since: str) -> list[dict[str, Any]]:
    """The CDC endpoint's deleted stubs since a moment, each with its ``Type``, as the tap reads them."""
    stubs: list[dict[str, Any]] = []
    for entity, found in client.cdc(DELETED_ENTITIES, since).items():
        for row in found:
            if row.get("status") == "Deleted":
                stubs.append({**row, "Type": entity})
    return stubs


def change_feed_start() -> str:
    """The oldest moment the tap asks the change feed about: QuickBooks looks back 30 days at most."""
    return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=29)).strftime("%Y-%m-%dT%H:%M:%SZ")


def whole_output(client: QBOClient, *, start_date: str = "2000-01-01") -> list[Message]:
    """Everything the tap writes for a company on a first run (every stream selected); its deleted
    objects are those of the change feed's 30 days."""
    now = dt.datetime.now(dt.timezone.utc)
    since = change_feed_start()
    return [
        *object_streams(client),
        *profit_loss_report(client, start_date, now.date().isoformat()),
        *deleted_objects_stream(deleted_since(client, since), since),
    ]
