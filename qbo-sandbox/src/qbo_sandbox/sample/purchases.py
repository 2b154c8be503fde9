"""Purchases: purchase orders (some received as bills), bills, vendor credits, expenses paid by check,
cash or card, and the bill payments that settle the bills."""

from __future__ import annotations

from .books import Books
from .data.accounts import GENERAL_EXPENSES
from .model import DAY, HOME, Item, Party, Payload, Txn
from .settlement import settle


def expense_line(b: Books, n: int, vendor: Party, day: int, lo: int, hi: int) -> tuple[Payload, int]:
    """An account-based expense line: mostly the vendor's usual account, some billable to a customer."""
    rng = b.rng
    key = vendor.expense if rng.random() < 0.75 else rng.choice(GENERAL_EXPENSES)
    amount = rng.randint(lo, hi)
    detail: Payload = {"AccountRef": b.acct[key].ref()}
    if key in ("job_materials", "plants", "decks", "lighting") and rng.random() < 0.3:
        detail["BillableStatus"] = "Billable"
        detail["CustomerRef"] = b.cust_pool.pick(rng, day).ref()
    else:
        detail["BillableStatus"] = "NotBillable"
    detail["TaxCodeRef"] = {"value": "NON"}
    return (
        {
            "Id": str(n),
            "Description": b.acct[key].name.rsplit(":", 1)[-1],
            "Amount": amount / 100,
            "DetailType": "AccountBasedExpenseLineDetail",
            "AccountBasedExpenseLineDetail": detail,
        },
        amount,
    )


def buy_spec(b: Books, day: int, n_lines: int) -> list[tuple[Item, int]]:
    """What a purchase order or bill buys: stock items and quantities."""
    rng = b.rng
    out = []
    seen: set[str] = set()
    for _ in range(n_lines):
        item = b.buy_pool.pick(rng, day, 1.0)
        if item.id in seen:
            continue
        seen.add(item.id)
        out.append((item, rng.randint(item.lo, item.hi) * rng.randint(2, 5)))
    return out


def item_lines(b: Books, spec: list[tuple[Item, int]]) -> tuple[list[Payload], int]:
    """Item-based purchase lines (bills, purchase orders): stock bought at cost."""
    lines = []
    total = 0
    for n, (item, qty) in enumerate(spec, 1):
        amount = item.cost * qty
        total += amount
        lines.append(
            {
                "Id": str(n),
                "Description": item.desc,
                "Amount": amount / 100,
                "DetailType": "ItemBasedExpenseLineDetail",
                "ItemBasedExpenseLineDetail": {
                    "ItemRef": {"value": item.id, "name": item.name},
                    "UnitPrice": item.cost / 100,
                    "Qty": qty,
                    "BillableStatus": "NotBillable",
                    "TaxCodeRef": {"value": "NON"},
                },
            }
        )
    return lines, total


def stock(b: Books, lines: list[Payload], ts: int) -> None:
    """Bought inventory adds to what is on hand."""
    for line in lines:
        detail = line.get("ItemBasedExpenseLineDetail")
        if detail is not None:
            item = b.item_by_id[detail["ItemRef"]["value"]]
            if item.type == "Inventory":
                item.qty -= detail["Qty"]
                item.updated = max(item.updated, ts)


def bill(b: Books, ts: int, vendor: Party, lines: list[Payload], total: int) -> Txn:
    """A bill with the vendor's terms; stock it buys is added to what is on hand."""
    rng = b.rng
    term = vendor.term or b.net30
    day = ts // DAY
    p: Payload = {
        "TxnDate": b.clock.dates[day],
        "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
        "VendorRef": vendor.ref(),
        "APAccountRef": b.acct["ap"].ref(),
        "SalesTermRef": term.ref(),
        "DueDate": b.clock.dates[day + term.days],
        "Line": lines,
        "TotalAmt": total / 100,
        "LinkedTxn": [],
    }
    if rng.random() < 0.5:
        p["DocNumber"] = f"{rng.choice(('INV-', '', 'B'))}{rng.randint(1000, 99999)}"
    if rng.random() < 0.3:
        p["DepartmentRef"] = rng.choice(b.departments).ref()
    t = b.txn("Bill", ts, p)
    t.party, t.total, t.open = vendor, total, total
    stock(b, lines, ts)
    return t


def orders_and_bills(b: Books, q: dict[str, int]) -> None:
    """Purchase orders, most received as bills (then closed), and the other bills of the year."""
    rng = b.rng
    b.item_by_id = {it.id: it for it in b.item_list}
    n_bills = q["Bill"]
    from_po = 0
    for day in b.days(q["PurchaseOrder"]):
        vendor = b.supplier_pool.pick(rng, day, 1.0)
        ts = b.at(day)
        spec = buy_spec(b, day, rng.randint(1, 4))
        lines, total = item_lines(b, spec)
        p: Payload = {
            "TxnDate": b.clock.dates[day],
            "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
            "VendorRef": vendor.ref(),
            "APAccountRef": b.acct["ap"].ref(),
            "Line": lines,
            "TotalAmt": total / 100,
            "EmailStatus": "NotSet",
            "PrintStatus": "NotSet",
            "ShipAddr": dict(b.out["CompanyInfo"][0]["CompanyAddr"]),
        }
        po = b.txn("PurchaseOrder", ts, p)
        po.party, po.total = vendor, total
        # Received orders become bills (and QBO closes them); recent ones are still open.
        when = b.after(ts, 3, 20) if from_po < n_bills and rng.random() < 0.65 else None
        if when is None:
            p["POStatus"] = "Open"
            continue
        from_po += 1
        received = bill(b, when, vendor, item_lines(b, spec)[0], total)
        received.p["LinkedTxn"].append(b.link(po, "PurchaseOrder"))
        p["POStatus"] = "Closed"
        p["LinkedTxn"] = [b.link(received, "Bill")]
        po.upd = received.ts
    for day in b.days(n_bills - from_po):
        ts = b.at(day)
        if rng.random() < 0.35:
            vendor = b.supplier_pool.pick(rng, day, 1.0)
            lines, total = item_lines(b, buy_spec(b, day, rng.randint(1, 3)))
            if rng.random() < 0.3:
                line, amount = expense_line(b, len(lines) + 1, vendor, day, 2_000, 30_000)
                lines.append(line)
                total += amount
        else:
            vendor = b.vendor_pool.pick(rng, day)
            lines, total = [], 0
            for n in range(1, rng.randint(1, 3) + 1):
                line, amount = expense_line(b, n, vendor, day, 2_500, 250_000)
                lines.append(line)
                total += amount
        bill(b, ts, vendor, lines, total)


def vendor_credits(b: Books, q: dict[str, int]) -> None:
    """Credits vendors gave (returns, disputes): open, they lower what is owed to the vendor."""
    rng = b.rng
    for day in b.days(q["VendorCredit"]):
        vendor = b.vendor_pool.pick(rng, day)
        line, amount = expense_line(b, 1, vendor, day, 1_500, 40_000)
        p = {
            "TxnDate": b.clock.dates[day],
            "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
            "VendorRef": vendor.ref(),
            "APAccountRef": b.acct["ap"].ref(),
            "Line": [line],
            "TotalAmt": amount / 100,
            "Balance": amount / 100,
        }
        t = b.txn("VendorCredit", b.at(day), p)
        t.party, t.total = vendor, amount
        vendor.balance -= amount


def expenses(b: Books, q: dict[str, int]) -> None:
    """Expenses paid at once (Purchase): by check from Checking, cash from Petty Cash, or by card."""
    rng = b.rng
    for day in b.days(q["Purchase"]):
        vendor = b.vendor_pool.pick(rng, day)
        roll = rng.random()
        kind = "Cash" if roll < 0.15 else "Check" if roll < 0.5 else "CreditCard"
        account = {"Cash": "petty", "Check": "checking"}.get(kind) or rng.choice(("visa", "mastercard"))
        lines, total = [], 0
        for n in range(1, rng.randint(1, 3) + 1):
            line, amount = expense_line(b, n, vendor, day, 500, 60_000)
            lines.append(line)
            total += amount
        p: Payload = {
            "TxnDate": b.clock.dates[day],
            "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
            "AccountRef": b.acct[account].ref(),
            "PaymentType": kind,
            "EntityRef": {"value": vendor.id, "name": vendor.name, "type": "Vendor"},
            "Line": lines,
            "TotalAmt": total / 100,
        }
        if kind == "CreditCard":
            p["Credit"] = False
            p["PaymentMethodRef"] = b.methods["Visa" if account == "visa" else "MasterCard"].ref()
        if kind == "Check":
            p["PrintStatus"] = "NotSet"
        b.tagging(p, 0.2, 0.3)
        # A Purchase has no header ClassRef (the API answers 2010 for one): the class goes on
        # its lines, as QBO keeps it. Moved after the draw, so the random sequence is unchanged.
        header_class = p.pop("ClassRef", None)
        if header_class is not None:
            for line in lines:
                for detail in ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail"):
                    if isinstance(line.get(detail), dict):
                        line[detail].setdefault("ClassRef", dict(header_class))
        t = b.txn("Purchase", b.at(day), p)
        t.party, t.total = vendor, total


def bill_payments(b: Books, quota: int) -> None:
    """Bill payments by check or card (several bills of a vendor at once, some in part); bills' balances."""
    rng = b.rng
    bills = b.by_kind["Bill"]
    plans, short = settle(b, bills, quota, 45)
    if short:
        raise ValueError(f"cannot make {quota} bill payments for {len(bills)} bills")
    for ts, parts in plans:
        vendor = parts[0][0].party
        assert vendor is not None
        by_card = rng.random() < 0.25
        pay_type = "CreditCard" if by_card else "Check"
        # a bill's LinkedTxn names the kind of bill payment
        link_type = "BillPaymentCreditCard" if by_card else "BillPaymentCheck"
        t = b.txn("BillPayment", ts, {})
        lines = []
        total = 0
        for d, amount in parts:
            lines.append({"Amount": amount / 100, "LinkedTxn": [b.link(d, "Bill")]})
            total += amount
            d.p["LinkedTxn"].append(b.link(t, link_type))
            d.upd = max(d.upd, ts)
        p = t.p
        p.update(
            {
                "TxnDate": b.clock.dates[t.day],
                "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
                "VendorRef": vendor.ref(),
                "APAccountRef": b.acct["ap"].ref(),
                "PayType": pay_type,
            }
        )
        if by_card:
            p["CreditCardPayment"] = {"CCAccountRef": b.acct[rng.choice(("visa", "mastercard"))].ref()}
        else:
            p["CheckPayment"] = {
                "BankAccountRef": b.acct["checking"].ref(),
                "PrintStatus": rng.choice(("NotSet", "PrintComplete")),
            }
        p.update({"TotalAmt": total / 100, "Line": lines})
        t.party, t.total = vendor, total
    for d in bills:
        d.p["Balance"] = d.open / 100
        assert d.party is not None
        d.party.balance += d.open
