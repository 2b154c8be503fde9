"""The bulk load of seeds, fixtures and real companies' records: payloads stored as given.

A loaded company answers exactly what was loaded:

- Every payload is stored as given (its Id, SyncToken and MetaData kept); only what QuickBooks
  always has and the payload lacks is added (``domain``, ``sparse``, ``SyncToken`` 0, ``MetaData``
  at the load, an ``Id`` from the company's sequence).
- References to objects that are not loaded are kept as given, never refused. The ledger posts
  what it can (``ledger.postings`` with a ``skipped`` list): a line whose item or account the
  company does not hold posts nothing and the document's A/R, A/P, bank or deposit account posts
  the lines that did; a transaction that cannot post at all (its own account unknown, a journal
  entry left unbalanced) posts nothing. Each reason is noted for the caller.
- Balances are kept as loaded. Customer, Vendor, Invoice and Bill ``Balance`` are stored fields:
  they stand until an API write moves them (a payment applied through the API lowers the invoice's
  Balance by its amount). An account's ``CurrentBalance`` and ``CurrentBalanceWithSubAccounts``
  are answered from the ledger at read time, so a loaded figure is kept as the account's opening
  figure (rows of bases ``ledger.OPENING``/``OPENING_SUB``: the loaded figure less what the
  postings give at the load); transactions written later through the API move it by their
  amounts, as they would in QuickBooks (``balances="loaded"``, what ``qbo-sandbox load`` asks).
  ``balances="recompute"`` instead answers every account from the postings alone and recomputes
  the documents' and names' Balance from the company's records (:func:`recomputed_balances`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from qbo_client import catalog
from qbo_client.catalog import ObjectSpec

from qbo_sandbox import clock, faults, ledger

from .core import Context, Endpoint, synthetic_id, to_number
from .recurring import loaded_template

#: Documents whose Balance payments lower, and the payment lines that do: (payment, link type).
_PAID_BY = {"Invoice": ("Payment", "Invoice"), "Bill": ("BillPayment", "Bill")}
#: Credits that lower a name's Balance until applied: (credit, the payment that applies it).
_CREDITS = {"Customer": ("CreditMemo", "Payment"), "Vendor": ("VendorCredit", "BillPayment")}
_OWNER = {"Customer": "CustomerRef", "Vendor": "VendorRef"}
_RECOMPUTE_READS = (
    "Invoice",
    "Bill",
    "Payment",
    "BillPayment",
    "CreditMemo",
    "VendorCredit",
    "Customer",
    "Vendor",
)


class Loader(Endpoint):
    """Loads a company's objects without the API's rules (their Ids, SyncTokens and MetaData kept)."""

    def load(
        self,
        realm: str,
        items: Iterable[tuple[str, dict[str, Any]]],
        *,
        balances: str = "ledger",
        skipped: list[str] | None = None,
    ) -> dict[str, int]:
        """Store payloads as given, post what the ledger can, answer balances as ``balances`` says.

        This is how seeds, fixtures and real records get in: no validation beyond the shape, no Ids
        assigned except where a payload has none, references to objects not loaded kept as given,
        so a loaded company answers exactly what was loaded (see the module's docstring). What the
        ledger could not post is appended to ``skipped``, one line per line or transaction.

        ``balances``: ``"loaded"`` keeps the accounts' loaded CurrentBalance as opening figures (what
        ``qbo-sandbox load`` does); ``"recompute"`` answers every balance from the records
        (``--recompute-balances``); ``"ledger"`` (the default, for generated books such as the sample
        company, whose accounts carry the 0 of a new account) answers the accounts from the
        postings and leaves the stored Balance fields as they are.
        """
        if balances not in ("loaded", "recompute", "ledger"):
            raise ValueError(f"balances must be loaded, recompute or ledger, not {balances!r}")
        self.store.create_realm(realm)
        counts: dict[str, int] = {}
        top: dict[str, int] = {}
        batch: list[tuple[ObjectSpec, int, dict[str, Any]]] = []
        txns: dict[tuple[str, int], tuple[ObjectSpec, dict[str, Any]]] = {}
        accounts: dict[str, dict[str, Any]] = {}
        notes: list[str] = [] if skipped is None else skipped
        with self.store.db.tx() as conn:
            fresh = (
                conn.execute("SELECT 1 FROM postings WHERE realm_id = ? LIMIT 1", (realm,)).fetchone() is None
            )
            for entity, payload in items:
                spec = catalog.get(entity)
                if not isinstance(payload, dict):
                    raise faults.malformed_request(f"a {entity} to load must be a JSON object")
                payload = dict(payload)
                if spec.wraps:  # a RecurringTransaction, {"Invoice": {...}}: its Id is inside
                    id_, payload = loaded_template(self.core, realm, spec, payload)
                    batch.append((spec, id_, payload))
                    counts[spec.name] = counts.get(spec.name, 0) + 1
                    top[spec.name] = max(top.get(spec.name, 0), id_)
                    continue
                if spec.has_id and payload.get("Id") not in (None, ""):
                    id_ = self.core.parse_id(payload["Id"])
                else:
                    id_ = self.store.next_id(realm, spec) if spec.has_id else synthetic_id(payload)
                    if spec.has_id:
                        payload["Id"] = str(id_)
                payload.setdefault("domain", "QBO")
                payload.setdefault("sparse", False)
                payload.setdefault("SyncToken", "0")
                if "MetaData" not in payload:
                    stamp = clock.metadata_time(self.core.now())
                    payload["MetaData"] = {"CreateTime": stamp, "LastUpdatedTime": stamp}
                batch.append((spec, id_, payload))
                top_key = "transaction" if spec.is_transaction else spec.name
                top[top_key] = max(top.get(top_key, 0), id_)
                counts[spec.name] = counts.get(spec.name, 0) + 1
                if spec.is_transaction:
                    txns[(spec.name, id_)] = (spec, payload)  # a later payload of the same Id wins
                if spec.name == "Account":
                    accounts[str(payload["Id"])] = payload
                if len(batch) >= 5000:
                    self.store.put_many(conn, realm, batch)
                    batch.clear()
            self.store.put_many(conn, realm, batch)
            for name, last in top.items():
                spec = catalog.get("Invoice") if name == "transaction" else catalog.get(name)
                if spec.has_id:
                    self.store.bump_sequence(realm, spec, last)
            if not fresh:  # a payload loaded again replaces its postings
                conn.executemany(
                    "DELETE FROM postings WHERE realm_id = ? AND type = ? AND txn_id = ?",
                    [(realm, name, id_) for name, id_ in txns],
                )
            ctx = Context(self.store, realm)
            rows: list[tuple[Any, ...]] = []
            for (name, id_), (spec, payload) in txns.items():
                posts = ledger.postings(spec.name, payload, ctx, skipped=notes)
                day = str(payload.get("TxnDate", ""))
                rows.extend((realm, name, id_, p.account_id, p.amount, p.basis, day) for p in posts)
            conn.executemany(
                "INSERT INTO postings (realm_id, type, txn_id, account_id, amount, basis, txn_date) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            if not fresh:
                conn.executemany(
                    "DELETE FROM postings WHERE realm_id = ? AND type = 'Account' AND txn_id = ? "
                    "AND basis IN (?, ?)",
                    [
                        (realm, int(aid), ledger.OPENING, ledger.OPENING_SUB)
                        for aid in accounts
                        if aid.isdigit()
                    ],
                )
            if balances == "recompute":
                self._recompute(conn, realm)
            elif balances == "loaded":
                self._keep_opening(conn, realm, accounts)
        return counts

    def _keep_opening(self, conn: Any, realm: str, accounts: dict[str, dict[str, Any]]) -> None:
        """Keep each loaded account's CurrentBalance (then CurrentBalanceWithSubAccounts) as its
        opening figure: a row of what it differs from the ledger's postings at the load."""
        for field, basis, which in (
            ("CurrentBalance", ledger.OPENING, 0),
            ("CurrentBalanceWithSubAccounts", ledger.OPENING_SUB, 1),
        ):
            given = {
                aid: acc for aid, acc in accounts.items() if _is_number(acc.get(field)) and aid.isdigit()
            }
            if not given:
                continue
            now = self.core.account_balances(realm)[which]
            rows = []
            for aid, acc in given.items():
                shown = float(acc[field])
                wanted = shown if ledger.is_debit_normal(acc) else -shown
                offset = round(wanted - now.get(aid, 0.0), 2)
                if offset:
                    rows.append((realm, "Account", int(aid), aid, offset, basis, ""))
            conn.executemany(
                "INSERT INTO postings (realm_id, type, txn_id, account_id, amount, basis, txn_date) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def _recompute(self, conn: Any, realm: str) -> None:
        """Drop every kept opening figure and store the Balance the company's records give."""
        conn.execute(
            "DELETE FROM postings WHERE realm_id = ? AND basis IN (?, ?)",
            (realm, ledger.OPENING, ledger.OPENING_SUB),
        )
        company = {
            name: list(self.store.iter_payloads(realm, name))
            for name in (
                "Invoice",
                "Bill",
                "Payment",
                "BillPayment",
                "CreditMemo",
                "VendorCredit",
                "Customer",
                "Vendor",
            )
        }
        changed = recomputed_balances(company)
        self.store.put_many(conn, realm, [(catalog.get(name), int(p["Id"]), p) for name, p in changed])


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _ref(value: Any) -> str:
    return str(value.get("value", "")) if isinstance(value, dict) else ""


def _applied(payments: list[dict[str, Any]], link_type: str) -> dict[str, float]:
    """Amounts of payment lines applied to each document of one type, by the document's Id."""
    out: dict[str, float] = {}
    for payment in payments:
        for line in payment.get("Line") or []:
            if not isinstance(line, dict):
                continue
            for link in line.get("LinkedTxn") or []:
                if isinstance(link, dict) and link.get("TxnType") == link_type:
                    key = str(link.get("TxnId"))
                    out[key] = out.get(key, 0.0) + to_number(line.get("Amount"))
    return out


def _with_jobs(
    id_: str, own: dict[str, float], children: dict[str, list[str]], seen: frozenset[str]
) -> float:
    """A customer's Balance and its sub-customers' (each counted once, even in a loaded cycle)."""
    if id_ in seen:
        return 0.0
    inner = seen | {id_}
    return own.get(id_, 0.0) + sum(_with_jobs(c, own, children, inner) for c in children.get(id_, []))


def recomputed_balances(company: dict[str, list[dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """The payloads whose Balance the records give otherwise than stored, with that Balance set.

    - Invoice: TotalAmt less Deposit less the Payment lines applied to it; Bill: TotalAmt less the
      BillPayment lines applied to it (never below 0).
    - Customer: its open invoices less its credit memos' unapplied credit and its payments' unapplied
      amounts; BalanceWithJobs adds its sub-customers'. Vendor: its open bills less its vendor
      credits' unapplied credit and its bill payments' unapplied amounts.
    """
    changed: list[tuple[str, dict[str, Any]]] = []
    open_by_owner: dict[tuple[str, str], float] = {}
    for doc_name, (pay_name, link_type) in _PAID_BY.items():
        applied = _applied(company.get(pay_name, []), link_type)
        owner_field = "CustomerRef" if doc_name == "Invoice" else "VendorRef"
        owner_name = "Customer" if doc_name == "Invoice" else "Vendor"
        for doc in company.get(doc_name, []):
            total = to_number(doc.get("TotalAmt")) - to_number(doc.get("Deposit"))
            balance = round(max(total - applied.get(str(doc.get("Id")), 0.0), 0.0), 2)
            key = (owner_name, _ref(doc.get(owner_field)))
            open_by_owner[key] = open_by_owner.get(key, 0.0) + balance
            if doc.get("Balance") is None or to_number(doc.get("Balance")) != balance:
                changed.append((doc_name, {**doc, "Balance": balance}))
    for owner_name, (credit_name, pay_name) in _CREDITS.items():
        payments = company.get(pay_name, [])
        used = _applied(payments, credit_name)
        for credit in company.get(credit_name, []):
            left = max(to_number(credit.get("TotalAmt")) - used.get(str(credit.get("Id")), 0.0), 0.0)
            key = (owner_name, _ref(credit.get(_OWNER[owner_name])))
            open_by_owner[key] = open_by_owner.get(key, 0.0) - left
        for payment in payments:
            lines = [ln for ln in payment.get("Line") or [] if isinstance(ln, dict)]
            net = 0.0
            for line in lines:
                for link in line.get("LinkedTxn") or []:
                    if isinstance(link, dict):
                        sign = -1 if link.get("TxnType") == credit_name else 1
                        net += sign * to_number(line.get("Amount"))
                        break
            unapplied = max(to_number(payment.get("TotalAmt")) - net, 0.0)
            key = (owner_name, _ref(payment.get(_OWNER[owner_name])))
            open_by_owner[key] = open_by_owner.get(key, 0.0) - unapplied
    for owner_name in ("Customer", "Vendor"):
        names = company.get(owner_name, [])
        own = {
            str(n.get("Id")): round(open_by_owner.get((owner_name, str(n.get("Id"))), 0.0), 2) for n in names
        }
        children: dict[str, list[str]] = {}
        for n in names:
            parent = _ref(n.get("ParentRef"))
            if parent:
                children.setdefault(parent, []).append(str(n.get("Id")))
        for n in names:
            id_ = str(n.get("Id"))
            wanted = {"Balance": own[id_]}
            if owner_name == "Customer":
                wanted["BalanceWithJobs"] = round(_with_jobs(id_, own, children, frozenset()), 2)
            if any(n.get(k) is None or to_number(n.get(k)) != v for k, v in wanted.items()):
                changed.append((owner_name, {**n, **wanted}))
    return changed
