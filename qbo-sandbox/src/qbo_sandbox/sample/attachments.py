"""Attachments: scanned receipts, signed estimates and notes on transactions, W-9s on contractors."""

from __future__ import annotations

from .books import Books
from .data.lists import ATTACHMENTS
from .model import DAY, Payload


def attachables(b: Books) -> None:
    """Scanned receipts, signed estimates and notes, on transactions; a W-9 on some vendors."""
    rng, clock = b.rng, b.clock
    kinds = ("Invoice", "Bill", "Purchase", "Estimate", "SalesReceipt")
    targets = [t for t in b.txns if t.kind in kinds]
    count = max(4, b.size // 35)
    picked = sorted(rng.sample(range(len(targets)), min(count, len(targets))))
    # at least one on an invoice, the commonest attachment in QBO
    first_invoice = next(i for i, t in enumerate(targets) if t.kind == "Invoice")
    if first_invoice not in picked:
        picked = sorted([first_invoice, *picked[1:]])
    made: list[tuple[int, Payload]] = []
    for i in picked:
        t = targets[i]
        ts = min(t.ts + rng.randrange(60, 2 * DAY), clock.now_ts)
        ref = {"EntityRef": {"type": t.kind, "value": t.p["Id"]}, "IncludeOnSend": False}
        doc = t.p.get("DocNumber") or t.p["Id"]
        if rng.random() < 0.2:
            body: Payload = {"Note": f"Called about {t.kind.lower()} {doc}; will follow up next week."}
        else:
            ext, content_type, category = rng.choice(ATTACHMENTS)
            body = {
                "FileName": f"{t.kind.lower()}-{doc}.{ext}",
                "ContentType": content_type,
                "Size": rng.randint(12_000, 2_400_000),
                "Category": category,
            }
        body["AttachableRef"] = [ref]
        made.append((ts, body))
    contractors = [v for v in b.vendor_list if v.active and v.contractor]
    for v in contractors[: 3 + b.size // 2000]:
        made.append(
            (
                v.created + 600,
                {
                    "FileName": f"W-9 {v.label}.pdf",
                    "ContentType": "application/pdf",
                    "Size": rng.randint(80_000, 400_000),
                    "Category": "Document",
                    "AttachableRef": [
                        {"EntityRef": {"type": "Vendor", "value": v.id}, "IncludeOnSend": False}
                    ],
                },
            )
        )
    made.sort(key=lambda m: m[0])
    for n, (ts, body) in enumerate(made, 1):
        b.out["Attachable"].append({**b.entity(str(n), ts, b.later(ts)), **body})
