"""Customers (with their jobs), vendors and employees: one name space, as in QBO.

The parties are made before the year's transactions and written after them, when their balances
are known.
"""

from __future__ import annotations

from collections.abc import Sequence

from .books import Books
from .data.people import (
    CITIES,
    CUSTOMER_TRADES,
    CUSTOMERS,
    EMPLOYEES,
    EUR_CUSTOMERS,
    FIRST,
    INACTIVE_CUSTOMERS,
    INACTIVE_EMPLOYEES,
    INACTIVE_VENDORS,
    JOB_NAMES,
    LAST,
    TUCSON,
    VENDOR_TRADES,
    VENDORS,
)
from .model import DAY, FOREIGN, HOME, Party, Payload, Pool


def customers(b: Books) -> None:
    """Intuit's named customers, more in a larger company, a few abroad (EUR) and a few inactive."""
    rng = b.rng
    n_top = max(len(CUSTOMERS), b.size // 50)
    specs: list[Party] = []
    for i, (display, given, family, is_company, city, jobs) in enumerate(CUSTOMERS):
        created = b.setup_ts(500 + i) if i < 12 else b.early(rng.randrange(1, 40))
        specs += customer(b, display, given, family, is_company, city, created, jobs=jobs, named=True)
    for _ in range(n_top - len(CUSTOMERS)):
        given, family = rng.choice(FIRST), rng.choice(LAST)
        is_company = rng.random() < 0.45
        display = f"{family} {rng.choice(CUSTOMER_TRADES)}" if is_company else f"{given} {family}"
        created = b.early(rng.randrange(0, 330))
        jobs = tuple(rng.sample(JOB_NAMES, rng.randint(1, 2))) if rng.random() < 0.12 else ()
        city = rng.randrange(-1, len(CITIES))
        specs += customer(b, display, given, family, is_company, city, created, jobs=jobs)
    b.eur_customers = []
    for i in range(len(EUR_CUSTOMERS) + b.size // 5000):
        display, given, family, line1, town, postal, country = EUR_CUSTOMERS[i % len(EUR_CUSTOMERS)]
        created = b.setup_ts(540 + i) if i < 2 else b.early(rng.randrange(1, 300))
        party = customer(b, display, given, family, True, 0, created, currency=FOREIGN)[0]
        party.addr = b.address(line1, town, "", postal, country)
        del party.addr["CountrySubDivisionCode"]
        party.phone = (
            f"+49 89 {rng.randint(1000000, 9999999)}"
            if country == "DE"
            else f"+33 4 42 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        )
        party.tax_code = None
        specs.append(party)
        b.eur_customers.append(party)
    for i in range(len(INACTIVE_CUSTOMERS) + b.size // 10_000):
        display, given, family = INACTIVE_CUSTOMERS[i % len(INACTIVE_CUSTOMERS)]
        specs += customer(
            b,
            display,
            given,
            family,
            True,
            rng.randrange(len(CITIES)),
            b.setup_ts(560 + i),
            active=False,
        )
    specs.sort(key=lambda c: (c.created, c.n))
    for i, c in enumerate(specs):
        c.id = str(i + 1)
    b.customer_list = specs
    usable = [c for c in specs if c.active and c.currency == HOME]
    b.cust_pool = Pool(usable, [c.created // DAY for c in usable])
    eur = sorted(b.eur_customers, key=lambda c: c.created)
    b.eur_pool = Pool(eur, [c.created // DAY for c in eur])


def customer(
    b: Books,
    display: str,
    given: str,
    family: str,
    is_company: bool,
    city: int,
    created: int,
    *,
    jobs: Sequence[str] = (),
    currency: tuple[str, str] = HOME,
    active: bool = True,
    named: bool = False,
) -> list[Party]:
    """A top-level customer and its jobs (sub-customers), created a few days after it."""
    rng = b.rng
    label = b.unique(display)
    place = TUCSON if city < 0 else CITIES[city]
    party = Party(
        "",
        label,
        kind="Customer",
        n=len(b.taken),
        label=label,
        given=given,
        family=family,
        company=is_company,
        created=created,
        active=active,
        currency=currency,
    )
    party.addr = b.address(b.street(), *place)
    party.phone = b.phone("520" if city < 0 else "650")
    slug = "".join(ch for ch in label.lower() if ch.isalnum())[:24]
    party.email = f"{slug}@example.com"
    if named or rng.random() < 0.8:  # Intuit's named customers all pay sales tax
        party.tax_code = b.tax_codes[1 if city < 0 else 0]
    party.term = rng.choice(b.terms[:5]) if rng.random() < 0.7 else None
    if not active:
        party.label = party.name = f"{label} (deleted)"
        party.updated = rng.randint(created, b.clock.now_ts)
    made = [party]
    for job in jobs:
        job_label = b.unique(job)
        # a job is set up a few days after its customer, before business hours like other setup
        when = min(created // DAY + rng.randint(1, 20), 330) * DAY + 6 * 3600 + rng.randrange(3600)
        child = Party(
            "",
            f"{label}:{job_label}",
            kind="Customer",
            n=len(b.taken),
            label=job_label,
            created=max(when, created + 60),
            currency=currency,
            parent=party,
        )
        child.addr = b.address(b.street(), *place)
        child.tax_code, child.term, child.phone = party.tax_code, party.term, party.phone
        made.append(child)
    return made


def vendors(b: Books) -> None:
    """Intuit's named vendors, more in a larger company, and an inactive one."""
    rng = b.rng
    n_total = max(len(VENDORS), b.size // 100)
    specs: list[Party] = []
    for i, (display, given, family, expense, supplier, contractor) in enumerate(VENDORS):
        created = b.setup_ts(700 + i) if i < 18 else b.early(rng.randrange(1, 40))
        specs.append(vendor(b, display, given, family, expense, supplier, contractor, created))
    for _ in range(n_total - len(VENDORS)):
        family = rng.choice(LAST)
        trade, expense, supplier = rng.choice(VENDOR_TRADES)
        created = rng.randrange(0, 330) * DAY + 6 * 3600 + rng.randrange(7200)
        contractor = rng.random() < 0.1
        specs.append(vendor(b, f"{family} {trade}", "", "", expense, supplier, contractor, created))
    for i in range(len(INACTIVE_VENDORS) + b.size // 20_000):
        name = INACTIVE_VENDORS[i % len(INACTIVE_VENDORS)]
        created = b.setup_ts(760 + i)
        specs.append(vendor(b, name, "", "", "plants", True, False, created, active=False))
    specs.sort(key=lambda v: (v.created, v.n))
    for i, v in enumerate(specs):
        v.id = str(i + 1)
    b.vendor_list = specs
    usable = [v for v in specs if v.active]
    b.vendor_pool = Pool(usable, [v.created // DAY for v in usable])
    suppliers = [v for v in usable if v.supplier]
    b.supplier_pool = Pool(suppliers, [v.created // DAY for v in suppliers])
    contractors = [v for v in usable if v.contractor]
    b.contractor_pool = Pool(contractors, [v.created // DAY for v in contractors])


def vendor(
    b: Books,
    display: str,
    given: str,
    family: str,
    expense: str,
    supplier: bool,
    contractor: bool,
    created: int,
    active: bool = True,
) -> Party:
    rng = b.rng
    label = b.unique(display)
    party = Party(
        "",
        label,
        kind="Vendor",
        n=len(b.taken),
        label=label,
        given=given,
        family=family,
        company=True,
        created=created,
        active=active,
        expense=expense,
        supplier=supplier,
        contractor=contractor,
    )
    party.addr = b.address(b.street(), *rng.choice(CITIES))
    party.phone = b.phone()
    party.term = rng.choice(b.terms[:5]) if rng.random() < 0.6 else None
    if not active:
        party.label = party.name = f"{label} (deleted)"
        party.updated = rng.randint(created, b.clock.now_ts)
    return party


def employees(b: Books) -> None:
    """The crew, a few more in a larger company, and one who left."""
    rng = b.rng
    specs: list[Party] = []
    rows = list(EMPLOYEES)
    for _ in range(b.size // 5000):
        rows.append((rng.choice(FIRST), rng.choice(LAST), rng.choice((3500, 4000, 4500, 5000))))
    for i, (given, family, rate) in enumerate(rows):
        label = b.unique(f"{given} {family}")
        created = b.setup_ts(800 + i) if i < len(EMPLOYEES) else b.early(rng.randrange(1, 300))
        party = Party(
            "",
            label,
            kind="Employee",
            n=i,
            label=label,
            given=given,
            family=family,
            created=created,
            rate=rate,
        )
        party.addr = b.address(b.street(), *rng.choice(CITIES))
        party.phone = b.phone("408")
        specs.append(party)
    for i, (given, family) in enumerate(INACTIVE_EMPLOYEES):
        label = b.unique(f"{given} {family}")
        shown = f"{label} (deleted)"
        party = Party(
            "",
            shown,
            kind="Employee",
            n=len(rows) + i,
            label=shown,
            given=given,
            family=family,
            created=b.setup_ts(820 + i),
            active=False,
            rate=4000,
        )
        party.updated = rng.randint(party.created, b.clock.now_ts)
        party.addr = b.address(b.street(), *rng.choice(CITIES))
        specs.append(party)
    specs.sort(key=lambda e: (e.created, e.n))
    for i, e in enumerate(specs):
        e.id = str(i + 1)
    b.employee_list = specs
    usable = [e for e in specs if e.active]
    b.employee_pool = Pool(usable, [e.created // DAY for e in usable])


# -- sales -------------------------------------------------------------------------------


def emit_parties(b: Books) -> None:
    """The Customer, Vendor and Employee payloads, with the balances the year left them."""
    rng, clock = b.rng, b.clock
    start = clock.dates[0]
    jobs_total: dict[int, int] = {}
    for c in b.customer_list:
        if c.parent is not None:
            jobs_total[c.parent.n] = jobs_total.get(c.parent.n, 0) + c.balance
    recent = b.recent_set(len(b.customer_list))
    for i, c in enumerate(b.customer_list):
        updated = row_updated(b, c, i in recent)
        p = b.entity(c.id, c.created, updated)
        party_names(p, c)
        p["FullyQualifiedName"] = c.name
        p["Active"] = c.active
        p["Job"] = c.parent is not None
        p["BillWithParent"] = False
        if c.parent is not None:
            p.update({"ParentRef": c.parent.ref(), "Level": 1})
        p["Taxable"] = c.tax_code is not None
        if c.tax_code is not None:
            p["DefaultTaxCodeRef"] = c.tax_code.ref()
        p.update(
            {
                "Balance": c.balance / 100,
                "BalanceWithJobs": (c.balance + jobs_total.get(c.n, 0)) / 100,
                "CurrencyRef": {"value": c.currency[0], "name": c.currency[1]},
                "PreferredDeliveryMethod": "Email" if c.n % 3 else "Print",
            }
        )
        if c.term is not None:
            p["SalesTermRef"] = c.term.ref()
        contact(p, c, "BillAddr")
        if c.parent is None and c.addr:
            p["ShipAddr"] = dict(c.addr)
        b.out["Customer"].append(p)
    recent = b.recent_set(len(b.vendor_list))
    for i, v in enumerate(b.vendor_list):
        updated = row_updated(b, v, i in recent)
        p = b.entity(v.id, v.created, updated)
        party_names(p, v)
        p["Active"] = v.active
        p["Vendor1099"] = v.contractor
        if v.contractor:
            p["TaxIdentifier"] = f"XXXXXX{rng.randint(1000, 9999)}"
        p.update({"Balance": v.balance / 100, "CurrencyRef": {"value": HOME[0], "name": HOME[1]}})
        if v.term is not None:
            p["TermRef"] = v.term.ref()
        if v.n % 2:
            p["AcctNum"] = str(rng.randint(1000, 9_999_999))
        contact(p, v, "BillAddr")
        b.out["Vendor"].append(p)
    recent = b.recent_set(len(b.employee_list), 5)
    for i, e in enumerate(b.employee_list):
        updated = row_updated(b, e, i in recent)
        p = b.entity(e.id, e.created, updated)
        p.update(
            {
                "GivenName": e.given,
                "FamilyName": e.family,
                "DisplayName": e.label,
                "PrintOnCheckName": f"{e.given} {e.family}",
                "Active": e.active,
                "EmployeeNumber": f"E{int(e.id):03d}",
                "BillableTime": True,
                "BillRate": e.rate / 100,
                "CostRate": e.rate * 55 // 100 / 100,
                "HiredDate": clock.dates[max(0, e.created // DAY - 30)] if e.created else start,
            }
        )
        contact(p, e, "PrimaryAddr")
        b.out["Employee"].append(p)


def row_updated(b: Books, party: Party, recent: bool) -> int:
    """A party's LastUpdatedTime: edited in the last days, made inactive some day, or maybe edited."""
    if recent:
        return b.later(party.created, True)
    return party.updated if not party.active else b.later(party.created)


def party_names(p: Payload, party: Party) -> None:
    """The name fields of a customer or vendor."""
    if party.given:
        p["GivenName"] = party.given
    if party.family:
        p["FamilyName"] = party.family
    if party.company and party.parent is None:
        p["CompanyName"] = party.label.removesuffix(" (deleted)")
    p["DisplayName"] = party.label
    p["PrintOnCheckName"] = party.label.removesuffix(" (deleted)")


def contact(p: Payload, party: Party, addr_key: str) -> None:
    """Address, phone and email, those the party has."""
    if party.addr:
        p[addr_key] = dict(party.addr)
    if party.phone:
        p["PrimaryPhone"] = {"FreeFormNumber": party.phone}
    if party.email:
        p["PrimaryEmailAddr"] = {"Address": party.email}
