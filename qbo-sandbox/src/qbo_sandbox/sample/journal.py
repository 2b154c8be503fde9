"""Journal entries: the opening balances, depreciation, payroll summaries, loan and sales tax payments,
reclassifications."""

from __future__ import annotations

from .books import Books
from .data.accounts import JE_TEMPLATES
from .model import DAY, HOME, Payload, Txn

#: The opening entry's time: the year's first day (day 1: day 0 lies just outside the year a report
#: of the last 365 days covers), before business hours, so before any other transaction.
_OPENING_TS = DAY + 6 * 3600 + 45 * 60


def journal_entries(b: Books, q: dict[str, int]) -> None:
    """The opening balances on the first day, then entries drawn from :data:`~.data.accounts.JE_TEMPLATES`."""
    rng = b.rng
    b.opening = opening_entry(b)
    for day in b.days(q["JournalEntry"] - 1):
        note, legs, lo, hi, adjustment = rng.choice(JE_TEMPLATES)
        total = rng.randint(lo, hi)
        debits = [key for key, side in legs if side == "Debit"]
        credits = [key for key, side in legs if side == "Credit"]
        lines: list[Payload] = []
        for side, keys in (("Debit", debits), ("Credit", credits)):
            left = total
            for i, key in enumerate(keys):
                # the first legs take a share, the last one the rest, so each side sums to total
                amount = left if i == len(keys) - 1 else total * rng.randint(55, 85) // 100
                left -= amount
                lines.append(
                    {
                        "Id": str(len(lines)),
                        "Description": note,
                        "Amount": amount / 100,
                        "DetailType": "JournalEntryLineDetail",
                        "JournalEntryLineDetail": {
                            "PostingType": side,
                            "AccountRef": b.acct[key].ref(),
                        },
                    }
                )
        p = {
            "TxnDate": b.clock.dates[day],
            "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
            "PrivateNote": note,
            "Line": lines,
            "Adjustment": adjustment,
        }
        t = b.txn("JournalEntry", b.at(day), p)
        t.total = total


def opening_entry(b: Books) -> Txn:
    """The journal entry that opens the bank accounts against Opening Balance Equity, as QBO records
    an account's opening balance; its lines are written by :func:`~.banking.opening_balances` once
    the year's payments are known."""
    p: Payload = {
        "TxnDate": b.clock.dates[_OPENING_TS // DAY],
        "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
        "PrivateNote": "Opening balances",
        "Line": [],
        "Adjustment": False,
    }
    return b.txn("JournalEntry", _OPENING_TS, p)
