"""Every operation on every object that allows it, driven by the catalog, checked by reading back.

Each test takes objects of the sample company as tap-quickbooks would emit them, asks for one
operation on one object of every type whose catalog entry allows it, and reads the company back.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from qbo_client import catalog, schemas
from qbo_client.client import QBOClient
from tq_helpers import (
    count,
    dead_letters,
    record,
    rows,
    run_target,
    schema,
    tap_record,
)

#: The field an update changes, per object (the first of these its schema has).
_UPDATE_FIELDS = ("PrivateNote", "Notes", "Description", "Note")
#: Objects without such a field, and what to change instead.
_UPDATE_OTHER = {
    "ExchangeRate": ("Rate", lambda v: round(float(v) + 0.01, 4)),
    "TaxReturn": ("NetTaxAmountDue", lambda v: round(float(v or 0) + 1, 2)),
    "CompanyCurrency": ("Name", None),
    "CompanyInfo": ("CompanyName", None),
}


def _first(client: QBOClient, obj: str, where: str = "") -> dict[str, Any]:
    # as the tap emits them (a RecurringTransaction with its template's Id and Type on top)
    found = sorted(map(tap_record, rows(client, obj, where)), key=lambda r: int(r.get("Id") or 0))
    assert found, f"the sample company has no {obj}"
    return found[0]


def _singleton(client: QBOClient, obj: str) -> dict[str, Any]:
    if obj == "Preferences":
        return client.preferences()
    answer: dict[str, Any] = client.request("GET", f"{obj.lower()}/{client.realm_id}")[obj]
    return answer


def _clone(spec: catalog.ObjectSpec, original: dict[str, Any], n: int) -> dict[str, Any]:
    """A new object like an existing one: no Id, a new natural key, and a note saying so."""
    new = tap_record(original)
    new.pop("Id")
    props = schemas.property_names(spec.name)
    if spec.name == "CompanyCurrency":
        new.update(Code="GBP", Name="British Pound")
    elif spec.natural_key and spec.natural_key[0] in ("Name", "DisplayName"):
        field = spec.natural_key[0]
        new[field] = f"{original[field].removesuffix(' (deleted)')} copy {n}"
        new.pop("FullyQualifiedName", None)
        new["Active"] = True
    if spec.name == "Attachable":
        new["FileName"] = f"copy {n} of {original.get('FileName')}"
    if spec.wraps:  # a RecurringTransaction: its template's name is unique (6240)
        template = new[new["Type"]] = dict(new[new["Type"]])
        info = template["RecurringInfo"]
        template["RecurringInfo"] = {**info, "Name": f"copy {n} of {info['Name']}"}
    if spec.is_transaction:
        if "DocNumber" in props:
            new["DocNumber"] = f"C-{n}"
        if spec.name == "Payment":
            new["PaymentRefNum"] = f"PR-{n}"
        if spec.name in ("Payment", "BillPayment"):
            new.pop("Line", None)  # an unapplied payment: the documents the original paid are paid
        note = "PrivateNote" if "PrivateNote" in props else "Description"
        new[note] = f"copy {n}"
    return new


def test_every_creatable_object_is_created(config: dict[str, Any], company: QBOClient) -> None:
    creatable = [s for s in catalog.OBJECTS if s.create]
    originals = {s.name: _first(company, s.name) for s in creatable}
    before = {s.name: count(company, s.name) for s in creatable}
    messages = []
    for n, spec in enumerate(creatable, start=1):
        messages += [schema(spec.name), record(spec.name, _clone(spec, originals[spec.name], n))]

    run_target(config, messages)

    # A TaxRate is created only with the TaxCode that uses it (TaxService): alone, it is refused.
    dead = dead_letters(config)
    assert [(d["object"], d["code"]) for d in dead] == [("TaxRate", "500")]
    assert "TaxService" in dead[0]["reason"]
    for spec in creatable:
        expected = before[spec.name] + (0 if spec.name == "TaxRate" else 1)
        if spec.name == "TaxRate":
            continue
        assert count(company, spec.name) == expected, spec.name
    assert rows(company, "Invoice", "DocNumber = 'C-{}'".format(creatable.index(catalog.get("Invoice")) + 1))
    assert rows(company, "CompanyCurrency", "Code = 'GBP'")


def test_every_updatable_object_is_updated(config: dict[str, Any], company: QBOClient) -> None:
    updatable = [
        s for s in catalog.OBJECTS if s.update and s.query and s.name not in ("Company", "Preferences")
    ]
    changed: dict[str, tuple[str, Any, str]] = {}
    messages = []
    for spec in updatable:
        if spec.is_singleton:
            original = _singleton(company, spec.name)
        elif not spec.has_id:
            original = rows(company, spec.name)[0]
        else:
            original = _first(company, spec.name, "Active = true" if spec.is_name_list else "")
        props = schemas.property_names(spec.name)
        field = next((f for f in _UPDATE_FIELDS if f in props), None)
        if spec.wraps:  # a RecurringTransaction: the note of its template
            kind = str(original["Type"])
            value = f"changed by the target ({spec.name})"
            body = tap_record(original)
            body[kind] = {**body[kind], "PrivateNote": value}
            changed[spec.name] = (kind, value, str(original[kind]["SyncToken"]))
            messages += [schema(spec.name), record(spec.name, body)]
            continue
        if field is not None:
            value: Any = f"changed by the target ({spec.name})"
        else:
            field, change = _UPDATE_OTHER.get(spec.name) or (spec.natural_key[0], None)
            value = change(original.get(field)) if change else f"{original[field]} renamed"
        body = tap_record(original)
        body[field] = value
        changed[spec.name] = (field, value, str(original.get("SyncToken")))
        messages += [schema(spec.name), record(spec.name, body)]

    run_target(config, messages)

    assert dead_letters(config) == []
    for spec in updatable:
        field, value, token = changed[spec.name]
        if spec.is_singleton:
            now = _singleton(company, spec.name)
        elif spec.wraps:
            now = next(
                r[field] for r in rows(company, spec.name) if r.get(field, {}).get("PrivateNote") == value
            )
            assert int(now["SyncToken"]) == int(token) + 1, spec.name
            continue
        elif not spec.has_id:
            now = next(r for r in rows(company, spec.name) if r.get(field) == value)
        else:
            now = next(r for r in rows(company, spec.name) if str(r.get(field)) == str(value))
        assert now[field] == value, spec.name
        # +1 for the update (an invoice also moves when the payment applied to it is updated)
        assert int(now["SyncToken"]) >= int(token) + 1, spec.name


def test_deletes_remove_transactions_and_inactivate_name_lists(
    config: dict[str, Any], company: QBOClient
) -> None:
    deletable = [s for s in catalog.OBJECTS if s.can_delete]
    inactivatable = [s for s in catalog.OBJECTS if s.can_inactivate]
    targets = {s.name: _first(company, s.name, "Active = true" if s.is_name_list else "") for s in deletable}
    targets |= {s.name: _first(company, s.name, "Active = true") for s in inactivatable}
    now = datetime.now(timezone.utc).isoformat()
    messages = []
    for spec in deletable:
        # as tap-quickbooks sends a deleted object: the CDC stub with _sdc_deleted_at
        stub = {"Id": targets[spec.name]["Id"], "status": "Deleted", "_sdc_deleted_at": now}
        messages += [schema(spec.name), record(spec.name, stub)]
    for spec in inactivatable:
        body = {**tap_record(targets[spec.name]), "_qbo_operation": "delete"}
        messages += [schema(spec.name), record(spec.name, body)]

    run = run_target(config, messages)

    assert dead_letters(config) == []
    for spec in deletable:
        assert rows(company, spec.name, f"Id = '{targets[spec.name]['Id']}'") == [], spec.name
    for spec in inactivatable:
        (row,) = rows(company, spec.name, f"Id = '{targets[spec.name]['Id']}'")
        assert row["Active"] is False, spec.name
    assert run.counts["delete"] == len(deletable)
    assert run.counts["inactivate"] == len(inactivatable)


def test_void_zeroes_the_transactions_that_can_be_voided(config: dict[str, Any], company: QBOClient) -> None:
    voidable = [s for s in catalog.OBJECTS if s.can_void]
    assert {s.name for s in voidable} == {"Invoice", "Payment", "SalesReceipt", "BillPayment"}
    targets = {s.name: _first(company, s.name) for s in voidable}
    messages = []
    for spec in voidable:
        body = {"Id": targets[spec.name]["Id"], "_qbo_operation": "void"}
        messages += [schema(spec.name), record(spec.name, body)]
    # and a transaction that cannot be voided is refused with a reason, not written (a bill the
    # voided bill payment does not pay, whose SyncToken the void leaves alone)
    paid = {link["TxnId"] for line in targets["BillPayment"]["Line"] for link in line.get("LinkedTxn", [])}
    bill = next(b for b in map(tap_record, rows(company, "Bill")) if b["Id"] not in paid)
    messages += [schema("Bill"), record("Bill", {"Id": bill["Id"], "_qbo_operation": "void"})]

    run = run_target(config, messages)

    for spec in voidable:
        (row,) = rows(company, spec.name, f"Id = '{targets[spec.name]['Id']}'")
        assert row["TotalAmt"] == 0, spec.name
        assert row["PrivateNote"].startswith("Voided"), spec.name
    (refused,) = dead_letters(config)
    assert refused["object"] == "Bill"
    assert "cannot be voided" in refused["reason"]
    assert rows(company, "Bill", f"Id = '{bill['Id']}'")[0]["SyncToken"] == bill["SyncToken"]
    assert run.counts["void"] == len(voidable)
