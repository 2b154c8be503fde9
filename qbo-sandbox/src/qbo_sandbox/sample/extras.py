"""The objects beyond the first 36: customer types, credit card payments, inventory adjustments, the
charges QuickBooks keeps for billable expenses, and a few recurring templates.

A US company holds no TaxPayment (QuickBooks keeps them for AU, CA and UK companies only), so the
sample has none.
"""

from __future__ import annotations

from datetime import date

from .books import Books
from .model import DAY, HOME, OPEN, YEAR, Payload, Txn

#: The customer types a landscaping business sorts its customers by.
CUSTOMER_TYPES = ("Commercial", "Residential", "Municipal")
#: Setup order of the customer types on day 0 (after the items, before the customers).
_SETUP_SLOT = 700
#: Accounts-based expense lines QuickBooks keeps a charge for once marked billable to a customer.
_BILLABLE_ACCOUNTS = ("job_materials", "plants", "decks", "lighting")


def customer_types(b: Books) -> None:
    """CustomerType rows, set up on the company's first day; no draws."""
    for n, name in enumerate(CUSTOMER_TYPES, 1):
        ts = b.setup_ts(_SETUP_SLOT + n)
        p = b.entity(str(n), ts, ts)
        p["Name"] = name
        p["Active"] = True
        b.out["CustomerType"].append(p)


def card_payments(b: Books, q: dict[str, int]) -> None:
    """Credit card bills paid from Checking (CreditCardPayment, answered as CreditCardPaymentTxn)."""
    rng = b.rng
    for day in b.days(q["CreditCardPaymentTxn"]):
        card = rng.choice(("visa", "mastercard"))
        amount = rng.randint(5, 30) * 10_000  # whole hundreds of dollars
        p: Payload = {
            "TxnDate": b.clock.dates[day],
            "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
            "BankAccountRef": b.acct["checking"].ref(),
            "CreditCardAccountRef": b.acct[card].ref(),
            "Amount": amount / 100,
            "PrivateNote": f"{b.acct[card].name} statement",
        }
        t = b.txn("CreditCardPaymentTxn", b.at(day), p)
        t.total = amount


def inventory_adjustments(b: Books, q: dict[str, int]) -> None:
    """Stock counts that found items damaged or missing: each line a quantity written off to
    Cost of Goods Sold at the item's cost (the item's QtyOnHand falls by as much)."""
    rng = b.rng
    stock = [it for it in b.item_list if it.type == "Inventory" and it.active]
    for day in b.days(q["InventoryAdjustment"]):
        ts = b.at(day)
        usable = [it for it in stock if it.created <= ts] or stock
        lines: list[Payload] = []
        total = 0
        for n, item in enumerate(rng.sample(usable, min(len(usable), rng.randint(1, 2))), 1):
            lost = rng.randint(1, 3)
            item.qty += lost  # sold minus bought: what the year took off the shelf
            item.updated = max(item.updated, ts)
            total += lost * item.cost
            lines.append(
                {
                    "Id": str(n),
                    "LineNum": n,
                    "DetailType": "ItemAdjustmentLineDetail",
                    "ItemAdjustmentLineDetail": {"ItemRef": item.ref(), "QtyDiff": -lost},
                }
            )
        p: Payload = {
            "TxnDate": b.clock.dates[day],
            "AdjustAccountRef": b.acct["cogs"].ref(),
            "PrivateNote": "Stock count: damaged or missing",
            "Line": lines,
        }
        t = b.txn("InventoryAdjustment", ts, p)
        t.total = total


def reimburse_charges(b: Books, q: dict[str, int]) -> None:
    """The charges QuickBooks keeps for billable expense lines not yet invoiced: the latest ones.

    Each mirrors one account-based line of a Purchase or Bill marked Billable to a customer, made
    when the expense was entered. A company with fewer billable lines than its quota has the latest
    expense lines on job accounts (else any) marked billable, as its owner would.
    """
    rng = b.rng
    expenses = sorted(b.by_kind["Purchase"] + b.by_kind["Bill"], key=lambda t: (t.ts, t.seq))
    candidates: list[tuple[Txn, Payload]] = []
    others: list[tuple[Txn, Payload]] = []
    for t in expenses:
        for line in t.p["Line"]:
            detail = line.get("AccountBasedExpenseLineDetail")
            if detail is None:
                continue
            (candidates if detail.get("BillableStatus") == "Billable" else others).append((t, line))
    missing = q["ReimburseCharge"] - len(candidates)
    if missing > 0:
        job = {b.acct[key].id for key in _BILLABLE_ACCOUNTS}
        others.sort(key=lambda tl: tl[1]["AccountBasedExpenseLineDetail"]["AccountRef"]["value"] in job)
        for t, line in others[-missing:]:
            detail = line["AccountBasedExpenseLineDetail"]
            detail["BillableStatus"] = "Billable"
            detail["CustomerRef"] = b.cust_pool.pick(rng, t.day).ref()
            candidates.append((t, line))
        candidates.sort(key=lambda tl: (tl[0].ts, tl[0].seq, int(tl[1]["Id"])))
    for t, line in candidates[len(candidates) - q["ReimburseCharge"] :]:
        detail = line["AccountBasedExpenseLineDetail"]
        cents = round(line["Amount"] * 100)
        p: Payload = {
            "TxnDate": t.p["TxnDate"],
            "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
            "CustomerRef": dict(detail["CustomerRef"]),
            "HasBeenInvoiced": False,
            "Amount": cents / 100,
            "Line": [
                {
                    "Id": "1",
                    "LineNum": 1,
                    "Description": line.get("Description", ""),
                    "Amount": cents / 100,
                    "DetailType": "ReimburseLineDetail",
                    "ReimburseLineDetail": {
                        "ItemAccountRef": dict(detail["AccountRef"]),
                        "TaxCodeRef": {"value": "NON"},
                    },
                }
            ],
        }
        charge = b.txn("ReimburseCharge", t.ts, p)
        charge.total = cents


def recurring_templates(b: Books) -> None:
    """RecurringTransaction templates: a monthly maintenance invoice, the monthly rent bill and a
    monthly sweep to Savings, each ``{"Invoice": {...}}`` as QuickBooks answers it; they post nothing."""
    rng = b.rng
    templates: list[tuple[str, Payload]] = []
    day = YEAR // 3 + rng.randrange(YEAR // 3)
    customer = b.cust_pool.pick(rng, day)
    service = b.service_pool.pick(rng, day)
    qty = 4
    amount = qty * service.price
    templates.append(
        (
            "Invoice",
            {
                "CustomerRef": customer.ref(),
                "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
                "Line": [
                    {
                        "Id": "1",
                        "LineNum": 1,
                        "Description": "Monthly garden maintenance",
                        "Amount": amount / 100,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {
                            "ItemRef": service.ref(),
                            "Qty": qty,
                            "UnitPrice": service.price / 100,
                            "TaxCodeRef": {"value": "NON"},
                        },
                    }
                ],
                "TotalAmt": amount / 100,
                "RecurringInfo": _schedule(b, f"Maintenance {customer.label}", day),
            },
        )
    )
    vendor = b.vendor_pool.pick(rng, day)
    rent = rng.randint(15, 30) * 10_000
    templates.append(
        (
            "Bill",
            {
                "VendorRef": vendor.ref(),
                "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
                "APAccountRef": b.acct["ap"].ref(),
                "Line": [
                    {
                        "Id": "1",
                        "LineNum": 1,
                        "Description": "Yard rent",
                        "Amount": rent / 100,
                        "DetailType": "AccountBasedExpenseLineDetail",
                        "AccountBasedExpenseLineDetail": {
                            "AccountRef": b.acct["rent"].ref(),
                            "BillableStatus": "NotBillable",
                            "TaxCodeRef": {"value": "NON"},
                        },
                    }
                ],
                "TotalAmt": rent / 100,
                "RecurringInfo": _schedule(b, "Monthly rent", day),
            },
        )
    )
    templates.append(
        (
            "Transfer",
            {
                "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
                "FromAccountRef": b.acct["checking"].ref(),
                "ToAccountRef": b.acct["savings"].ref(),
                "Amount": 500.0,
                "RecurringInfo": _schedule(b, "Savings sweep", day),
            },
        )
    )
    ts = day * DAY + OPEN  # set up first thing that morning
    for n, (kind, p) in enumerate(templates, 1):
        created = ts + 60 * n
        inner = {**p, **b.entity(str(n), created, created), "RecurDataRef": {"value": str(n)}}
        b.out["RecurringTransaction"].append({kind: inner})


def _schedule(b: Books, name: str, day: int) -> Payload:
    """Monthly on the 1st, from the first of the month after ``day``; its next date after today."""
    start = b.clock.start
    when = start.toordinal() + day
    first = _first_of_next_month(when)
    today = start.toordinal() + YEAR
    following = first
    while following <= today:
        following = _first_of_next_month(following)
    return {
        "Name": name,
        "RecurType": "Automated",
        "Active": True,
        "ScheduleInfo": {
            "IntervalType": "Monthly",
            "NumInterval": 1,
            "DayOfMonth": 1,
            "StartDate": date.fromordinal(first).isoformat(),
            "NextDate": date.fromordinal(following).isoformat(),
        },
    }


def _first_of_next_month(ordinal: int) -> int:
    d = date.fromordinal(ordinal)
    year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return date(year, month, 1).toordinal()
