"""Banking: transfers between the bank and card accounts, and deposits of Undeposited Funds."""

from __future__ import annotations

from .books import Books
from .data.accounts import TRANSFERS
from .model import HOME, Payload


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
