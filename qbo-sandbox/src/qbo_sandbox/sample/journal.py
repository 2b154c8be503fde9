"""Journal entries: depreciation, payroll summaries, loan and sales tax payments, reclassifications."""

from __future__ import annotations

from .books import Books
from .data.accounts import JE_TEMPLATES
from .model import HOME, Payload


def journal_entries(b: Books, q: dict[str, int]) -> None:
    """Journal entries drawn from :data:`~.data.accounts.JE_TEMPLATES`, each side summing to the total."""
    rng = b.rng
    for day in b.days(q["JournalEntry"]):
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
