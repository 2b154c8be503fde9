"""Numbering: transaction Ids in order of creation, DocNumbers per sequence, links and MetaData."""

from __future__ import annotations

from .books import Books
from .model import DAY, RANK

# -- numbering and finishing touches -----------------------------------------------------


def number(b: Books) -> None:
    """Ids in order of creation across all transactions, DocNumbers per sequence, links, MetaData."""
    rng, clock = b.rng, b.clock
    b.txns.sort(key=lambda t: (t.ts, RANK[t.kind], t.seq))
    # Invoices, sales receipts, credit memos and refund receipts share QBO's sales-form numbers;
    # checks (expenses by check, bill payments by check) share the check book's.
    sales_no, estimate_no, po_no, check_no, je_no, adjust_no = 1001, 1001, 1001, 101, 1, 1
    recent = b.recent_set(len(b.txns), 100)
    # and at least one of each type, so a change-data-capture reader finds every type changed
    touched = {b.rng.choice(group).seq for group in b.by_kind.values() if group}
    for i, t in enumerate(b.txns):
        p = t.p
        kind = t.kind
        if kind in ("Invoice", "SalesReceipt", "CreditMemo", "RefundReceipt"):
            p["DocNumber"] = str(sales_no)
            sales_no += 1
        elif kind == "Estimate":
            p["DocNumber"] = str(estimate_no)
            estimate_no += 1
        elif kind == "PurchaseOrder":
            p["DocNumber"] = str(po_no)
            po_no += 1
        elif kind == "JournalEntry":
            p["DocNumber"] = str(je_no)
            je_no += 1
        elif kind == "InventoryAdjustment":
            p["DocNumber"] = str(adjust_no)
            adjust_no += 1
        elif (kind == "Purchase" and p["PaymentType"] == "Check") or (
            kind == "BillPayment" and p["PayType"] == "Check"
        ):
            p["DocNumber"] = str(check_no)
            check_no += 1
        p["Id"] = str(i + 1)
        p["SyncToken"] = "0"
        p["domain"] = "QBO"
        p["sparse"] = False
        if i in recent or t.seq in touched:  # a few older transactions edited in the last days
            t.upd = max(t.upd, clock.now_ts - rng.randrange(3 * DAY))
        elif t.upd == t.ts and rng.random() < 0.06:
            t.upd = b.later(t.ts)
    for holder, key, target in b.fixups:
        holder[key] = target.p["Id"]
    for t in b.txns:
        t.p["MetaData"] = clock.meta(t.ts, t.upd)
        b.out[t.kind].append(t.p)
    # a reader wants each type in Id order
    for kind in b.by_kind:
        b.out[kind].sort(key=lambda p: int(p["Id"]))
