"""The lists of the sample company: accounts, classes, terms, tax codes, payment methods, vendors,
employees, items and customers with their jobs, and what happens to them during the year.

:func:`build_lists` schedules the Adds (most on the setup day; some customers and jobs later in
the year as the business wins them), later Mods (a new phone number, a price rise), entries made
inactive (never used again from that day) and a few entries added by mistake and deleted
recently. It returns :class:`Lists`, what the transaction generators draw from.
"""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass, field

from . import sample_data as data
from .sample_plan import RECENT_DAYS, SETUP_DAY, YEAR, Context, Fields, Quota, Ref, money, ref

#: The first day after the year: the ``until`` of an entry that is never made inactive.
NEVER = YEAR + 1


@dataclass
class Entry:
    """A list entry as the generators see it: its full name and the days it may be used."""

    full_name: str
    ref: Ref
    since: int = SETUP_DAY  # the day it is added: usable from the day after
    until: int = NEVER  # the day it is made inactive: no longer usable that day

    def usable(self, day: int) -> bool:
        return self.since < day < self.until


@dataclass
class Customer(Entry):
    """A customer or job that is billed (a customer with jobs is billed through its jobs)."""

    terms: str = "Net 30"
    tax_code: str = "Tax"
    method: str = "Check"
    address: Fields = field(default_factory=dict)
    sales_class: str = "Remodel"
    late: int = 0  # days after the due date this customer usually pays
    bad_debt: bool = False  # never pays


@dataclass
class Vendor(Entry):
    category: str = "materials"
    terms: str = "Net 30"
    address: Fields = field(default_factory=dict)


@dataclass
class Item(Entry):
    row: data.ItemRow = data.ITEMS[1]
    vendor: str = ""  # the preferred vendor, who restocks it
    reorder: int = 0  # inventory: restock when fewer than this are on hand


@dataclass
class Lists:
    """What the transaction generators draw from."""

    accounts: dict[str, str]  # account key -> full name
    customers: list[Customer]  # the billable customers and jobs
    vendors: list[Vendor]
    employees: list[Entry]  # field workers (the office manager keeps no timesheets)
    items: dict[str, list[Item]]  # kind -> the items that are sold (not the parents)
    cash_customer: Customer
    _day: int = -1
    _pools: dict[str, list[Entry]] = field(default_factory=dict)

    def account(self, key: str) -> Fields:
        return ref(self.accounts[key])

    def pool(self, name: str, day: int) -> list[Entry]:
        """The entries of ``name`` (customers, vendors, employees or an item kind) usable on ``day``."""
        if day != self._day:
            self._day, self._pools = day, {}
        if name not in self._pools:
            source: list[Entry]
            if name == "customers":
                source = list(self.customers)
            elif name == "vendors":
                source = list(self.vendors)
            elif name == "employees":
                source = list(self.employees)
            else:
                source = list(self.items[name])
            self._pools[name] = [entry for entry in source if entry.usable(day)]
        return self._pools[name]


# --- names and contact details ------------------------------------------------------------------


def ascii_slug(text: str) -> str:
    """``Côté, Renée`` -> ``cote.renee``: e-mail addresses stay ASCII."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = "".join(c if c.isalnum() else " " for c in plain).split()
    return ".".join(words[:3]) or "info"


_MAIL_DOMAINS = ("example.com", "example.net", "example.org")


def _phone(rng: random.Random, area: str = "650") -> str:
    return f"({area}) 555-{rng.randrange(100, 10000):04d}"


def _address(rng: random.Random, first_line: str | None) -> Fields:
    city, state, zip_prefix = rng.choice(data.CITIES)
    street = f"{rng.randrange(10, 9900)} {rng.choice(data.STREETS)}"
    lines = {"Addr1": first_line[:41], "Addr2": street} if first_line else {"Addr1": street}
    return {**lines, "City": city, "State": state, "PostalCode": f"{zip_prefix}{rng.randrange(0, 100):02d}"}


class _Names:
    """Names given out once: customers, vendors and employees share one namespace in QuickBooks."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def take(self, name: str) -> bool:
        folded = name.casefold()
        if folded in self._taken:
            return False
        self._taken.add(folded)
        return True


def list_scale(size: int) -> float:
    """How much bigger than the default company's the lists are: the square root of the size ratio."""
    return max(0.3, math.sqrt(size / 1000))


# --- the generators -------------------------------------------------------------------------


class _ListBuilder:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.sched = ctx.sched
        self.rng = ctx.rng
        self.scale = list_scale(ctx.size)
        self.names = _Names()
        self.accounts: dict[str, str] = {}

    def recent_day(self) -> int:
        """A day in the last weeks of the year (deletions stay within the deleted-object window)."""
        return self.rng.randrange(YEAR - RECENT_DAYS + 10, YEAR - 5)

    def accounts_list(self) -> None:
        refs: dict[str, Ref] = {}
        for row in data.ACCOUNTS:
            self.accounts[row.key] = f"{self.accounts[row.parent]}:{row.name}" if row.parent else row.name
            fields: Fields = {"Name": row.name, "AccountType": row.type, "AccountNumber": row.number}
            if row.parent:
                fields["ParentRef"] = ref(self.accounts[row.parent])
            if row.desc:
                fields["Desc"] = row.desc
            if row.type == "Bank":
                fields["BankNumber"] = f"0049-{self.rng.randrange(1000, 9999)}-{self.rng.randrange(100, 999)}"
            refs[row.key] = self.sched.add(SETUP_DAY, "Account", fields)
        for key in data.INACTIVE_ACCOUNTS:
            self.sched.modify(self.rng.randrange(120, 200), "Account", refs[key], {"IsActive": False})
        self.sched.modify(
            self.rng.randrange(30, 90), "Account", refs["savings"], {"Desc": "Money market, 1.1% APY"}
        )
        # Added by mistake (a duplicate of Office Supplies) and deleted: ListDeletedQuery has an Account.
        day = self.recent_day()
        mistake = self.sched.add(day, "Account", {"Name": "Office Suplies", "AccountType": "Expense"})
        self.sched.delete(day + self.rng.randrange(1, 4), "Account", mistake)

    def classes(self) -> None:
        refs: dict[str, Ref] = {}
        for name, parent in data.CLASSES:
            fields: Fields = {"Name": name}
            if parent:
                fields["ParentRef"] = ref(parent)
            refs[name] = self.sched.add(SETUP_DAY, "Class", fields)
        for name in data.INACTIVE_CLASSES:
            self.sched.modify(self.rng.randrange(60, 150), "Class", refs[name], {"IsActive": False})
        day = self.recent_day()
        temp = self.sched.add(day, "Class", {"Name": "Temp", "ParentRef": ref("Overhead")})
        self.sched.delete(day + self.rng.randrange(1, 4), "Class", temp)

    def simple_lists(self) -> None:
        for fields in data.STANDARD_TERMS:
            self.sched.add(SETUP_DAY, "StandardTerms", fields)
        for fields in data.DATE_DRIVEN_TERMS:
            self.sched.add(SETUP_DAY, "DateDrivenTerms", fields)
        for name, taxable, desc, active in data.SALES_TAX_CODES:
            fields = {"Name": name, "IsActive": active, "IsTaxable": taxable, "Desc": desc}
            self.sched.add(SETUP_DAY, "SalesTaxCode", fields)
        for name, method_type, active in data.PAYMENT_METHODS:
            fields = {"Name": name, "IsActive": active, "PaymentMethodType": method_type}
            self.sched.add(SETUP_DAY, "PaymentMethod", fields)

    # -- vendors ---------------------------------------------------------------------------------

    def _vendor_fields(self, name: str, is_1099: bool, terms: str) -> Fields:
        rng = self.rng
        slug = ascii_slug(name).replace(".", "")[:24]
        fields: Fields = {
            "Name": name,
            "CompanyName": name,
            "VendorAddress": _address(rng, name),
            "Phone": _phone(rng, rng.choice(("650", "415", "408", "510"))),
            "Email": f"billing@{slug}.example.com",
            "Contact": f"{rng.choice(data.FIRST_NAMES)} {rng.choice(data.LAST_NAMES)}"[:41],
            "NameOnCheck": name,
            "AccountNumber": f"LCB-{rng.randrange(1000, 99999)}",
            "TermsRef": ref(terms),
            "IsVendorEligibleFor1099": is_1099,
        }
        if is_1099:
            fields["VendorTaxIdent"] = f"{rng.randrange(10, 99)}-{rng.randrange(1000000, 9999999)}"
        if name == data.SALES_TAX_AGENCY:
            fields["IsSalesTaxAgency"] = True
        return fields

    def vendors(self) -> list[Vendor]:
        rng = self.rng
        wanted = max(30, round(len(data.VENDORS) * self.scale))
        # The bank (loan, card, charges) and the tax agency are vendors of every company.
        essential = [row for row in data.VENDORS if row[1] in ("bank", "sales_tax")]
        rows = essential + [row for row in data.VENDORS[:wanted] if row not in essential]
        while len(rows) < wanted:
            trade, category, is_1099 = rng.choice(data.VENDOR_TRADES)
            rows.append((f"{rng.choice(data.LAST_NAMES)} {trade}", category, is_1099))
        out: list[Vendor] = []
        inactive = Quota(rng, 0.03)
        changes = Quota(rng, 0.12)
        for name, category, is_1099 in rows:
            if not self.names.take(name):
                continue
            terms = rng.choice(data.VENDOR_TERMS)
            fields = self._vendor_fields(name, is_1099, terms)
            vendor = Vendor(name, self.sched.add(SETUP_DAY, "Vendor", fields), category=category, terms=terms)
            vendor.address = fields["VendorAddress"]
            generated = len(out) >= len(data.VENDORS)
            if name in data.INACTIVE_VENDORS or (generated and inactive()):
                vendor.until = rng.randrange(150, 330)
                self.sched.modify(vendor.until, "Vendor", vendor.ref, {"IsActive": False}, early=True)
            if changes():
                change = rng.choice(
                    (
                        {"Phone": _phone(rng)},
                        {"TermsRef": ref(rng.choice(data.VENDOR_TERMS))},
                        {"Email": f"ap@{ascii_slug(name).replace('.', '')[:24]}.example.com"},
                    )
                )
                self.sched.modify(rng.randrange(20, min(vendor.until, YEAR)), "Vendor", vendor.ref, change)
            out.append(vendor)
        # The sales tax the company collects, remitted to the agency (a list qbXML 13.0's catalog
        # here leaves out; the company accepts it through its Python API).
        tax_item = {
            "Name": data.SALES_TAX_ITEM,
            "ItemDesc": data.SALES_TAX_DESC,
            "TaxRate": money(data.SALES_TAX_BASIS_POINTS),
            "TaxVendorRef": ref(data.SALES_TAX_AGENCY),
        }
        self.sched.add(SETUP_DAY, "ItemSalesTax", tax_item)
        # A vendor entered twice by mistake, then deleted.
        day = self.recent_day()
        typo = self.sched.add(day, "Vendor", {"Name": "Home Depott", "CompanyName": "Home Depot"})
        self.sched.delete(day + rng.randrange(1, 4), "Vendor", typo)
        return out

    # -- employees -------------------------------------------------------------------------------

    def employees(self) -> list[Entry]:
        rng = self.rng
        people = list(data.EMPLOYEES)
        while len(people) < round(len(data.EMPLOYEES) * self.scale):
            people.append(
                (rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES), rng.choice(data.JOB_TITLES))
            )
        workers: list[Entry] = []
        first_year = self.ctx.calendar.date(SETUP_DAY).year
        for n, (first, last, title) in enumerate(people):
            name = f"{first} {last}"
            if not self.names.take(name):
                continue
            # Most have been with the company for years; a few were hired during the year.
            day = rng.randrange(20, 200) if n >= 5 and rng.random() < 0.25 else SETUP_DAY
            year, month, mday = (
                rng.randrange(first_year - 14, first_year),
                rng.randrange(1, 13),
                rng.randrange(1, 29),
            )
            hired = self.ctx.date(day) if day else f"{year}-{month:02d}-{mday:02d}"
            address = _address(rng, None)
            fields: Fields = {
                "Name": name,
                "FirstName": first,
                "LastName": last,
                "JobTitle": title,
                "EmployeeAddress": {k: address[k] for k in ("Addr1", "City", "State", "PostalCode")},
                "Phone": _phone(rng),
                "Email": f"{ascii_slug(name)}@larkspurcote.example.com",
                "EmployeeType": "Regular",
                "PartOrFullTime": "FullTime",
                "HiredDate": hired,
            }
            entry = Entry(name, self.sched.add(day, "Employee", fields, early=True), since=day)
            if name in data.INACTIVE_EMPLOYEES:
                entry.until = rng.randrange(180, 300)
                released = {"IsActive": False, "ReleasedDate": self.ctx.date(entry.until)}
                self.sched.modify(entry.until, "Employee", entry.ref, released, early=True)
            elif rng.random() < 0.25:
                self.sched.modify(
                    rng.randrange(day + 10, YEAR), "Employee", entry.ref, {"Mobile": _phone(rng, "415")}
                )
            if n > 0:  # the office manager keeps no timesheets
                workers.append(entry)
        return workers

    # -- items -----------------------------------------------------------------------------------

    def _item_fields(self, row: data.ItemRow, vendor: str | None) -> Fields:
        acc = self.accounts
        fields: Fields = {"Name": row.name}
        if row.parent:
            fields["ParentRef"] = ref(row.parent)
        fields["SalesTaxCodeRef"] = ref("Tax" if row.taxable else "Non")
        price = money(row.price) if row.price else None
        preferred = ref(vendor) if vendor else None
        if row.kind == "ItemInventory":
            fields.update(
                {
                    "ManufacturerPartNumber": None
                    if row.is_parent
                    else f"LC-{self.rng.randrange(1000, 9999)}",
                    "SalesDesc": row.desc,
                    "SalesPrice": price,
                    "IncomeAccountRef": ref(acc[row.income]),
                    "PurchaseDesc": row.desc,
                    "PurchaseCost": money(row.cost) if row.cost else None,
                    "COGSAccountRef": ref(acc[row.expense or "cogs"]),
                    "PrefVendorRef": preferred,
                    "AssetAccountRef": ref(acc["inventory"]),
                    "ReorderPoint": None if row.is_parent else row.qty[1] * 2,
                }
            )
        elif row.expense:  # bought and sold: both sides
            fields["SalesAndPurchase"] = {
                "SalesDesc": row.desc,
                "SalesPrice": price,
                "IncomeAccountRef": ref(acc[row.income]),
                "PurchaseDesc": row.desc,
                "PurchaseCost": money(row.cost) if row.cost else None,
                "ExpenseAccountRef": ref(acc[row.expense]),
                "PrefVendorRef": preferred,
            }
        else:
            fields["SalesOrPurchase"] = {"Desc": row.desc, "Price": price, "AccountRef": ref(acc[row.income])}
        return fields

    def items(self, vendors: list[Vendor]) -> dict[str, list[Item]]:
        rng = self.rng
        by_category: dict[str, list[Vendor]] = {}
        for vendor in vendors:
            if vendor.until == NEVER:
                by_category.setdefault(vendor.category, []).append(vendor)
        out: dict[str, list[Item]] = {}
        price_rises = Quota(rng, 0.1)
        for row in data.ITEMS:
            category = {"ItemInventory": "inventory", "ItemNonInventory": "materials"}.get(
                row.kind, "subcontractor"
            )
            choices = by_category.get(category) or []
            supplier = rng.choice(choices).full_name if choices and row.cost and not row.is_parent else None
            fields = self._item_fields(row, supplier)
            item = Item(
                row.full_name, self.sched.add(SETUP_DAY, row.kind, fields), row=row, vendor=supplier or ""
            )
            if row.is_parent:
                continue
            # A bigger company sells more of each part between two deliveries.
            item.reorder = row.qty[1] * max(1, round(self.ctx.size / 2000))
            if row.full_name in data.INACTIVE_ITEMS:
                item.until = rng.randrange(160, 300)
                self.sched.modify(item.until, row.kind, item.ref, {"IsActive": False}, early=True)
            elif price_rises():
                self._price_rise(item)
            out.setdefault(row.kind, []).append(item)
        # Items added by mistake and deleted: ListDeletedQuery has items of two kinds.
        day = self.recent_day()
        test = self.sched.add(
            day,
            "ItemService",
            {
                "Name": "Test Item",
                "SalesOrPurchase": {"Desc": "test", "AccountRef": ref(self.accounts["labor"])},
            },
        )
        self.sched.delete(day + 1, "ItemService", test)
        misc = self.sched.add(
            day + 2,
            "ItemNonInventory",
            {
                "Name": "Misc Part",
                "SalesOrPurchase": {"Price": money(100), "AccountRef": ref(self.accounts["materials"])},
            },
        )
        self.sched.delete(day + 3, "ItemNonInventory", misc)
        return out

    def _price_rise(self, item: Item) -> None:
        """A new price from a day of the year on: Mods send the price in the kind's own shape."""
        row = item.row
        day = self.rng.randrange(90, 300)
        new = money(round(row.price * (1 + self.rng.choice((0.03, 0.05, 0.08)))))
        if row.kind == "ItemInventory":
            change: Fields = {"SalesPrice": new}
        elif row.expense:
            change = {"SalesAndPurchaseMod": {"SalesPrice": new}}
        else:
            change = {"SalesOrPurchaseMod": {"Price": new}}
        self.sched.modify(day, row.kind, item.ref, change)

    # -- customers and jobs ----------------------------------------------------------------------

    def _customer_name(self) -> tuple[str, Fields]:
        """A new customer name and the fields that say who it is (a person or a business)."""
        rng = self.rng
        while True:
            if rng.random() < 0.6:
                first, last = rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES)
                name = f"{last}, {first}"
                who: Fields = {"FirstName": first, "LastName": last, "Contact": f"{first} {last}"}
            else:
                suffix = rng.choice(data.BUSINESS_SUFFIXES)
                name = (
                    f"{rng.choice(data.BUSINESS_WORDS)} {rng.choice(data.CUSTOMER_TRADES)} {suffix}".strip()
                )
                first, last = rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES)
                who = {
                    "CompanyName": name[:41],
                    "FirstName": first,
                    "LastName": last,
                    "Contact": f"{first} {last}",
                }
            if len(name) <= 41 and self.names.take(name):
                return name, who

    def _billable(self, full_name: str, ref_: Ref, since: int, parent: Customer | None) -> Customer:
        rng = self.rng
        if parent is not None:  # a job bills and pays as its customer does
            return Customer(
                full_name,
                ref_,
                since=since,
                terms=parent.terms,
                tax_code=parent.tax_code,
                method=parent.method,
                sales_class=rng.choice(data.SALES_CLASSES),
                late=parent.late,
                bad_debt=parent.bad_debt,
            )
        return Customer(
            full_name,
            ref_,
            since=since,
            terms=rng.choice(data.CUSTOMER_TERMS),
            tax_code=rng.choice(("Tax", "Tax", "Tax", "Tax", "Non", "Res")),
            method=rng.choice(data.CUSTOMER_PAYMENT_METHODS),
            sales_class=rng.choice(data.SALES_CLASSES),
            late=rng.choice((-5, 0, 0, 2, 5, 10, 20, 45)),
            bad_debt=rng.random() < 0.03,
        )

    def customers(self) -> tuple[list[Customer], Customer]:
        rng = self.rng
        total = max(40, round(150 * self.scale))
        billable: list[Customer] = []
        walk_in_fields = {
            "Name": "Cash Customer",
            "SalesTaxCodeRef": ref("Tax"),
            "ItemSalesTaxRef": ref(data.SALES_TAX_ITEM),
            "Notes": "Counter sales",
        }
        self.names.take("Cash Customer")
        cash = self._billable(
            "Cash Customer", self.sched.add(SETUP_DAY, "Customer", walk_in_fields), SETUP_DAY, None
        )
        cash.terms, cash.method = "Due on receipt", "Cash"
        count = 1
        inactive = Quota(rng, 0.08)
        changes = Quota(rng, 0.1)
        while count < total:
            # Four in five were customers before the year began; the others come during it.
            since = SETUP_DAY if rng.random() < 0.8 else rng.randrange(1, YEAR - 20)
            name, who = self._customer_name()
            top = self._billable(name, Ref(0), since, None)
            fields: Fields = {
                "Name": name,
                **who,
                "BillAddress": _address(rng, name),
                "Phone": _phone(rng),
                "Email": f"{ascii_slug(who['Contact'])}@{rng.choice(_MAIL_DOMAINS)}",
                "TermsRef": ref(top.terms),
                "SalesTaxCodeRef": ref(top.tax_code),
                "ItemSalesTaxRef": ref(data.SALES_TAX_ITEM),
                "CreditLimit": money(rng.choice((500000, 1000000, 2500000, 5000000))),
                "PreferredPaymentMethodRef": ref(top.method),
                "Notes": rng.choice(data.CUSTOMER_NOTES) if rng.random() < 0.2 else None,
            }
            if top.tax_code == "Res":
                fields["ResaleNumber"] = f"SR-{rng.randrange(10000000, 99999999)}"
            top.ref = self.sched.add(since, "Customer", fields, early=True)
            top.address = fields["BillAddress"]
            count += 1
            jobs = rng.choice((0, 0, 0, 0, 1, 1, 2, 3)) if total - count > 3 else 0
            if not jobs:
                billable.append(top)
            job_names = rng.sample(data.JOB_NAMES, jobs)
            for job_name in job_names:
                job_since = since if rng.random() < 0.5 else rng.randrange(since, YEAR - 10)
                job = self._job(top, job_name, job_since)
                count += 1
                if job_name in ("ADU", "Garage Addition", "Office Build-Out") and rng.random() < 0.7:
                    # A big job billed by phase: sub-jobs two levels down.
                    for phase in data.PHASES[: rng.randrange(2, 4)]:
                        billable.append(self._job(job, phase, job_since))
                        count += 1
                else:
                    billable.append(job)
            if since == SETUP_DAY and not jobs and inactive():
                top.until = rng.randrange(200, 340)
                self.sched.modify(top.until, "Customer", top.ref, {"IsActive": False}, early=True)
            elif changes():
                change = rng.choice(
                    (
                        {"Phone": _phone(rng, "415")},
                        {"BillAddress": _address(rng, name)},
                        {"Email": f"{ascii_slug(who['Contact'])}@example.org"},
                        {"CreditLimit": money(rng.choice((1000000, 7500000)))},
                    )
                )
                self.sched.modify(rng.randrange(since + 5, YEAR), "Customer", top.ref, change)
        # A customer entered twice, then deleted.
        day = self.recent_day()
        duplicate = billable[0].full_name.split(":")[0] + " (2)"
        dup = self.sched.add(day, "Customer", {"Name": duplicate[:41]})
        self.sched.delete(day + self.rng.randrange(1, 4), "Customer", dup)
        return billable, cash

    def _job(self, parent: Customer, name: str, since: int) -> Customer:
        rng = self.rng
        full_name = f"{parent.full_name}:{name}"
        job = self._billable(full_name, Ref(0), since, parent)
        status = "InProgress" if since < YEAR - 60 else rng.choice(("Awarded", "Pending", "InProgress"))
        fields: Fields = {
            "Name": name,
            "ParentRef": ref(parent.full_name),
            "ShipAddress": _address(rng, None),
            "TermsRef": ref(job.terms),
            "SalesTaxCodeRef": ref(job.tax_code),
            "JobStatus": status,
            "JobStartDate": self.ctx.date(max(since, 1)),
            "JobDesc": data.JOB_DESCS.get(name, f"{name}: remodel & repairs")
            if ":" not in parent.full_name
            else None,
        }
        job.ref = self.sched.add(since, "Customer", fields, early=True)
        job.address = parent.address
        return job


def build_lists(ctx: Context) -> Lists:
    """Schedule the company's lists and their year; return what the transactions draw from."""
    builder = _ListBuilder(ctx)
    builder.accounts_list()
    builder.classes()
    builder.simple_lists()
    vendors = builder.vendors()
    employees = builder.employees()
    items = builder.items(vendors)
    customers, cash = builder.customers()
    return Lists(
        accounts=builder.accounts,
        customers=customers,
        vendors=vendors,
        employees=employees,
        items=items,
        cash_customer=cash,
    )
