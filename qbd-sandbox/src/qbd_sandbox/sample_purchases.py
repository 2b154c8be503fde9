"""The vendor side of the sample company's year: purchase orders, bills, vendor credits, checks,
card charges, and the bill payments that settle the bills.

Stock is bought before it is sold: whenever an inventory part runs low it is reordered from its
preferred vendor, on a purchase order received (and billed) a week or two later, or billed at
once. Bills are paid by check around their due date, oldest first, and only when the checking
account holds the money that day: a bill that cannot be paid waits for the next day.
"""

from __future__ import annotations

from . import sample_data as data
from .sample_lists import Customer, Item, Lists, Vendor
from .sample_plan import (
    RECENT_DAYS,
    YEAR,
    Books,
    Context,
    Fields,
    OpenDoc,
    Pace,
    Quota,
    Ref,
    business_days,
    money,
    ref,
)

#: Transactions of each type in a year, as a share of the company's size. Bills also come from
#: monthly vendors (rent, utilities) and restocking; bill payments follow the bills.
SHARES: dict[str, float] = {
    "Bill": 0.095,
    "PurchaseOrder": 0.028,
    "VendorCredit": 0.013,
    "Check": 0.07,
    "CreditCardCharge": 0.068,
}
#: The largest share of the checking account one day's bill payments may spend: the rest is kept
#: for payroll.
PAYMENT_LIMIT = 0.8
#: Stock is counted and reordered on Mondays and Thursdays.
RESTOCK_DAYS = (0, 3)
#: Bills are paid twice a week (Tuesday and Friday), those due within the week.
PAYMENT_DAYS = (1, 4)


class Purchases:
    """Writes the purchasing transactions of each day into the schedule."""

    def __init__(self, ctx: Context, lists: Lists, books: Books) -> None:
        self.ctx, self.lists, self.books = ctx, lists, books
        self.rng = ctx.rng
        days = business_days(ctx.calendar)
        self.pace = {name: Pace(self.rng, ctx.per_year(share), days) for name, share in SHARES.items()}
        kinds = ("Bill", "VendorCredit", "Check", "CreditCardCharge")
        self.voids = {name: Quota(self.rng, 0.03) for name in kinds}
        # Deletions happen in the last weeks only (see RECENT_DAYS), so their rate there is higher.
        self.deletes = {name: Quota(self.rng, 0.12) for name in (*kinds, "PurchaseOrder")}
        self.mods = {name: Quota(self.rng, 0.05) for name in ("Bill", "PurchaseOrder", "Check")}
        self.to_be_printed = Quota(self.rng, 0.05)
        #: Purchase orders to receive, by day: (the order, its vendor, its lines, the job if any).
        self.receipts: dict[int, list[tuple[Ref, Vendor, list[tuple[Item, int]], Customer | None]]] = {}
        #: The day of the month each monthly vendor bills.
        self.bill_day = {v.full_name: self.rng.randint(1, 28) for v in lists.vendors}
        self.vendors = {v.full_name: v for v in lists.vendors}
        self._vendor_pools: dict[tuple[int, str, tuple[str, ...]], list[Vendor]] = {}
        self._orders_today = 0

    # -- helpers ---------------------------------------------------------------------------------

    def _vendor(self, day: int, paid_by: str, *, exclude: tuple[str, ...] = ()) -> Vendor | None:
        key = (day, paid_by, exclude)
        pool = self._vendor_pools.get(key)
        if pool is None:
            if self._vendor_pools and next(iter(self._vendor_pools))[0] != day:
                self._vendor_pools.clear()
            pool = self._vendor_pools[key] = [
                v
                for v in self.lists.pool("vendors", day)
                if isinstance(v, Vendor)
                and paid_by in data.VENDOR_CATEGORIES[v.category].paid_by
                and v.category not in exclude
            ]
        return self.rng.choice(pool) if pool else None

    def _job(self, day: int) -> Customer | None:
        pool = self.lists.pool("customers", day)
        chosen = self.rng.choice(pool) if pool else None
        return chosen if isinstance(chosen, Customer) else None

    def _amount(self, category: str) -> int:
        spec = data.VENDOR_CATEGORIES[category]
        if spec.low == spec.high:
            return spec.low
        # Round to whole dollars most of the time, as receipts mostly are not.
        cents = self.rng.randint(spec.low, spec.high)
        return cents if self.rng.random() < 0.7 else cents // 100 * 100

    def _expense_lines(
        self, day: int, vendor: Vendor, count: int, *, job_costs: bool
    ) -> list[tuple[Fields, int]]:
        spec = data.VENDOR_CATEGORIES[vendor.category]
        out: list[tuple[Fields, int]] = []
        for _ in range(count):
            amount = self._amount(vendor.category)
            line: Fields = {
                "AccountRef": self.lists.account(spec.expense or "office"),
                "Amount": money(amount),
            }
            job = self._job(day) if job_costs and self.rng.random() < 0.6 else None
            if job is not None:
                line["CustomerRef"] = ref(job.full_name)
                line["ClassRef"] = ref(job.sales_class)
                line["BillableStatus"] = "Billable" if self.rng.random() < 0.7 else "NotBillable"
            else:
                line["ClassRef"] = ref(data.OVERHEAD_CLASS)
            out.append((line, amount))
        return out

    def _item_line(self, item: Item, quantity: int, job: Customer | None = None) -> tuple[Fields, int]:
        cost = item.row.cost
        line: Fields = {
            "ItemRef": ref(item.full_name),
            "Desc": item.row.desc,
            "Quantity": quantity,
            "Cost": money(cost),
            "Amount": money(cost * quantity),
        }
        if job is not None:
            line["CustomerRef"] = ref(job.full_name)
            line["BillableStatus"] = "Billable"
        return line, cost * quantity

    def _job_quantity(self, item: Item) -> int:
        """What one delivery for a job holds: the lower half of what an invoice line bills."""
        low, high = item.row.qty
        return self.rng.randint(low, max(low, (low + high) // 2))

    def _later(self, day: int, low: int, high: int) -> int | None:
        when = day + self.rng.randint(low, high)
        return when if when <= YEAR else None

    def _recent(self, day: int) -> bool:
        return day > YEAR - RECENT_DAYS

    def _check_number(self) -> str:
        return str(self.books.number("check", 2001 + self.rng.randrange(0, 30) * 100))

    # -- the day ---------------------------------------------------------------------------------

    def day(self, day: int) -> None:
        self.receive(day)
        self.monthly_bills(day)
        if self.ctx.calendar.is_business_day(day):
            self._orders_today = self.pace["PurchaseOrder"].today()
            if self.ctx.calendar.weekday(day) in RESTOCK_DAYS or day == 1:
                self.restock(day)
            for _ in range(self._orders_today):
                self.job_order(day)
            for name, write in (
                ("Bill", self.bill),
                ("VendorCredit", self.vendor_credit),
                ("Check", self.check),
                ("CreditCardCharge", self.card_charge),
            ):
                for _ in range(self.pace[name].today()):
                    write(day)
            self.pay_bills(day)

    # -- bills -----------------------------------------------------------------------------------

    def _write_bill(
        self,
        day: int,
        vendor: Vendor,
        expense_lines: list[tuple[Fields, int]],
        item_lines: list[tuple[Fields, int]],
        *,
        memo: str | None = None,
    ) -> None:
        """Schedule a bill; unless voided or deleted, it joins the bills to pay."""
        rng = self.rng
        total = sum(a for _, a in expense_lines) + sum(a for _, a in item_lines)
        txn_date = max(1, day - rng.randint(0, 4))  # the vendor's invoice date, entered later
        terms = data.TERM_DAYS.get(vendor.terms, 30)
        fields: Fields = {
            "VendorRef": ref(vendor.full_name),
            "APAccountRef": self.lists.account("ap"),
            "TxnDate": self.ctx.date(txn_date),
            "DueDate": self.ctx.date(txn_date + terms),
            "RefNumber": f"{rng.choice(('INV', 'Inv', ''))}{rng.randrange(10000, 999999)}",
            "TermsRef": ref(vendor.terms),
            "Memo": memo,
            "ExpenseLineAdd": [line for line, _ in expense_lines] or None,
            "ItemLineAdd": [line for line, _ in item_lines] or None,
        }
        bill = self.ctx.sched.add(day, "Bill", fields)
        if self.mods["Bill"]() and (when := self._later(day, 1, 20)):
            self.ctx.sched.modify(when, "Bill", bill, {"Memo": "Checked against delivery ticket"})
        if not item_lines:  # a bill of stock stays: its items were counted in
            if self.voids["Bill"]() and (when := self._later(day, 1, 10)):
                self.ctx.sched.void(when, "Bill", bill)
                return
            if self._recent(day) and self.deletes["Bill"]() and (when := self._later(day, 0, 5)):
                self.ctx.sched.delete(when, "Bill", bill)
                return
        self.books.payables.append(OpenDoc(bill, vendor.full_name, total, txn_date + terms))

    def bill(self, day: int) -> None:
        vendor = self._vendor(day, "bill", exclude=("inventory",))
        if vendor is None:
            return
        rng = self.rng
        spec = data.VENDOR_CATEGORIES[vendor.category]
        items: list[tuple[Fields, int]] = []
        if spec.item_kind == "ItemNonInventory" and rng.random() < 0.5:
            job = self._job(day)
            for _ in range(rng.randint(1, 3)):
                item = rng.choice(self.lists.pool(spec.item_kind, day) or [None])
                if isinstance(item, Item):
                    items.append(self._item_line(item, self._job_quantity(item), job))
        # A subcontractor bills one job at a time; a supplier's bill may cover several.
        count = 1 if vendor.category == "subcontractor" else rng.randint(1, 3)
        expenses = [] if items else self._expense_lines(day, vendor, count, job_costs=True)
        self._write_bill(day, vendor, expenses, items)

    def monthly_bills(self, day: int) -> None:
        """The bills that come every month, two months or quarter (rent, utilities, insurance)."""
        date = self.ctx.calendar.date(day)
        if date.day > 28:
            return
        due = {"monthly"}
        if date.month % 2 == 0:
            due.add("bimonthly")
        if date.month % 3 == 0:
            due.add("quarterly")
        for vendor in self.lists.pool("vendors", day):
            if not isinstance(vendor, Vendor) or self.bill_day[vendor.full_name] != date.day:
                continue
            if due.intersection(data.VENDOR_CATEGORIES[vendor.category].paid_by):
                lines = self._expense_lines(day, vendor, 1, job_costs=False)
                self._write_bill(day, vendor, lines, [], memo=f"Service through {date.strftime('%B %Y')}")

    # -- stock -----------------------------------------------------------------------------------

    def restock(self, day: int) -> None:
        """Reorder what runs low, one order (or bill) per preferred vendor."""
        books = self.books
        wanted: dict[str, list[tuple[Item, int]]] = {}
        for item in self.lists.pool("ItemInventory", day):
            assert isinstance(item, Item)
            have = books.on_hand.get(item.full_name, 0) + books.on_order.get(item.full_name, 0)
            if item.vendor and have < item.reorder:
                wanted.setdefault(item.vendor, []).append((item, item.reorder * 2 - have))
        for vendor_name, lines in wanted.items():
            vendor = self.vendors.get(vendor_name)
            if vendor is None or not vendor.usable(day):
                continue
            if self._orders_today > 0 or day == 1:
                self._orders_today -= 1
                self.purchase_order(day, vendor, lines)
            else:
                for item, quantity in lines:
                    books.on_hand[item.full_name] = books.on_hand.get(item.full_name, 0) + quantity
                self._write_bill(day, vendor, [], [self._item_line(item, q) for item, q in lines])

    def job_order(self, day: int) -> None:
        """Materials ordered for a job, delivered to the site and billed on arrival."""
        vendor = self._vendor(day, "bill", exclude=("inventory",))
        job = self._job(day)
        if (
            vendor is None
            or job is None
            or data.VENDOR_CATEGORIES[vendor.category].item_kind != "ItemNonInventory"
        ):
            return
        pool = [i for i in self.lists.pool("ItemNonInventory", day) if isinstance(i, Item)]
        chosen = self.rng.sample(pool, min(len(pool), self.rng.randint(1, 3)))
        self.purchase_order(day, vendor, [(i, self._job_quantity(i)) for i in chosen], job)

    def purchase_order(
        self, day: int, vendor: Vendor, lines: list[tuple[Item, int]], job: Customer | None = None
    ) -> None:
        rng, books = self.rng, self.books
        fields: Fields = {
            "VendorRef": ref(vendor.full_name),
            "ClassRef": ref(job.sales_class if job else "Overhead:Yard & Shop"),
            "TxnDate": self.ctx.date(day),
            "RefNumber": f"PO-{books.number('po', 4001)}",
            "VendorAddress": vendor.address or None,
            "ShipAddress": dict(job.address if job and job.address else data.COMPANY_ADDRESS),
            "ExpectedDate": self.ctx.date(day + 10),
            "Memo": "Restock" if rng.random() < 0.5 else None,
            "PurchaseOrderLineAdd": [
                {
                    "ItemRef": ref(item.full_name),
                    "Desc": item.row.desc,
                    "Quantity": quantity,
                    "Rate": money(item.row.cost),
                    "Amount": money(item.row.cost * quantity),
                    "CustomerRef": ref(job.full_name) if job else None,
                }
                for item, quantity in lines
            ],
        }
        order = self.ctx.sched.add(day, "PurchaseOrder", fields)
        arrive = day + rng.randint(4, 15)
        cancelled = day > 1 and self.deletes["PurchaseOrder"]()
        if cancelled and self._recent(day) and (when := self._later(day, 0, 3)):
            self.ctx.sched.delete(when, "PurchaseOrder", order)
            return
        if cancelled and (when := self._later(day, 2, 10)):
            self.ctx.sched.modify(
                when, "PurchaseOrder", order, {"IsManuallyClosed": True, "Memo": "Cancelled"}
            )
            return
        if arrive > YEAR:
            return  # still on order at the end of the year: not counted as on hand
        if job is None:
            for item, quantity in lines:
                books.on_order[item.full_name] = books.on_order.get(item.full_name, 0) + quantity
        self.receipts.setdefault(arrive, []).append((order, vendor, lines, job))
        if self.mods["PurchaseOrder"]() and (when := self._later(day, 1, 3)):
            self.ctx.sched.modify(when, "PurchaseOrder", order, {"ExpectedDate": self.ctx.date(arrive)})

    def receive(self, day: int) -> None:
        """Orders that arrive today are billed with their items."""
        books = self.books
        for _order, vendor, lines, job in self.receipts.pop(day, []):
            if job is None:
                for item, quantity in lines:
                    books.on_order[item.full_name] -= quantity
                    books.on_hand[item.full_name] = books.on_hand.get(item.full_name, 0) + quantity
            item_lines = [self._item_line(item, q, job) for item, q in lines]
            self._write_bill(day, vendor, [], item_lines)

    # -- paying bills ----------------------------------------------------------------------------

    def pay_bills(self, day: int) -> None:
        """Pay, by check, the bills due within the week, oldest first, while the money lasts."""
        books = self.books
        if self.ctx.calendar.weekday(day) not in PAYMENT_DAYS:
            return
        due = sorted((doc for doc in books.payables if doc.due <= day + 7), key=lambda doc: doc.due)
        if not due:
            return
        budget = int(books.bank["checking"] * PAYMENT_LIMIT)
        by_vendor: dict[str, list[OpenDoc]] = {}
        for doc in due:
            if doc.amount <= budget:
                budget -= doc.amount
                by_vendor.setdefault(doc.party, []).append(doc)
        for vendor_name, docs in by_vendor.items():
            for chunk in (docs[n : n + 8] for n in range(0, len(docs), 8)):
                self.bill_payment(day, vendor_name, chunk)

    def bill_payment(self, day: int, vendor_name: str, docs: list[OpenDoc]) -> None:
        books = self.books
        total = sum(doc.amount for doc in docs)
        fields: Fields = {
            "PayeeEntityRef": ref(vendor_name),
            "APAccountRef": self.lists.account("ap"),
            "TxnDate": self.ctx.date(day),
            "BankAccountRef": self.lists.account("checking"),
            "Memo": f"{len(docs)} bills" if len(docs) > 1 else None,
            "AppliedToTxnAdd": [{"TxnID": doc.ref, "PaymentAmount": money(doc.amount)} for doc in docs],
        }
        if self._recent(day) and self.to_be_printed():
            fields["IsToBePrinted"] = True
        else:
            fields["RefNumber"] = self._check_number()
        self.ctx.sched.add(day, "BillPaymentCheck", fields)
        books.bank["checking"] -= total
        paid = {id(doc) for doc in docs}
        books.payables = [doc for doc in books.payables if id(doc) not in paid]

    # -- credits, checks and card charges ---------------------------------------------------------

    def vendor_credit(self, day: int) -> None:
        rng, books = self.rng, self.books
        vendor = self._vendor(day, "bill", exclude=("subcontractor", "accounting", "legal"))
        if vendor is None:
            return
        items: list[tuple[Fields, int]] = []
        if vendor.category == "inventory":
            stocked = [
                i
                for i in self.lists.pool("ItemInventory", day)
                if isinstance(i, Item) and i.vendor == vendor.full_name
            ]
            item = rng.choice(stocked) if stocked else None
            have = books.on_hand.get(item.full_name, 0) if item else 0
            if item is None or have < 2:
                return
            quantity = rng.randint(1, max(1, have // 4))
            books.on_hand[item.full_name] = have - quantity
            items.append(self._item_line(item, quantity))
            expenses: list[tuple[Fields, int]] = []
        else:
            expenses = [(line, a) for line, a in self._expense_lines(day, vendor, 1, job_costs=False)]
            for line, amount in expenses:
                # A credit is a slice of what was bought: a return, a price adjustment.
                credit = max(500, amount // rng.choice((4, 5, 10)))
                line["Amount"] = money(credit)
        fields: Fields = {
            "VendorRef": ref(vendor.full_name),
            "APAccountRef": self.lists.account("ap"),
            "TxnDate": self.ctx.date(day),
            "RefNumber": f"CR-{rng.randrange(1000, 99999)}",
            "Memo": rng.choice(("Returned damaged goods", "Price adjustment", "Overbilled on last invoice")),
            "ExpenseLineAdd": [line for line, _ in expenses] or None,
            "ItemLineAdd": [line for line, _ in items] or None,
        }
        vendor_credit = self.ctx.sched.add(day, "VendorCredit", fields)
        if items:
            return
        if self.voids["VendorCredit"]() and (when := self._later(day, 1, 10)):
            self.ctx.sched.void(when, "VendorCredit", vendor_credit)
        elif self._recent(day) and self.deletes["VendorCredit"]() and (when := self._later(day, 0, 5)):
            self.ctx.sched.delete(when, "VendorCredit", vendor_credit)

    def check(self, day: int) -> None:
        rng, books = self.rng, self.books
        vendor = self._vendor(day, "check")
        if vendor is None:
            return
        spec = data.VENDOR_CATEGORIES[vendor.category]
        items: list[tuple[Fields, int]] = []
        if spec.item_kind == "ItemNonInventory" and rng.random() < 0.3:
            item = rng.choice(self.lists.pool(spec.item_kind, day) or [None])
            if isinstance(item, Item):
                items.append(self._item_line(item, self._job_quantity(item), self._job(day)))
        expenses = (
            []
            if items
            else self._expense_lines(day, vendor, rng.randint(1, 2), job_costs=vendor.category == "permits")
        )
        total = sum(a for _, a in expenses) + sum(a for _, a in items)
        bank = (
            "petty" if total <= 10000 and books.bank["petty"] >= total and rng.random() < 0.5 else "checking"
        )
        if books.bank[bank] < total:
            return  # not today: the money is not there
        fields: Fields = {
            "AccountRef": self.lists.account(bank),
            "PayeeEntityRef": ref(vendor.full_name),
            "RefNumber": self._check_number() if bank == "checking" else None,
            "TxnDate": self.ctx.date(day),
            "Memo": rng.choice(("", "Per quote", "Reimbursement", f"Acct {rng.randrange(1000, 9999)}"))
            or None,
            "Address": vendor.address or None,
            "IsToBePrinted": False,
            "ExpenseLineAdd": [line for line, _ in expenses] or None,
            "ItemLineAdd": [line for line, _ in items] or None,
        }
        check = self.ctx.sched.add(day, "Check", fields)
        books.bank[bank] -= total
        if self.mods["Check"]() and (when := self._later(day, 1, 15)):
            self.ctx.sched.modify(when, "Check", check, {"Memo": "Cleared"})
        if self.voids["Check"]() and (when := self._later(day, 1, 10)):
            # A check lost in the mail: voided (the money never left; the books keep it spent, which is safe).
            self.ctx.sched.void(when, "Check", check)
        elif self._recent(day) and self.deletes["Check"]() and (when := self._later(day, 0, 3)):
            self.ctx.sched.delete(when, "Check", check)

    def card_charge(self, day: int) -> None:
        rng, books = self.rng, self.books
        vendor = self._vendor(day, "card")
        if vendor is None:
            return
        lines = self._expense_lines(
            day, vendor, rng.choice((1, 1, 1, 2)), job_costs=vendor.category == "materials"
        )
        total = sum(a for _, a in lines)
        fields: Fields = {
            "AccountRef": self.lists.account("visa"),
            "PayeeEntityRef": ref(vendor.full_name),
            "TxnDate": self.ctx.date(day),
            "RefNumber": str(rng.randrange(100000, 999999)) if rng.random() < 0.3 else None,
            "Memo": rng.choice(("", "", "Receipt in folder", "Job site supplies")) or None,
            "ExpenseLineAdd": [line for line, _ in lines],
        }
        charge = self.ctx.sched.add(day, "CreditCardCharge", fields)
        # A charge voided or deleted is not owed: the next card payment leaves it out.
        if self.voids["CreditCardCharge"]() and (when := self._later(day, 1, 10)):
            self.ctx.sched.void(when, "CreditCardCharge", charge)
        elif self._recent(day) and self.deletes["CreditCardCharge"]() and (when := self._later(day, 0, 3)):
            self.ctx.sched.delete(when, "CreditCardCharge", charge)
        else:
            books.card += total
