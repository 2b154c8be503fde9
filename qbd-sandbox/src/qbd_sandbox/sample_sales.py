"""The customer side of the sample company's year: estimates, sales orders, invoices, sales
receipts, credit memos, and the payments that settle the invoices.

Each invoice is given, when it is written, the day its customer will pay it (its due date plus the
customer's habit; never for the few bad debts); :meth:`Sales.collect` writes the payments due
that day, applied to those invoices, into Undeposited Funds (or straight to the bank for an
electronic check). Stock is counted: an inventory part is only sold when it is on hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import sample_data as data
from .sample_lists import Customer, Item, Lists
from .sample_plan import (
    RECENT_DAYS,
    YEAR,
    Books,
    Context,
    Fields,
    OpenDoc,
    Pace,
    Quota,
    business_days,
    money,
    ref,
)

#: Transactions of each type in a year, as a share of the company's size.
SHARES: dict[str, float] = {
    "Invoice": 0.19,
    "SalesReceipt": 0.068,
    "CreditMemo": 0.016,
    "Estimate": 0.05,
    "SalesOrder": 0.034,
}
#: Kinds of item on a job's invoice, weighted by repetition.
JOB_LINE_KINDS = (
    "ItemService",
    "ItemService",
    "ItemService",
    "ItemNonInventory",
    "ItemNonInventory",
    "ItemInventory",
    "ItemInventory",
    "ItemOtherCharge",
)
COUNTER_LINE_KINDS = ("ItemInventory", "ItemInventory", "ItemNonInventory", "ItemService")


@dataclass
class Line:
    item: Item
    quantity: int
    rate: int  # cents

    @property
    def amount(self) -> int:
        return self.quantity * self.rate


class Sales:
    """Writes the sales transactions of each day into the schedule."""

    def __init__(self, ctx: Context, lists: Lists, books: Books) -> None:
        self.ctx, self.lists, self.books = ctx, lists, books
        self.rng = ctx.rng
        days = business_days(ctx.calendar)
        self.pace = {name: Pace(self.rng, ctx.per_year(share), days) for name, share in SHARES.items()}
        self.voids = {name: Quota(self.rng, 0.025) for name in ("Invoice", "SalesReceipt", "CreditMemo")}
        # Deletions happen in the last weeks only (see RECENT_DAYS), so their rate there is higher.
        self.deletes = {
            name: Quota(self.rng, 0.12)
            for name in ("Invoice", "SalesReceipt", "CreditMemo", "Estimate", "SalesOrder")
        }
        self.mods = {
            name: Quota(self.rng, 0.06) for name in ("Invoice", "Estimate", "SalesOrder", "SalesReceipt")
        }
        self.partial = Quota(self.rng, 0.1)
        self.prices: dict[str, int] = {}  # item full name -> current price, after price rises

    # -- helpers ---------------------------------------------------------------------------------

    def _customer(self, day: int) -> Customer | None:
        pool = self.lists.pool("customers", day)
        if not pool:
            return None
        chosen = self.rng.choice(pool)
        assert isinstance(chosen, Customer)
        return chosen

    def _item(self, kind: str, day: int) -> Item | None:
        pool = self.lists.pool(kind, day)
        if not pool:
            return None
        chosen = self.rng.choice(pool)
        assert isinstance(chosen, Item)
        return chosen

    def _lines(self, day: int, kinds: tuple[str, ...], count: int, *, take_stock: bool) -> list[Line]:
        """Up to ``count`` lines of distinct items; inventory only as far as it is on hand."""
        lines: list[Line] = []
        seen: set[str] = set()
        for _ in range(count):
            item = self._item(self.rng.choice(kinds), day)
            if item is None or item.full_name in seen:
                continue
            low, high = item.row.qty
            quantity = self.rng.randint(low, high)
            if item.row.kind == "ItemInventory":
                on_hand = self.books.on_hand.get(item.full_name, 0)
                quantity = min(quantity, on_hand)
                if quantity <= 0:
                    continue
                if take_stock:
                    self.books.on_hand[item.full_name] = on_hand - quantity
            seen.add(item.full_name)
            lines.append(Line(item, quantity, item.row.price))
        return lines

    def _line_fields(self, line: Line, customer: Customer, *, service_date: str | None = None) -> Fields:
        taxable = line.item.row.taxable and customer.tax_code == "Tax"
        fields: Fields = {
            "ItemRef": ref(line.item.full_name),
            "Desc": line.item.row.desc,
            "Quantity": line.quantity,
            "Rate": money(line.rate),
            "Amount": money(line.amount),
            "SalesTaxCodeRef": ref("Tax" if taxable else "Non"),
        }
        if service_date:
            fields["ServiceDate"] = service_date
        return fields

    def _tax(self, lines: list[Line], customer: Customer) -> int:
        """The sales tax QuickBooks computes: the rate on the taxable lines, rounded half up."""
        if customer.tax_code != "Tax":
            return 0
        taxable = sum(line.amount for line in lines if line.item.row.taxable)
        return (taxable * data.SALES_TAX_BASIS_POINTS + 5000) // 10000

    def _later(self, day: int, low: int, high: int) -> int | None:
        """A later day for an event, or None when it would fall after the year."""
        when = day + self.rng.randint(low, high)
        return when if when <= YEAR else None

    def _recent(self, day: int) -> bool:
        return day > YEAR - RECENT_DAYS

    # -- the day ---------------------------------------------------------------------------------

    def day(self, day: int) -> None:
        if self.ctx.calendar.is_business_day(day):
            for name, write in (
                ("Estimate", self.estimate),
                ("SalesOrder", self.sales_order),
                ("Invoice", self.invoice),
                ("SalesReceipt", self.sales_receipt),
                ("CreditMemo", self.credit_memo),
            ):
                for _ in range(self.pace[name].today()):
                    write(day)
        self.collect(day)

    def invoice(self, day: int) -> None:
        customer = self._customer(day)
        if customer is None:
            return
        rng, books = self.rng, self.books
        lines = self._lines(day, JOB_LINE_KINDS, rng.randint(2, 6), take_stock=True)
        if not lines:
            return
        tax = self._tax(lines, customer)
        total = sum(line.amount for line in lines) + tax
        number = books.number("invoice", 1001 + rng.randrange(0, 40) * 100)
        txn_date = day - (1 if rng.random() < 0.15 else 0)
        terms = data.TERM_DAYS.get(customer.terms, 30)
        service_date = self.ctx.date(max(1, txn_date - rng.randint(0, 6)))
        fields: Fields = {
            "CustomerRef": ref(customer.full_name),
            "ClassRef": ref(customer.sales_class),
            "ARAccountRef": self.lists.account("ar"),
            "TxnDate": self.ctx.date(txn_date),
            "RefNumber": str(number),
            "BillAddress": customer.address or None,
            "PONumber": f"PO-{rng.randrange(1000, 99999)}" if rng.random() < 0.2 else None,
            "TermsRef": ref(customer.terms),
            "DueDate": self.ctx.date(txn_date + terms),
            "Memo": rng.choice(data.INVOICE_MEMOS) if rng.random() < 0.4 else None,
            "IsToBePrinted": False,
            "IsToBeEmailed": rng.random() < 0.5,
            "ItemSalesTaxRef": ref(data.SALES_TAX_ITEM),
            "InvoiceLineAdd": [
                self._line_fields(line, customer, service_date=service_date) for line in lines
            ],
        }
        invoice = self.ctx.sched.add(day, "Invoice", fields)
        books.revenue += total - tax
        books.sales_tax += tax
        if self.mods["Invoice"]() and (when := self._later(day, 1, 30)):
            change = rng.choice(
                (
                    {"Memo": "Revised: " + rng.choice(data.INVOICE_MEMOS)},
                    {"PONumber": f"PO-{rng.randrange(1000, 99999)}"},
                    {
                        "DueDate": self.ctx.date(txn_date + terms + 15),
                        "Memo": "Extended terms per phone call",
                    },
                )
            )
            self.ctx.sched.modify(when, "Invoice", invoice, change)
        if self.voids["Invoice"]() and (when := self._later(day, 1, 10)):
            self.ctx.sched.void(when, "Invoice", invoice)
            books.revenue -= total - tax
            books.sales_tax -= tax
            return
        if self._recent(day) and self.deletes["Invoice"]() and (when := self._later(day, 0, 6)):
            self.ctx.sched.delete(when, "Invoice", invoice)
            books.revenue -= total - tax
            books.sales_tax -= tax
            return
        if customer.bad_debt:
            return
        pay_day = txn_date + terms + customer.late + rng.randint(-3, 7)
        pay_day = max(day, pay_day)
        if self.partial() and total >= 2000:
            first = total // 2
            self._expect(pay_day, OpenDoc(invoice, customer.full_name, first, pay_day))
            rest_day = pay_day + rng.randint(14, 35)
            self._expect(rest_day, OpenDoc(invoice, customer.full_name, total - first, rest_day))
        else:
            self._expect(pay_day, OpenDoc(invoice, customer.full_name, total, pay_day))

    def _expect(self, pay_day: int, doc: OpenDoc) -> None:
        if pay_day <= YEAR:
            self.books.collections.setdefault(pay_day, []).append(doc)

    def collect(self, day: int) -> None:
        """The payments customers make today, one per customer, applied to what they pay."""
        due = self.books.collections.pop(day, [])
        by_customer: dict[str, list[OpenDoc]] = {}
        for doc in due:
            by_customer.setdefault(doc.party, []).append(doc)
        for name, docs in by_customer.items():
            self.payment(day, name, docs)

    def payment(self, day: int, customer_name: str, docs: list[OpenDoc]) -> None:
        rng, books = self.rng, self.books
        total = sum(doc.amount for doc in docs)
        method = rng.choice(data.CUSTOMER_PAYMENT_METHODS)
        to_bank = method == "E-Check"
        fields: Fields = {
            "CustomerRef": ref(customer_name),
            "ARAccountRef": self.lists.account("ar"),
            "TxnDate": self.ctx.date(day),
            "RefNumber": str(rng.randrange(1000, 99999)) if method == "Check" else None,
            "TotalAmount": money(total),
            "PaymentMethodRef": ref(method),
            "Memo": f"Thank you! {customer_name.split(':')[0]}" if rng.random() < 0.1 else None,
            "DepositToAccountRef": self.lists.account("checking" if to_bank else "uf"),
            "AppliedToTxnAdd": [{"TxnID": doc.ref, "PaymentAmount": money(doc.amount)} for doc in docs],
        }
        payment = self.ctx.sched.add(day, "ReceivePayment", fields)
        if to_bank:
            books.bank["checking"] += total
        else:
            books.undeposited.append((payment, total))

    def sales_receipt(self, day: int) -> None:
        rng, books = self.rng, self.books
        customer = self.lists.cash_customer if rng.random() < 0.6 else self._customer(day)
        if customer is None:
            return
        kinds = COUNTER_LINE_KINDS if customer is self.lists.cash_customer else JOB_LINE_KINDS
        lines = self._lines(day, kinds, rng.randint(1, 3), take_stock=True)
        if not lines:
            return
        tax = self._tax(lines, customer)
        total = sum(line.amount for line in lines) + tax
        method = rng.choice(data.COUNTER_PAYMENT_METHODS)
        to_bank = rng.random() < 0.2
        fields: Fields = {
            "CustomerRef": ref(customer.full_name),
            "ClassRef": ref("Service & Repair"),
            "TxnDate": self.ctx.date(day),
            "RefNumber": f"SR-{books.number('receipt', 3001)}",
            "CheckNumber": str(rng.randrange(100, 9999)) if method == "Check" else None,
            "PaymentMethodRef": ref(method),
            "Memo": "Counter sale" if customer is self.lists.cash_customer else None,
            "ItemSalesTaxRef": ref(data.SALES_TAX_ITEM),
            "DepositToAccountRef": self.lists.account("checking" if to_bank else "uf"),
            "SalesReceiptLineAdd": [self._line_fields(line, customer) for line in lines],
        }
        receipt = self.ctx.sched.add(day, "SalesReceipt", fields)
        books.revenue += total - tax
        books.sales_tax += tax
        if self.mods["SalesReceipt"]() and (when := self._later(day, 1, 20)):
            self.ctx.sched.modify(
                when, "SalesReceipt", receipt, {"Memo": "Customer asked for a copy by e-mail"}
            )
        if not to_bank and self.voids["SalesReceipt"]() and (when := self._later(day, 0, 0)):
            # Rung up twice: voided the same day, before it was deposited.
            self.ctx.sched.void(when, "SalesReceipt", receipt)
            books.revenue -= total - tax
            books.sales_tax -= tax
            return
        if (
            not to_bank
            and self._recent(day)
            and self.deletes["SalesReceipt"]()
            and (when := self._later(day, 0, 0))
        ):
            self.ctx.sched.delete(when, "SalesReceipt", receipt)
            books.revenue -= total - tax
            books.sales_tax -= tax
            return
        if to_bank:
            books.bank["checking"] += total
        else:
            books.undeposited.append((receipt, total))

    def credit_memo(self, day: int) -> None:
        rng = self.rng
        customer = self._customer(day)
        if customer is None:
            return
        returned = self._lines(
            day, ("ItemNonInventory", "ItemInventory", "ItemOtherCharge"), 1, take_stock=False
        )
        lines = []
        for line in returned:
            # Returns are a fraction of a typical line.
            line.quantity = max(1, line.quantity // 3)
            lines.append(line)
            if line.item.row.kind == "ItemInventory":
                self.books.on_hand[line.item.full_name] = (
                    self.books.on_hand.get(line.item.full_name, 0) + line.quantity
                )
        if not lines:
            return
        fields: Fields = {
            "CustomerRef": ref(customer.full_name),
            "ClassRef": ref(customer.sales_class),
            "ARAccountRef": self.lists.account("ar"),
            "TxnDate": self.ctx.date(day),
            "RefNumber": f"CM-{self.books.number('credit', 101)}",
            "Memo": rng.choice(data.CREDIT_MEMOS),
            "ItemSalesTaxRef": ref(data.SALES_TAX_ITEM),
            "CreditMemoLineAdd": [self._line_fields(line, customer) for line in lines],
        }
        memo = self.ctx.sched.add(day, "CreditMemo", fields)
        tax = self._tax(lines, customer)
        if any(line.item.row.kind == "ItemInventory" for line in lines):
            self.books.sales_tax -= tax
            return  # stock came back: keep it simple, no void or delete of this one
        if self.voids["CreditMemo"]() and (when := self._later(day, 1, 10)):
            self.ctx.sched.void(when, "CreditMemo", memo)
        elif self._recent(day) and self.deletes["CreditMemo"]() and (when := self._later(day, 0, 5)):
            self.ctx.sched.delete(when, "CreditMemo", memo)
        else:
            self.books.sales_tax -= tax

    def estimate(self, day: int) -> None:
        rng = self.rng
        customer = self._customer(day)
        if customer is None:
            return
        lines = self._lines(day, JOB_LINE_KINDS, rng.randint(2, 6), take_stock=False)
        if not lines:
            return
        fields: Fields = {
            "CustomerRef": ref(customer.full_name),
            "ClassRef": ref(customer.sales_class),
            "TxnDate": self.ctx.date(day),
            "RefNumber": f"E-{self.books.number('estimate', 501)}",
            "BillAddress": customer.address or None,
            "IsActive": True,
            "DueDate": self.ctx.date(day + 30),
            "Memo": rng.choice(data.ESTIMATE_MEMOS) if rng.random() < 0.5 else None,
            "ItemSalesTaxRef": ref(data.SALES_TAX_ITEM),
            "EstimateLineAdd": [self._line_fields(line, customer) for line in lines],
        }
        estimate = self.ctx.sched.add(day, "Estimate", fields)
        if self._recent(day) and self.deletes["Estimate"]() and (when := self._later(day, 0, 5)):
            self.ctx.sched.delete(when, "Estimate", estimate)
        elif self.mods["Estimate"]() and (when := self._later(day, 5, 40)):
            # Declined by the customer: no longer active.
            self.ctx.sched.modify(when, "Estimate", estimate, {"IsActive": False, "Memo": "Declined"})

    def sales_order(self, day: int) -> None:
        rng = self.rng
        customer = self._customer(day)
        if customer is None:
            return
        lines = self._lines(
            day, ("ItemInventory", "ItemInventory", "ItemNonInventory"), rng.randint(1, 4), take_stock=False
        )
        if not lines:
            return
        fields: Fields = {
            "CustomerRef": ref(customer.full_name),
            "ClassRef": ref(customer.sales_class),
            "TxnDate": self.ctx.date(day),
            "RefNumber": f"SO-{self.books.number('order', 7001)}",
            "PONumber": f"{rng.randrange(10000, 99999)}" if rng.random() < 0.3 else None,
            "TermsRef": ref(customer.terms),
            "ShipDate": self.ctx.date(day + rng.randint(3, 20)),
            "Memo": "Special order" if rng.random() < 0.3 else None,
            "ItemSalesTaxRef": ref(data.SALES_TAX_ITEM),
            "SalesOrderLineAdd": [self._line_fields(line, customer) for line in lines],
        }
        order = self.ctx.sched.add(day, "SalesOrder", fields)
        if self._recent(day) and self.deletes["SalesOrder"]() and (when := self._later(day, 0, 5)):
            self.ctx.sched.delete(when, "SalesOrder", order)
        elif self.mods["SalesOrder"]() and (when := self._later(day, 10, 60)):
            self.ctx.sched.modify(
                when, "SalesOrder", order, {"IsManuallyClosed": True, "Memo": "Closed: delivered"}
            )
