"""Time: the hours employees and contractors spend on customers' jobs (TimeActivity)."""

from __future__ import annotations

from .books import Books
from .model import Payload


def time_activities(b: Books, q: dict[str, int]) -> None:
    """Hours on a service for a customer, mostly by employees, billable at the item's price or not."""
    rng = b.rng
    for day in b.days(q["TimeActivity"]):
        cust = b.cust_pool.pick(rng, day)
        item = b.service_pool.pick(rng, day, 1.0)
        p: Payload = {"TxnDate": b.clock.dates[day]}
        if rng.random() < 0.8 or not b.contractor_pool.objs:
            worker = b.employee_pool.pick(rng, day, 1.0)
            p["NameOf"] = "Employee"
            p["EmployeeRef"] = worker.ref()
        else:
            worker = b.contractor_pool.pick(rng, day, 1.0)
            p["NameOf"] = "Vendor"
            p["VendorRef"] = worker.ref()
        p["CustomerRef"] = cust.ref()
        p["ItemRef"] = {"value": item.id, "name": item.name}
        if rng.random() < 0.3:
            p["ClassRef"] = rng.choice(b.classes).ref()
        billable = rng.random() < 0.65
        p["BillableStatus"] = "Billable" if billable else "NotBillable"
        p["Taxable"] = False
        if billable:
            p["HourlyRate"] = item.price / 100
        p.update(
            {
                "Hours": rng.randint(1, 8),
                "Minutes": rng.choice((0, 0, 15, 30, 45)),
                "Description": f"{item.desc} for {cust.label}",
            }
        )
        b.txn("TimeActivity", b.at(day), p)


# -- settling: payments, bill payments, deposits -----------------------------------------
