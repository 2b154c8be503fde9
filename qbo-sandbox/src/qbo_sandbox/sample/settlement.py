"""Settling documents: when each invoice or bill gets paid, how much, and which ones share a payment."""

from __future__ import annotations

from .books import Books
from .model import CLOSE, DAY, OPEN, Plan, Txn


def settle(b: Books, docs: list[Txn], quota: int, max_delay: int) -> tuple[list[Plan], int]:
    """Plan ``quota`` payments of ``docs``: (time, [(document, amount)]), and how many could not be made.

    Each document gets paid some days after it, or stays open when that would be after now;
    documents of one party paid close together share a payment (as customers pay several
    invoices with one check); to reach the quota, some are paid in two installments and
    some open ones partly. A payment never exceeds what is still open on a document.
    """
    rng, now = b.rng, b.clock.now_ts
    due: list[tuple[int, int, Txn]] = []
    for d in docs:
        # paid in business hours some days later (or, for a same-day payment, an hour later)
        pay = max((d.day + rng.randint(0, max_delay)) * DAY + rng.randrange(OPEN, CLOSE), d.ts + 3600)
        if pay <= now:
            due.append((pay, d.seq, d))
    due.sort(key=lambda x: (x[0], x[1]))
    merges = max(0, len(due) - quota)
    groups: list[tuple[list[int], list[Txn]]] = []  # ([first pay, last pay], documents)
    latest: dict[tuple[str, int], tuple[list[int], list[Txn]]] = {}
    for pay, _, d in due:
        assert d.party is not None
        key = (d.party.kind, d.party.n)
        g = latest.get(key)
        if merges and g is not None and pay - g[0][0] <= 21 * DAY and len(g[1]) < 4:
            g[0][1] = pay
            g[1].append(d)
            merges -= 1
        else:
            g = ([pay, pay], [d])
            groups.append(g)
            latest[key] = g
    groups.sort(key=lambda g: g[0][1])  # stable: ties keep their order
    plans: list[Plan] = []
    kept = groups[:quota]
    # some customers pay part now and owe the rest: a fixed share, so every company has them
    single = [i for i, (_, members) in enumerate(kept) if len(members) == 1 and members[0].open >= 200]
    partial = set(rng.sample(single, min(len(single), max(2, len(single) // 16))))
    for i, ((_, last), members) in enumerate(kept):
        if i in partial:
            d = members[0]
            part = d.open * rng.randint(30, 70) // 100
            plans.append((last, [(d, part)]))
            d.open -= part
            continue
        plans.append((last, [(d, d.open) for d in members]))
        for d in members:
            d.open = 0
    short = quota - len(plans)
    if short > 0:
        order = list(range(len(plans)))
        rng.shuffle(order)
        for i in order:
            ts, parts = plans[i]
            d, amount = parts[0]
            if short and len(parts) == 1 and amount >= 200 and ts - d.ts >= 2:
                first = rng.randint(d.ts + 1, ts - 1)
                part = amount * rng.randint(30, 70) // 100
                plans[i] = (ts, [(d, amount - part)])
                plans.append((first, [(d, part)]))
                short -= 1
    for _ in range(3):  # partial payments on what is still open, a few rounds if need be
        for d in docs:
            if short == 0:
                break
            if d.open >= 200 and d.ts < now:
                part = d.open * rng.randint(20, 60) // 100
                plans.append((rng.randint(d.ts + 1, now), [(d, part)]))
                d.open -= part
                short -= 1
    return plans, short
