"""Sales: estimates (some becoming invoices), invoices, sales receipts, credit memos, refund receipts,
and the customer payments that settle the invoices."""

from __future__ import annotations

from .books import Books
from .model import DAY, HOME, YEAR, Item, Party, Payload, Txn, half_qty
from .settlement import settle


def sale_spec(b: Books, day: int, n_lines: int) -> list[tuple[Item, int]]:
    """What a sales form sells: items and quantities (in halves)."""
    rng = b.rng
    out = []
    seen: set[str] = set()  # one line per item, as people write them
    for _ in range(n_lines):
        item = b.sell_pool.pick(rng, day, 1.0)
        if item.id in seen:
            continue
        seen.add(item.id)
        q2 = rng.randint(item.lo * 2, item.hi * 2) if item.half else 2 * rng.randint(item.lo, item.hi)
        out.append((item, q2))
    return out


def sales_form(
    b: Books,
    kind: str,
    ts: int,
    cust: Party | None,
    spec: list[tuple[Item, int]],
    *,
    discount: int = 0,
    sign: int = 1,
) -> Txn:
    """A sales form's lines, tax and totals (Invoice, Estimate, SalesReceipt, CreditMemo, RefundReceipt).

    ``sign`` is -1 for forms that give money back: their tax reduces what the agency is owed.
    """
    day = ts // DAY
    lines: list[Payload] = []
    subtotal = taxable = 0
    code = cust.tax_code if cust is not None else b.tax_codes[0]
    for n, (item, q2) in enumerate(spec, 1):
        amount = item.price * q2 // 2
        subtotal += amount
        taxed = item.taxable and code is not None
        if taxed:
            taxable += amount
        lines.append(
            {
                "Id": str(n),
                "LineNum": n,
                "Description": item.desc,
                "Amount": amount / 100,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": item.id, "name": item.name},
                    "UnitPrice": item.price / 100,
                    "Qty": half_qty(q2),
                    "TaxCodeRef": {"value": "TAX" if taxed else "NON"},
                },
            }
        )
        if item.type == "Inventory" and kind != "Estimate":
            item.qty += sign * (q2 // 2)
            item.updated = max(item.updated, ts)
    lines.append({"Amount": subtotal / 100, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    off = 0
    if discount:
        off = (subtotal * discount + 50) // 100
        lines.append(
            {
                "Amount": off / 100,
                "DetailType": "DiscountLineDetail",
                "DiscountLineDetail": {
                    "PercentBased": True,
                    "DiscountPercent": discount,
                    "DiscountAccountRef": b.acct["discounts"].ref(),
                },
            }
        )
    tax = 0
    detail: Payload
    if taxable and code is not None:
        tax_lines = []
        for rate in code.rates:
            part = (taxable * rate.bp + 5000) // 10000
            tax += part
            tax_lines.append(
                {
                    "Amount": part / 100,
                    "DetailType": "TaxLineDetail",
                    "TaxLineDetail": {
                        "TaxRateRef": rate.ref(),
                        "PercentBased": True,
                        "TaxPercent": rate.bp / 100,
                        "NetAmountTaxable": taxable / 100,
                    },
                }
            )
            if kind != "Estimate":
                key = (rate.agency, b.quarter_of[day])
                b.tax_due[key] = b.tax_due.get(key, 0) + sign * part
        detail = {"TxnTaxCodeRef": code.ref(), "TotalTax": tax / 100, "TaxLine": tax_lines}
    else:
        detail = {"TotalTax": 0}
    total = subtotal - off + tax
    currency = cust.currency if cust is not None else HOME
    p: Payload = {
        "TxnDate": b.clock.dates[day],
        "CurrencyRef": {"value": currency[0], "name": currency[1]},
    }
    if cust is not None:
        p["CustomerRef"] = cust.ref()
    p.update({"Line": lines, "TxnTaxDetail": detail, "TotalAmt": total / 100, "ApplyTaxAfterDiscount": False})
    t = b.txn(kind, ts, p)
    t.party, t.total, t.open = cust, total, total
    if currency != HOME:
        t.rate = b.rate_on(day)
        p["ExchangeRate"] = t.rate
        p["HomeTotalAmt"] = round(total * t.rate) / 100
    if cust is not None:
        if cust.addr:
            p["BillAddr"] = dict(cust.addr)
        if cust.email:
            p["BillEmail"] = {"Address": cust.email}
    return t


def crew(b: Books) -> list[Payload]:
    """The custom field "Crew #", filled on most forms."""
    field_: Payload = {"DefinitionId": "1", "Name": "Crew #", "Type": "StringType"}
    if b.rng.random() < 0.6:
        field_["StringValue"] = str(b.rng.randint(100, 120))
    return [field_]


def invoice(b: Books, ts: int, cust: Party, spec: list[tuple[Item, int]], discount: int = 0) -> Txn:
    """An invoice: a sales form with terms, due date, delivery and the crew."""
    rng = b.rng
    t = sales_form(b, "Invoice", ts, cust, spec, discount=discount)
    p = t.p
    term = cust.term or b.net30
    p["SalesTermRef"] = term.ref()
    p["DueDate"] = b.clock.dates[t.day + term.days]
    p.update(
        {
            "Deposit": 0,
            "PrintStatus": rng.choice(("NeedToPrint", "NotSet")),
            "EmailStatus": "EmailSent" if rng.random() < 0.5 else "NotSet",
            "CustomField": crew(b),
            "LinkedTxn": [],
            "AllowIPNPayment": False,
            "AllowOnlinePayment": False,
            "AllowOnlineCreditCardPayment": False,
            "AllowOnlineACHPayment": False,
            "CustomerMemo": {"value": "Thank you for your business and have a great day!"},
        }
    )
    if p["EmailStatus"] == "EmailSent":
        sent = min(ts + 120, b.clock.now_ts)
        p["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": b.clock.stamp(sent)}
    if "BillAddr" in p:
        p["ShipAddr"] = dict(cust.addr)
    b.tagging(p)
    return t


def estimates_and_invoices(b: Books, q: dict[str, int]) -> None:
    """Estimates, some of them accepted and invoiced, and the other invoices of the year."""
    rng = b.rng
    clock = b.clock
    # Estimates; some accepted and turned into invoices (then QBO closes them), a few rejected.
    n_inv = q["Invoice"]
    converted = 0
    for day in b.days(q["Estimate"]):
        cust = b.cust_pool.pick(rng, day)
        spec = sale_spec(b, day, rng.randint(1, 4))
        t = sales_form(b, "Estimate", b.at(day), cust, spec)
        p = t.p
        p["ExpirationDate"] = clock.dates[day + 30]
        p["PrintStatus"] = "NotSet"
        p["EmailStatus"] = "EmailSent"
        p["CustomField"] = crew(b)
        b.tagging(p, 0.3, 0.3)
        roll = rng.random()
        when = b.after(t.ts, 1, 21) if roll < 0.55 and converted < n_inv else None
        if when is not None:
            converted += 1
            p["TxnStatus"] = "Closed"
            p["AcceptedBy"] = cust.given or cust.label
            p["AcceptedDate"] = clock.dates[when // DAY]
            inv = invoice(b, when, cust, spec)
            inv.p["LinkedTxn"].append(b.link(t, "Estimate"))
            p["LinkedTxn"] = [b.link(inv, "Invoice")]
            t.upd = inv.ts
        elif roll < 0.7:
            p["TxnStatus"] = "Accepted"
            p["AcceptedBy"] = cust.given or cust.label
            p["AcceptedDate"] = clock.dates[min(day + rng.randint(0, 5), YEAR)]
            t.upd = b.later(t.ts)
        elif roll < 0.85:
            p["TxnStatus"] = "Rejected"
            t.upd = b.later(t.ts)
        else:
            p["TxnStatus"] = "Pending"
    for i, day in enumerate(b.days(n_inv - converted)):
        # every 20th invoice is for a customer abroad, in EUR and without sales tax
        abroad = i % 20 == 7 and b.eur_customers
        cust = b.eur_pool.pick(rng, day) if abroad else b.cust_pool.pick(rng, day)
        discount = rng.choice((5, 10)) if rng.random() < 0.08 else 0
        invoice(b, b.at(day), cust, sale_spec(b, day, rng.randint(1, 5)), discount)


def sales_receipts(b: Books, q: dict[str, int]) -> None:
    """Sales paid on the spot; most of the money waits in Undeposited Funds for a deposit."""
    rng = b.rng
    for i, day in enumerate(b.days(q["SalesReceipt"])):
        cust = None if i % 7 == 3 else b.cust_pool.pick(rng, day)  # walk-in sales have no customer
        t = sales_form(b, "SalesReceipt", b.at(day), cust, sale_spec(b, day, rng.randint(1, 3)))
        method = b.methods[rng.choice(("Cash", "Check", "Visa", "MasterCard", "American Express"))]
        # the first ones always wait in Undeposited Funds, so every deposit has something to deposit
        to_bank = i >= q["Deposit"] and rng.random() < 0.12
        t.p.update(
            {
                "PaymentMethodRef": method.ref(),
                "PaymentRefNum": str(rng.randint(1000, 99999)),
                "DepositToAccountRef": b.acct["checking" if to_bank else "uf"].ref(),
                "Balance": 0,
                "PrintStatus": "NotSet",
                "EmailStatus": "NotSet",
                "CustomField": crew(b),
            }
        )
        b.tagging(t.p)
        if not to_bank:
            b.undeposited.append(t)


def credits(b: Books, q: dict[str, int]) -> None:
    """Credit memos (returned materials) and refund receipts (money paid back from Checking)."""
    rng = b.rng
    for day in b.days(q["CreditMemo"]):
        cust = b.cust_pool.pick(rng, day)
        t = sales_form(b, "CreditMemo", b.at(day), cust, sale_spec(b, day, rng.randint(1, 2)), sign=-1)
        t.p.update(
            {
                "RemainingCredit": t.total / 100,
                "Balance": t.total / 100,
                "PrintStatus": "NotSet",
                "EmailStatus": "NotSet",
                "CustomerMemo": {"value": "Credit for returned materials"},
            }
        )
        cust.balance -= t.total
    for day in b.days(q["RefundReceipt"]):
        cust = b.cust_pool.pick(rng, day)
        t = sales_form(b, "RefundReceipt", b.at(day), cust, sale_spec(b, day, 1), sign=-1)
        method = b.methods[rng.choice(("Cash", "Check", "Visa", "MasterCard"))]
        t.p.update(
            {
                "DepositToAccountRef": b.acct["checking"].ref(),
                "PaymentMethodRef": method.ref(),
                "Balance": 0,
                "PrintStatus": "NotSet",
                "EmailStatus": "NotSet",
            }
        )


# -- purchases ---------------------------------------------------------------------------


def payments(b: Books, quota: int) -> None:
    """Customer payments of the invoices (some in part, several invoices at once); invoices' balances."""
    rng = b.rng
    invoices = b.by_kind["Invoice"]
    plans, short = settle(b, invoices, quota, 50)
    for ts, parts in plans:
        cust = parts[0][0].party
        assert cust is not None
        lines = []
        total = 0
        t = b.txn("Payment", ts, {})
        for d, amount in parts:
            lines.append({"Amount": amount / 100, "LinkedTxn": [b.link(d, "Invoice")]})
            total += amount
            d.p["LinkedTxn"].append(b.link(t, "Payment"))
            d.upd = max(d.upd, ts)
        payment(b, t, cust, lines, total, 0)
    for _ in range(short):  # only in tiny companies: money received before it was invoiced
        cust = b.cust_pool.objs[0]
        amount = rng.randint(5_000, 50_000)
        t = b.txn("Payment", b.at(rng.randint(1, YEAR)), {})
        payment(b, t, cust, [], amount, amount)
        cust.balance -= amount
    for d in invoices:
        d.p["Balance"] = d.open / 100
        if d.rate != 1.0:
            d.p["HomeBalance"] = round(d.open * d.rate) / 100
        assert d.party is not None
        d.party.balance += d.open


def payment(b: Books, t: Txn, cust: Party, lines: list[Payload], total: int, unapplied: int) -> None:
    """A payment's header: method, where the money goes (Undeposited Funds or the bank), currency."""
    rng = b.rng
    method = rng.choice(("Check", "Check", "Check", "Visa", "MasterCard", "American Express", "Cash"))
    foreign = cust.currency != HOME
    # most payments wait in Undeposited Funds for a deposit; foreign ones go straight to the bank
    to_bank = foreign or rng.random() < 0.15
    p = t.p
    p.update(
        {
            "TxnDate": b.clock.dates[t.day],
            "CurrencyRef": {"value": cust.currency[0], "name": cust.currency[1]},
            "CustomerRef": cust.ref(),
            "DepositToAccountRef": b.acct["checking" if to_bank else "uf"].ref(),
            "PaymentMethodRef": b.methods[method].ref(),
        }
    )
    if method == "Check":
        p["PaymentRefNum"] = str(rng.randint(1000, 9999))
    p.update(
        {"TotalAmt": total / 100, "UnappliedAmt": unapplied / 100, "ProcessPayment": False, "Line": lines}
    )
    if foreign:
        t.rate = b.rate_on(t.day)
        p["ExchangeRate"] = t.rate
    t.party, t.total = cust, total
    if not to_bank:
        b.undeposited.append(t)
