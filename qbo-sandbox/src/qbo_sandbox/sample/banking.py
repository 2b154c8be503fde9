"""Banking: transfers between the bank and card accounts, deposits of Undeposited Funds, and the
opening balances that keep the bank accounts in funds all year."""

from __future__ import annotations

from collections.abc import Iterator

from .books import Books
from .data.accounts import TRANSFERS
from .model import HOME, Payload, Txn

#: The bank accounts (keys of the chart of accounts) the opening entry funds.
BANKS = ("checking", "savings", "petty")
#: What each bank account keeps above its lowest point of the year: a tenth of what it pays out,
#: at least this much (cents).
_MIN_CUSHION = 50_000


def transfers(b: Books, q: dict[str, int]) -> None:
    """Money moved between Checking, Savings and Petty Cash, and credit card bills paid from Checking."""
    rng = b.rng
    for day in b.days(q["Transfer"]):
        source, target, lo, hi = rng.choice(TRANSFERS)
        amount = rng.randint(lo // 100, hi // 100) * 100  # round dollars, as people transfer
        p: Payload = {
            "TxnDate": b.clock.dates[day],
            "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
            "FromAccountRef": b.acct[source].ref(),
            "ToAccountRef": b.acct[target].ref(),
            "Amount": amount / 100,
        }
        if target in ("visa", "mastercard"):
            p["PrivateNote"] = "Credit card payment"
        t = b.txn("Transfer", b.at(day), p)
        t.total = amount


def deposits(b: Books, quota: int) -> None:
    """Deposits of Undeposited Funds into Checking: a few payments and receipts at a time."""
    now = b.clock.now_ts
    funds = sorted(b.undeposited, key=lambda t: (t.ts, t.seq))
    # sales() sends at least ``quota`` receipts to Undeposited Funds, so no deposit is empty
    assert len(funds) >= quota
    keep = min(len(funds) - quota, max(1, len(funds) // 25))  # the latest wait for the bank
    funds = funds[: len(funds) - keep]
    for i in range(quota):
        chunk = funds[i * len(funds) // quota : (i + 1) * len(funds) // quota]
        # to the bank within a few days of the last payment in it
        t = b.txn("Deposit", b.after(chunk[-1].ts, 0, 3) or now, {})
        lines: list[Payload] = []
        total = 0
        for n, item in enumerate(chunk, 1):
            linked = b.link(item, item.kind)
            linked["TxnLineId"] = "0"
            lines.append({"Id": str(n), "LineNum": n, "Amount": item.total / 100, "LinkedTxn": [linked]})
            total += item.total
        t.p.update(
            {
                "TxnDate": b.clock.dates[t.day],
                "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
                "DepositToAccountRef": b.acct["checking"].ref(),
                "Line": lines,
                "TotalAmt": total / 100,
            }
        )
        t.total = total


def opening_balances(b: Books) -> None:
    """Write the opening entry's lines: each bank account opens with what it needs to stay in funds.

    A business opens its books with the cash it has; here that is, per bank account, the deepest
    the year's payments would take it below zero, plus a cushion of a tenth of what it pays out
    during the year, rounded up to hundreds of dollars. So no bank account is ever overdrawn: at
    every moment of the year, receipts and the opening balance cover what has been paid out.
    """
    ids = {b.acct[key].id: key for key in BANKS}
    balance = dict.fromkeys(BANKS, 0)
    lowest = dict.fromkeys(BANKS, 0)
    paid_out = dict.fromkeys(BANKS, 0)
    for t in sorted(b.txns, key=lambda t: (t.ts, t.seq)):
        for account_id, cents in _bank_moves(t):
            key = ids.get(account_id)
            if key is None:
                continue
            balance[key] += cents
            lowest[key] = min(lowest[key], balance[key])
            if cents < 0:
                paid_out[key] -= cents
    lines: list[Payload] = []
    total = 0
    for key in BANKS:
        need = -lowest[key] + max(_MIN_CUSHION, paid_out[key] // 10)
        amount = -(-need // 10_000) * 10_000
        total += amount
        lines.append(_opening_line(b, len(lines), key, "Debit", amount))
    lines.append(_opening_line(b, len(lines), "obe", "Credit", total))
    b.opening.p["Line"] = lines
    b.opening.total = total


def _opening_line(b: Books, n: int, key: str, side: str, cents: int) -> Payload:
    return {
        "Id": str(n),
        "Description": "Opening balance",
        "Amount": cents / 100,
        "DetailType": "JournalEntryLineDetail",
        "JournalEntryLineDetail": {"PostingType": side, "AccountRef": b.acct[key].ref()},
    }


def _bank_moves(t: Txn) -> Iterator[tuple[str, int]]:
    """(account Id, cents in or out) of the money a transaction moves in or out of an account, as
    the ledger posts it (amounts in the transaction's currency, as for any account)."""
    p = t.p
    kind = t.kind
    if kind in ("Deposit", "Payment", "SalesReceipt"):
        yield p["DepositToAccountRef"]["value"], t.total
    elif kind == "RefundReceipt":
        yield p["DepositToAccountRef"]["value"], -t.total
    elif kind == "Purchase":
        yield p["AccountRef"]["value"], -t.total
    elif kind == "BillPayment" and "CheckPayment" in p:
        yield p["CheckPayment"]["BankAccountRef"]["value"], -t.total
    elif kind == "CreditCardPaymentTxn":
        yield p["BankAccountRef"]["value"], -t.total
    elif kind == "Transfer":
        yield p["FromAccountRef"]["value"], -t.total
        yield p["ToAccountRef"]["value"], t.total
    elif kind == "JournalEntry":
        for line in p["Line"]:
            detail = line["JournalEntryLineDetail"]
            cents = round(line["Amount"] * 100)
            yield detail["AccountRef"]["value"], cents if detail["PostingType"] == "Debit" else -cents
