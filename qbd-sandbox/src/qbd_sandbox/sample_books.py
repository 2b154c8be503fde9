"""The bookkeeper's side of the sample company's year: deposits, transfers, journal entries
(opening balances, payroll, depreciation, reclassifications), the card and loan payments, bank
charges and interest, and the crew's timesheets.

Money comes in before it goes out: the year opens with the owner's investment; payments wait in
Undeposited Funds until a deposit takes them to the bank; a payroll the checking account cannot
cover is covered first from savings, then by the owner, on the same day and before it is paid.
"""

from __future__ import annotations

from . import sample_data as data
from .sample_lists import Customer, Entry, Item, Lists
from .sample_plan import (
    RECENT_DAYS,
    YEAR,
    Books,
    Context,
    Fields,
    Pace,
    Quota,
    Ref,
    business_days,
    money,
    ref,
)

#: Transactions of each type in a year, as a share of the company's size. Payroll, depreciation,
#: interest and the card and loan payments are monthly and come on top.
SHARES: dict[str, float] = {
    "Deposit": 0.045,
    "Transfer": 0.014,
    "JournalEntry": 0.006,
    "TimeTracking": 0.09,
}
#: Payroll (wages and taxes, run by a payroll service) as a share of what was billed since the last one.
PAYROLL_SHARE = 0.28
#: The checking account keeps about this many days of payroll; more is swept to savings.
SWEEP_ABOVE = 1.5


class Bookkeeping:
    """Writes the bookkeeper's transactions of each day into the schedule."""

    def __init__(self, ctx: Context, lists: Lists, books: Books) -> None:
        self.ctx, self.lists, self.books = ctx, lists, books
        self.rng = ctx.rng
        self.scale = max(0.1, ctx.size / 1000)
        days = business_days(ctx.calendar)
        self.pace = {name: Pace(self.rng, ctx.per_year(share), days) for name, share in SHARES.items()}
        self.voids = Quota(self.rng, 0.05)
        self.deletes = {"JournalEntry": Quota(self.rng, 0.1), "TimeTracking": Quota(self.rng, 0.03)}
        self.mods = {"TimeTracking": Quota(self.rng, 0.04), "Deposit": Quota(self.rng, 0.05)}
        self.last_payroll = 0
        self.loan = 5_200_000  # cents owed on the truck

    # -- helpers ---------------------------------------------------------------------------------

    def _journal(
        self,
        day: int,
        debits: list[tuple[str, int]],
        credits: list[tuple[str, int]],
        memo: str,
        **extra: object,
    ) -> Ref:
        def line(key: str, amount: int) -> Fields:
            return {"AccountRef": self.lists.account(key), "Amount": money(amount), "Memo": memo}

        fields: Fields = {
            "TxnDate": self.ctx.date(day),
            "RefNumber": f"GJ-{self.books.number('journal', 1)}",
            "Memo": memo,
            **extra,
            "JournalDebitLine": [line(k, a) for k, a in debits],
            "JournalCreditLine": [line(k, a) for k, a in credits],
        }
        return self.ctx.sched.add(day, "JournalEntry", fields)

    def _later(self, day: int, low: int, high: int) -> int | None:
        when = day + self.rng.randint(low, high)
        return when if when <= YEAR else None

    def _transfer(self, day: int, source: str, target: str, amount: int, memo: str) -> None:
        fields: Fields = {
            "TxnDate": self.ctx.date(day),
            "TransferFromAccountRef": self.lists.account(source),
            "TransferToAccountRef": self.lists.account(target),
            "ClassRef": ref(data.OVERHEAD_CLASS),
            "Amount": money(amount),
            "Memo": memo,
        }
        self.ctx.sched.add(day, "Transfer", fields)
        self.books.bank[source] -= amount
        self.books.bank[target] += amount

    def _owner_deposit(self, day: int, amount: int, memo: str) -> None:
        fields: Fields = {
            "TxnDate": self.ctx.date(day),
            "DepositToAccountRef": self.lists.account("checking"),
            "Memo": memo,
            "DepositLineAdd": [
                {"AccountRef": self.lists.account("investments"), "Memo": memo, "Amount": money(amount)}
            ],
        }
        self.ctx.sched.add(day, "Deposit", fields)
        self.books.bank["checking"] += amount

    def ensure(self, day: int, amount: int) -> None:
        """Make the checking account hold ``amount`` today: from savings first, then from the owner."""
        books = self.books
        short = amount - books.bank["checking"]
        if short <= 0:
            return
        from_savings = min(books.bank["savings"], -(-short // 100_000) * 100_000)
        if from_savings > 0:
            self._transfer(day, "savings", "checking", from_savings, "To cover payroll and bills")
            short -= from_savings
        if short > 0:
            self._owner_deposit(day, -(-short // 500_000) * 500_000, "Owner investment: cash for operations")

    def payroll_estimate(self) -> int:
        return round(2_500_000 * self.scale * PAYROLL_SHARE)

    # -- the day ---------------------------------------------------------------------------------

    def opening(self, day: int) -> None:
        """The first day: the owner's money in the bank and the balances the company started with."""
        self._owner_deposit(day, round(6_000_000 * self.scale), "Owner investment: opening capital")
        self._journal(
            day,
            [("fixed", 1_850_000), ("trucks_cost", self.loan)],
            [("obe", 1_850_000), ("truck_loan", self.loan)],
            "Opening balances: equipment, and the truck bought on the loan",
        )
        self._transfer(day, "checking", "petty", 30_000, "Petty cash float")

    def morning(self, day: int) -> None:
        if day == 1:
            self.opening(day)
        if self.ctx.calendar.is_business_day(day):
            slips = self.pace["Deposit"].today()
            for n in range(slips):
                self.deposit(day, slips - n)

    def evening(self, day: int) -> None:
        calendar = self.ctx.calendar
        date = calendar.date(day)
        if calendar.is_business_day(day):
            for _ in range(self.pace["TimeTracking"].today()):
                self.time_entry(day)
            for _ in range(self.pace["Transfer"].today()):
                self.transfer(day)
            for _ in range(self.pace["JournalEntry"].today()):
                self.reclass(day)
        if date.day == 5:
            self.loan_payment(day)
        if date.day == 22:
            self.card_payment(day)
        if date.day == 20 and date.month in (1, 4, 7, 10):
            self.sales_tax_return(day)
        if date.day == 15 or calendar.month_end(day):
            self.payroll(day)
        if calendar.month_end(day):
            self.month_end(day)
            if date.month in (3, 6, 9, 12):
                self.books.tax_return = self.books.sales_tax

    # -- money in ---------------------------------------------------------------------------------

    def deposit(self, day: int, slips: int = 1) -> None:
        """Take what waits in Undeposited Funds to the bank, shared among today's ``slips`` left."""
        books = self.books
        if not books.undeposited:
            return
        count = min(40, -(-len(books.undeposited) // slips))
        slip, books.undeposited = books.undeposited[:count], books.undeposited[count:]
        total = sum(amount for _, amount in slip)
        fields: Fields = {
            "TxnDate": self.ctx.date(day),
            "DepositToAccountRef": self.lists.account("checking"),
            "Memo": "Deposit",
            "DepositLineAdd": [{"PaymentTxnID": payment} for payment, _ in slip],
        }
        deposit = self.ctx.sched.add(day, "Deposit", fields)
        books.bank["checking"] += total
        if self.mods["Deposit"]() and (when := self._later(day, 1, 10)):
            self.ctx.sched.modify(when, "Deposit", deposit, {"Memo": "Deposit: slip matched to statement"})

    def month_end(self, day: int) -> None:
        books = self.books
        interest = books.bank["savings"] * 11 // 10_000 // 12  # 1.1% a year
        if interest > 0:
            fields: Fields = {
                "TxnDate": self.ctx.date(day),
                "DepositToAccountRef": self.lists.account("savings"),
                "Memo": "Interest",
                "DepositLineAdd": [
                    {
                        "AccountRef": self.lists.account("interest_income"),
                        "Memo": "Interest",
                        "Amount": money(interest),
                    }
                ],
            }
            self.ctx.sched.add(day, "Deposit", fields)
            books.bank["savings"] += interest
        amount = 86_700 + self.rng.randrange(0, 3) * 100
        self._journal(
            day,
            [("depreciation", amount)],
            [("trucks_dep", amount)],
            "Monthly depreciation",
            IsAdjustment=True,
        )
        charge = self.rng.randrange(1_500, 6_500)
        self.ensure(day, charge)
        fields = {
            "AccountRef": self.lists.account("checking"),
            "PayeeEntityRef": ref("First Coast Bank"),
            "TxnDate": self.ctx.date(day),
            "Memo": "Service charge",
            "ExpenseLineAdd": [{"AccountRef": self.lists.account("bank_charges"), "Amount": money(charge)}],
        }
        self.ctx.sched.add(day, "Check", fields)
        books.bank["checking"] -= charge

    # -- money out --------------------------------------------------------------------------------

    def payroll(self, day: int) -> None:
        """The payroll service's run: wages and taxes out of checking, booked as a journal entry."""
        books = self.books
        gross = max(round(books.revenue * PAYROLL_SHARE), self.payroll_estimate() // 3)
        books.revenue = 0
        wages = gross * 4 // 5
        taxes = gross - wages
        self.ensure(day, gross)
        self._journal(
            day,
            [("wages", wages), ("payroll_taxes", taxes)],
            [("checking", gross)],
            "Payroll: net pay and taxes",
        )
        books.bank["checking"] -= gross
        self.last_payroll = gross

    def loan_payment(self, day: int) -> None:
        books = self.books
        if self.loan <= 0:
            return
        interest = self.loan * 65 // 10_000  # 7.8% a year, monthly
        principal = min(self.loan, 86_000)
        self.ensure(day, principal + interest)
        fields: Fields = {
            "AccountRef": self.lists.account("checking"),
            "PayeeEntityRef": ref("First Coast Bank"),
            "RefNumber": str(books.number("check", 2001)),
            "TxnDate": self.ctx.date(day),
            "Memo": "Truck loan",
            "ExpenseLineAdd": [
                {
                    "AccountRef": self.lists.account("truck_loan"),
                    "Amount": money(principal),
                    "Memo": "Principal",
                },
                {
                    "AccountRef": self.lists.account("interest_expense"),
                    "Amount": money(interest),
                    "Memo": "Interest",
                },
            ],
        }
        self.ctx.sched.add(day, "Check", fields)
        books.bank["checking"] -= principal + interest
        self.loan -= principal

    def card_payment(self, day: int) -> None:
        """Pay the card's statement balance by check to the bank that issued it."""
        books = self.books
        owed = books.card
        if owed <= 0:
            return
        self.ensure(day, owed)
        fields: Fields = {
            "AccountRef": self.lists.account("checking"),
            "PayeeEntityRef": ref("First Coast Bank"),
            "RefNumber": str(books.number("check", 2001)),
            "TxnDate": self.ctx.date(day),
            "Memo": "Visa statement",
            "ExpenseLineAdd": [{"AccountRef": self.lists.account("visa"), "Amount": money(owed)}],
        }
        self.ctx.sched.add(day, "Check", fields)
        books.bank["checking"] -= owed
        books.card = 0

    def sales_tax_return(self, day: int) -> None:
        """Remit the quarter's sales tax to the agency (by check against Sales Tax Payable)."""
        books = self.books
        owed = books.tax_return
        if owed <= 0:
            return
        self.ensure(day, owed)
        quarter = (self.ctx.calendar.date(day).month - 2) % 12 // 3 + 1
        year = self.ctx.calendar.date(day - 30).year
        fields: Fields = {
            "AccountRef": self.lists.account("checking"),
            "PayeeEntityRef": ref(data.SALES_TAX_AGENCY),
            "RefNumber": str(books.number("check", 2001)),
            "TxnDate": self.ctx.date(day),
            "Memo": f"Sales tax return Q{quarter} {year}",
            "ExpenseLineAdd": [{"AccountRef": self.lists.account("sales_tax"), "Amount": money(owed)}],
        }
        self.ctx.sched.add(day, "Check", fields)
        books.bank["checking"] -= owed
        books.sales_tax -= owed
        books.tax_return = 0

    def transfer(self, day: int) -> None:
        """Top up the petty cash, sweep what checking does not need to savings, or bring some back."""
        books = self.books
        keep = round(max(self.last_payroll, self.payroll_estimate()) * SWEEP_ABOVE)
        if books.bank["petty"] < 10_000 and books.bank["checking"] > 30_000:
            self._transfer(day, "checking", "petty", 30_000 - books.bank["petty"], "Petty cash top-up")
        elif books.bank["checking"] > keep + 100_000:
            amount = (books.bank["checking"] - keep) // 100_000 * 100_000
            self._transfer(day, "checking", "savings", amount, "Sweep to savings")
        elif books.bank["savings"] >= 100_000:
            amount = min(books.bank["savings"], self.rng.randrange(1, 6) * 100_000)
            self._transfer(day, "savings", "checking", amount, "From savings for bills due")

    def reclass(self, day: int) -> None:
        """A journal entry that moves an amount booked to the wrong expense account."""
        rng = self.rng
        source, target = rng.sample(["office", "tools", "computer", "repairs", "meals", "auto_repairs"], 2)
        amount = rng.randrange(2_500, 60_000)
        entry = self._journal(
            day, [(target, amount)], [(source, amount)], "Reclassify: booked to the wrong account"
        )
        if self.voids() and (when := self._later(day, 1, 10)):
            self.ctx.sched.void(when, "JournalEntry", entry)
        elif day > YEAR - RECENT_DAYS and self.deletes["JournalEntry"]() and (when := self._later(day, 0, 3)):
            self.ctx.sched.delete(when, "JournalEntry", entry)

    # -- time ------------------------------------------------------------------------------------

    def time_entry(self, day: int) -> None:
        rng = self.rng
        workers = self.lists.pool("employees", day)
        jobs = self.lists.pool("customers", day)
        services = [
            i for i in self.lists.pool("ItemService", day) if isinstance(i, Item) and i.row.parent == "Labor"
        ]
        if not workers or not jobs or not services:
            return
        worker, job, service = rng.choice(workers), rng.choice(jobs), rng.choice(services)
        assert isinstance(worker, Entry)
        assert isinstance(job, Customer)
        hours, quarter = rng.randint(1, 9), rng.choice((0, 0, 15, 30, 45))
        billable = rng.random() < 0.7
        fields: Fields = {
            "TxnDate": self.ctx.date(day),
            "EntityRef": ref(worker.full_name),
            "CustomerRef": ref(job.full_name),
            "ItemServiceRef": ref(service.full_name),
            "Rate": money(service.row.price) if billable else None,
            "Duration": f"PT{hours}H{quarter}M",
            "ClassRef": ref(job.sales_class),
            "Notes": service.row.desc,
            "BillableStatus": "Billable" if billable else "NotBillable",
        }
        entry = self.ctx.sched.add(day, "TimeTracking", fields)
        if self.mods["TimeTracking"]() and (when := self._later(day, 1, 7)):
            corrected = {
                "EntityRef": ref(worker.full_name),
                "Duration": f"PT{hours + 1}H{quarter}M",
                "Notes": "Corrected",
            }
            self.ctx.sched.modify(when, "TimeTracking", entry, corrected)
        elif day > YEAR - RECENT_DAYS and self.deletes["TimeTracking"]() and (when := self._later(day, 0, 3)):
            self.ctx.sched.delete(when, "TimeTracking", entry)
