"""The rules every create and update goes through: references resolved, what the server fills,
unique names and document numbers, and after the write the applied payments and ledger postings."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from qbo_client import catalog, references
from qbo_client.catalog import ObjectSpec

from qbo_sandbox import clock, faults, ledger
from qbo_sandbox.store import DELETED_SUFFIX, base_name, name_key

from .core import HOME_CURRENCY, Context, Endpoint, is_id, to_number

#: Which linked transaction a payment-like object pays down.
_PAYS = {"Payment": "Invoice", "BillPayment": "Bill"}

#: Sales forms whose item lines QBO checks: Amount must be UnitPrice x Qty to the cent (fault 6070).
_SALES_FORMS = frozenset({"Invoice", "SalesReceipt", "CreditMemo", "RefundReceipt", "Estimate"})

#: Forms whose TotalAmt QBO computes from the lines and tax, overwriting any value supplied (the API
#: reference says so of each form's TotalAmt); a wrong TotalAmt is replaced, never refused.
_COMPUTED_TOTAL = _SALES_FORMS | {"Bill", "VendorCredit", "Purchase", "PurchaseOrder"}

#: Transactions whose TotalAmt is the amount given (a payment's money received), not a sum of lines.
_GIVEN_TOTAL = ("JournalEntry", "Payment", "BillPayment")

_CENT = Decimal("0.01")


class Rules(Endpoint):
    """The server's side of a write: checks, filled fields, links between documents, postings."""

    def complete(
        self,
        realm: str,
        spec: ObjectSpec,
        payload: dict[str, Any],
        ctx: Context,
        *,
        creating: bool,
        old: dict[str, Any] | None = None,
    ) -> None:
        """Fill what the server fills and check what the server checks, in place."""
        self._resolve_refs(realm, spec, payload, ctx)
        if spec.is_name_list:
            self._name_list_rules(spec, payload, ctx, old)
        if spec.is_transaction:
            self._transaction_rules(realm, spec, payload, creating=creating, old=old)

    def _resolve_refs(self, realm: str, spec: ObjectSpec, payload: Any, ctx: Context, prop: str = "") -> None:
        """Every reference must point to a live, active object; its ``name`` is filled as QBO does."""
        if isinstance(payload, list):
            for item in payload:
                self._resolve_refs(realm, spec, item, ctx, prop)
            return
        if not isinstance(payload, dict):
            return
        for key, value in payload.items():
            if isinstance(value, dict) and key.endswith("Ref") and "value" in value:
                target = (
                    value.get("type") if key == "EntityRef" else references.reference_target(key, spec.name)
                )
                target_spec = catalog.find(str(target)) if target else None
                if target_spec is None or not target_spec.has_id:
                    continue
                ref_id = str(value.get("value", "")).strip()
                if not is_id(ref_id):
                    if key in ("TaxCodeRef",):
                        continue  # US "TAX" / "NON" pseudo codes
                    raise faults.invalid_reference(target_spec.name, ref_id, key)
                found = ctx.get(target_spec.name, ref_id)
                if found is None:
                    raise faults.invalid_reference(target_spec.name, ref_id, key)
                if found.get("Active") is False:
                    raise faults.object_not_found(target_spec.name, ref_id)
                label = found.get("FullyQualifiedName") or found.get("DisplayName") or found.get("Name")
                if isinstance(label, str):
                    value["name"] = label
            elif isinstance(value, (dict, list)):
                self._resolve_refs(realm, spec, value, ctx, key)

    def _name_list_rules(
        self, spec: ObjectSpec, payload: dict[str, Any], ctx: Context, old: dict[str, Any] | None
    ) -> None:
        payload.setdefault("Active", True)
        key_field = spec.natural_key[0] if spec.natural_key else None
        was_active = old is None or old.get("Active") is not False
        now_active = payload.get("Active") is not False
        if key_field in ("Name", "DisplayName") and isinstance(payload.get(key_field), str):
            name = base_name(payload[key_field])
            # QBO renames an inactive name-list row "<Name> (deleted)" and restores it when reactivated.
            payload[key_field] = name + (DELETED_SUFFIX if not now_active else "")
            if spec.name == "Customer" or spec.name == "Vendor" or spec.name == "Employee":
                payload.setdefault("DisplayName", name)
        if spec.name_space == "party" and not payload.get("DisplayName"):
            parts = [payload.get(p) for p in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")]
            payload["DisplayName"] = " ".join(p for p in parts if isinstance(p, str) and p)
        if spec.hierarchical:
            leaf = payload.get("Name") if spec.name != "Customer" else payload.get("DisplayName")
            parent_id = (payload.get("ParentRef") or {}).get("value")
            if isinstance(leaf, str):
                if parent_id:
                    parent = ctx.get(spec.name, str(parent_id)) or {}
                    parent_name = base_name(str(parent.get("FullyQualifiedName", "")))
                    payload["FullyQualifiedName"] = f"{parent_name}:{leaf}"
                    payload[spec.sub_flag] = True
                else:
                    payload["FullyQualifiedName"] = leaf
        if spec.name == "Account":
            payload.setdefault("Classification", ledger.classification(str(payload.get("AccountType", ""))))
            payload.setdefault("CurrencyRef", dict(HOME_CURRENCY))
            payload.setdefault("SubAccount", bool(payload.get("ParentRef")))
        if spec.name in ("Customer", "Vendor"):
            payload.setdefault("Balance", 0)
            payload.setdefault("CurrencyRef", dict(HOME_CURRENCY))
        if spec.name == "Customer":
            payload.setdefault("BalanceWithJobs", payload.get("Balance", 0))
            payload.setdefault("Job", bool(payload.get("ParentRef")))
        del was_active

    def check_unique(
        self, realm: str, spec: ObjectSpec, payload: dict[str, Any], self_id: int | None
    ) -> None:
        key = name_key(spec, payload)
        if key is not None:
            clash = self.store.find_name(realm, key, exclude=(spec.name, self_id) if self_id else None)
            if clash is not None:
                raise faults.duplicate_name()
        doc = payload.get("DocNumber")
        doc_taken = spec.unique_doc_number and isinstance(doc, str) and bool(doc)
        if doc_taken and self.store.find_doc_number(realm, spec.name, str(doc), exclude=self_id):
            raise faults.duplicate_doc_number(str(doc))

    def _transaction_rules(
        self,
        realm: str,
        spec: ObjectSpec,
        payload: dict[str, Any],
        *,
        creating: bool,
        old: dict[str, Any] | None,
    ) -> None:
        payload.setdefault("TxnDate", clock.today(self.tz).isoformat())
        if spec.name != "TimeActivity" and spec.name != "Transfer" and spec.name != "JournalEntry":
            payload.setdefault("CurrencyRef", dict(HOME_CURRENCY))
        if creating and spec.auto_doc_number and not payload.get("DocNumber"):
            payload["DocNumber"] = str(self.store.max_doc_number(realm, spec.name) + 1)
        lines = payload.get("Line")
        # A sparse update without Line keeps the stored lines: QBO checks only the lines it is sent.
        lines_sent = isinstance(lines, list) and (old is None or lines is not old.get("Line"))
        if isinstance(lines, list):
            if lines_sent:
                _check_arithmetic(spec.name, lines)
            for number, line in enumerate(lines, start=1):
                if isinstance(line, dict) and line.get("DetailType") != "SubTotalLineDetail":
                    line.setdefault("Id", str(number))
                    line.setdefault("LineNum", number)
            recompute = spec.name in _COMPUTED_TOTAL and lines_sent
            if recompute or (payload.get("TotalAmt") is None and spec.name not in _GIVEN_TOTAL):
                tax = to_number((payload.get("TxnTaxDetail") or {}).get("TotalTax"))
                payload["TotalAmt"] = round(_line_total(lines) + tax, 2)
        if spec.name in ("Invoice", "Bill") and (creating or "Balance" not in payload):
            if creating:
                payload["Balance"] = payload.get("TotalAmt", 0)
            else:  # what was paid stays paid: the balance moves with the total
                before = old or {}
                moved = to_number(payload.get("TotalAmt")) - to_number(before.get("TotalAmt"))
                payload["Balance"] = round(to_number(before.get("Balance")) + moved, 2)
        if spec.name in ("Payment", "BillPayment") and payload.get("TotalAmt") is None:
            payload["TotalAmt"] = round(sum(to_number(line.get("Amount")) for line in lines or []), 2)

    def after_write(
        self,
        conn: Any,
        realm: str,
        spec: ObjectSpec,
        new: dict[str, Any],
        old: dict[str, Any] | None,
        ctx: Context,
    ) -> None:
        """Move applied amounts between linked documents and re-post the transaction's ledger lines."""
        if not spec.is_transaction:
            return
        if old is not None:
            self.relink(conn, realm, spec, old, -1, ctx)
        self.relink(conn, realm, spec, new, +1, ctx)
        try:
            posts = ledger.postings(spec.name, new, ctx)
        except ledger.LedgerError as exc:
            raise faults.business_rule(str(exc)) from exc
        self.store.replace_postings(
            conn, realm, spec.name, int(new["Id"]), str(new.get("TxnDate", "")), posts
        )

    def relink(
        self, conn: Any, realm: str, spec: ObjectSpec, payment: dict[str, Any], sign: int, ctx: Context
    ) -> None:
        """Apply (+1) or un-apply (-1) a payment's lines to the invoices or bills it pays."""
        target = _PAYS.get(spec.name)
        if target is None:
            return
        target_spec = catalog.get(target)
        for line in payment.get("Line") or []:
            amount = to_number(line.get("Amount"))
            for link in line.get("LinkedTxn") or []:
                if link.get("TxnType") != target:
                    continue
                doc_id = str(link.get("TxnId", ""))
                row = self.store.get_row(realm, target, int(doc_id)) if is_id(doc_id) else None
                if row is None:
                    if sign > 0:
                        raise faults.invalid_reference(target, doc_id, "LinkedTxn")
                    continue
                doc = row.payload()
                balance = round(to_number(doc.get("Balance")) - sign * amount, 2)
                if balance < -0.005:
                    raise faults.business_rule(
                        f"The payment of {amount} is more than the open balance of {target} {doc_id}", "Line"
                    )
                doc["Balance"] = max(balance, 0.0)
                links = [
                    lk
                    for lk in doc.get("LinkedTxn") or []
                    if not (lk.get("TxnId") == payment["Id"] and lk.get("TxnType") == spec.name)
                ]
                if sign > 0:
                    links.append({"TxnId": payment["Id"], "TxnType": spec.name})
                doc["LinkedTxn"] = links
                new_doc = self.core.stamp(doc, doc, row.sync_token + 1)
                self.store.put(conn, realm, target_spec, row.id, new_doc)
                ctx.seen(target, new_doc)


def _line_total(lines: list[Any]) -> float:
    total = 0.0
    for line in lines:
        if not isinstance(line, dict):
            continue
        kind = line.get("DetailType")
        if kind in ("SubTotalLineDetail", "DescriptionOnly"):
            continue
        if kind == "GroupLineDetail" and line.get("Amount") is None:
            total += _line_total(_group_lines(line))  # a bundle sent without its own Amount
            continue
        amount = to_number(line.get("Amount"))
        total += -amount if kind == "DiscountLineDetail" else amount
    return round(total, 2)


def _group_lines(line: dict[str, Any]) -> list[Any]:
    detail = line.get("GroupLineDetail")
    inner = detail.get("Line") if isinstance(detail, dict) else None
    return inner if isinstance(inner, list) else []


def _decimal(value: Any) -> Decimal | None:
    """A JSON number as the decimal it was written as (0.1 is 0.1); None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _cents(value: Decimal) -> Decimal:
    """Rounded to the cent half away from zero, as QBO rounds a line (128.35 x 14.50 = 1861.08).

    A figure too large to hold in cents is kept as it is: the ledger refuses it with its own fault.
    """
    try:
        return value.quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return value


def _supplied(amount: Decimal) -> str:
    """An amount as QBO's fault detail writes it: grouped thousands, no trailing zeros (1,000; 1,861.07)."""
    text = f"{_cents(amount):,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _check_arithmetic(entity: str, lines: list[Any]) -> None:
    """Refuse what QBO refuses in a transaction's lines: a sales item line whose Amount is not
    UnitPrice x Qty (6070) and a journal entry whose debits and credits differ (2300).

    A line sent with only an Amount, or without UnitPrice or Qty, is not checked: QBO takes it.
    """
    if entity in _SALES_FORMS:
        _check_sales_lines(lines)
    elif entity == "JournalEntry":
        debits = credits = Decimal(0)
        for line in lines:
            detail = line.get("JournalEntryLineDetail") if isinstance(line, dict) else None
            amount = _decimal(line.get("Amount")) if isinstance(detail, dict) else None
            if amount is None or not isinstance(detail, dict):
                continue
            if detail.get("PostingType") == "Debit":
                debits += _cents(amount)
            elif detail.get("PostingType") == "Credit":
                credits += _cents(amount)
        if debits != credits:
            raise faults.unbalanced_journal()


def _check_sales_lines(lines: list[Any]) -> None:
    for line in lines:
        if not isinstance(line, dict):
            continue
        if line.get("DetailType") == "GroupLineDetail":
            _check_sales_lines(_group_lines(line))
            continue
        detail = line.get("SalesItemLineDetail")
        if line.get("DetailType") != "SalesItemLineDetail" or not isinstance(detail, dict):
            continue
        amount = _decimal(line.get("Amount"))
        price = _decimal(detail.get("UnitPrice"))
        qty = _decimal(detail.get("Qty"))
        if amount is None or price is None or qty is None:
            continue
        if _cents(price * qty) != _cents(amount):
            raise faults.amount_calculation(_supplied(amount))
