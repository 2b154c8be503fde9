"""The name lists set up before the year starts: accounts, terms, payment methods, classes, locations,
journal codes, the foreign currency with its exchange rates, and the items (written last, as the
year's stock moves left them)."""

from __future__ import annotations

from collections.abc import Sequence

from .books import Books
from .data.accounts import ACCOUNTS, CLASSIFICATION, INACTIVE_ACCOUNTS
from .data.items import CATEGORIES, GROUPS, INACTIVE_ITEMS, ITEMS, PLANT_SIZES, PLANTS
from .data.lists import (
    CLASSES,
    DEPARTMENTS,
    INACTIVE_CLASSES,
    INACTIVE_DEPARTMENTS,
    JOURNAL_CODES,
    PAYMENT_METHODS,
    TERMS,
)
from .model import DAY, FOREIGN, HOME, YEAR, Account, Item, Named, Pool, Term


def accounts(b: Books) -> None:
    """The chart of accounts, parents before their sub-accounts."""
    by_key: dict[str, Account] = {}
    recent = b.recent_set(len(ACCOUNTS), 20)
    for n, (key, name, acct_type, sub_type, parent_key) in enumerate(ACCOUNTS):
        parent = by_key[parent_key] if parent_key else None
        active = key not in INACTIVE_ACCOUNTS
        shown = name if active else f"{name} (deleted)"  # QBO renames what it "deletes"
        fqn = f"{parent.name}:{shown}" if parent else shown
        acct = Account(str(n + 1), fqn, key=key)
        by_key[key] = acct
        created = b.setup_ts(n + 1)
        updated = b.later(created, n in recent) if active else b.sometime(created)
        p = b.entity(acct.id, created, updated)
        p["Name"] = shown
        p["SubAccount"] = parent is not None
        if parent:
            p["ParentRef"] = parent.ref()
        p.update(
            {
                "FullyQualifiedName": fqn,
                "Active": active,
                "Classification": CLASSIFICATION[acct_type],
                "AccountType": acct_type,
                "AccountSubType": sub_type,
                "CurrentBalance": 0,
                "CurrentBalanceWithSubAccounts": 0,
                "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
            }
        )
        b.out["Account"].append(p)
    b.acct = by_key


def simple_lists(b: Books) -> None:
    """Terms, payment methods, classes, locations (departments) and journal codes."""
    k = 200
    b.terms = []
    for n, (name, days, pct, disc_days) in enumerate(TERMS):
        term = Term(str(n + 1), name, days=days)
        b.terms.append(term)
        p = b.entity(term.id, b.setup_ts(k + n), b.setup_ts(k + n))
        p.update({"Name": name, "Active": True, "Type": "STANDARD", "DueDays": days})
        if pct:
            p.update({"DiscountPercent": pct, "DiscountDays": disc_days})
        b.out["Term"].append(p)
    b.net30 = b.terms[3]
    b.methods = {}
    for n, (name, kind) in enumerate(PAYMENT_METHODS):
        method = Named(str(n + 1), name)
        b.methods[name] = method
        p = b.entity(method.id, b.setup_ts(k + 10 + n), b.setup_ts(k + 10 + n))
        p.update({"Name": name, "Active": True, "Type": kind})
        b.out["PaymentMethod"].append(p)
    b.classes = hierarchy(b, "Class", CLASSES, INACTIVE_CLASSES, "SubClass", k + 20)
    b.departments = hierarchy(b, "Department", DEPARTMENTS, INACTIVE_DEPARTMENTS, "SubDepartment", k + 30)
    for n, (name, kind, desc) in enumerate(JOURNAL_CODES):
        created = b.setup_ts(k + 40 + n)
        p = b.entity(str(n + 1), created, b.later(created))
        p.update({"Name": name, "Type": kind, "Description": desc, "Active": True})
        b.out["JournalCode"].append(p)


def hierarchy(
    b: Books,
    kind: str,
    rows: Sequence[tuple[str, str | None]],
    inactive: Sequence[str],
    sub_flag: str,
    k: int,
) -> list[Named]:
    """Classes or departments: top-level ones and their children, with FullyQualifiedName."""
    made: dict[str, Named] = {}
    usable: list[Named] = []
    for n, (name, parent_name) in enumerate(rows):
        parent = made[parent_name] if parent_name else None
        active = name not in inactive
        shown = name if active else f"{name} (deleted)"
        obj = Named(str(n + 1), f"{parent.name}:{shown}" if parent else shown)
        made[name] = obj
        created = b.setup_ts(k + n)
        p = b.entity(obj.id, created, b.later(created) if active else b.sometime(created))
        p["Name"] = shown
        p[sub_flag] = parent is not None
        if parent:
            p["ParentRef"] = parent.ref()
        p["FullyQualifiedName"] = obj.name
        p["Active"] = active
        b.out[kind].append(p)
        if active:
            usable.append(obj)
    return usable


def currencies(b: Books) -> None:
    """The foreign currency and a year of its exchange rate against the home currency."""
    created = b.setup_ts(300)
    p = b.entity("1", created, created)
    p.update({"Code": FOREIGN[0], "Name": FOREIGN[1], "Active": True})
    b.out["CompanyCurrency"].append(p)
    # A daily EUR rate as a random walk; QBO keeps rows by date, we write one a week and each
    # transaction in EUR uses the row of its week, so the two always agree.
    rate = 1.05 + b.rng.random() * 0.08
    for _ in range(YEAR + 1):
        rate = min(1.25, max(0.95, rate * (1 + b.rng.gauss(0, 0.003))))
        b.rates.append(round(rate, 4))
    for day in range(0, YEAR + 1, 7):
        ts = min(day * DAY + 6 * 3600, b.clock.now_ts)
        b.out["ExchangeRate"].append(
            {
                "SourceCurrencyCode": FOREIGN[0],
                "TargetCurrencyCode": HOME[0],
                "Rate": b.rates[day],
                "AsOfDate": b.clock.dates[day],
                "SyncToken": "0",
                "domain": "QBO",
                "sparse": False,
                "MetaData": b.clock.meta(ts, ts),
            }
        )


def items(b: Books) -> None:
    """Categories, items (more plants in a larger company) and groups, with the pools sales draw from."""
    b.item_list = []
    by_name: dict[str, Item] = {}

    def add(item: Item) -> None:
        b.item_list.append(item)
        by_name[item.label] = item

    n = 0
    for name in CATEGORIES:
        n += 1
        add(Item(str(n), name, label=name, type="Category", created=b.setup_ts(400 + n)))
    for name, kind, cat, income, expense, price, cost, taxable, lo, hi, half, desc in ITEMS:
        n += 1
        parent = by_name[cat] if cat else None
        active = name not in INACTIVE_ITEMS
        shown = name if active else f"{name} (deleted)"
        # "Services" is the company's first item (Id 1), as in Intuit's sample company
        created = b.setup_ts(399 if name == "Services" else 400 + n)
        add(
            Item(
                str(n),
                f"{parent.name}:{shown}" if parent else shown,
                label=shown,
                type=kind,
                parent=parent,
                income=b.acct[income] if income else None,
                expense=b.acct[expense] if expense else None,
                price=price,
                cost=cost,
                taxable=taxable,
                lo=lo,
                hi=hi,
                half=half,
                desc=desc,
                active=active,
                created=created,
            )
        )
    # A larger company sells more plants: one NonInventory item per plant and pot size.
    extra = b.size // 1000
    plants = [(p, s) for s in PLANT_SIZES for p in PLANTS]
    category = by_name["Plants and Soil"]
    for i in range(min(extra, len(plants) * 50)):
        (plant, (pot, price)), batch = plants[i % len(plants)], i // len(plants)
        label = f"{plant} {pot}" + (f" #{batch + 1}" if batch else "")
        n += 1
        add(
            Item(
                str(n),
                f"{category.name}:{label}",
                label=label,
                type="NonInventory",
                parent=category,
                income=b.acct["materials_inc"],
                expense=b.acct["plants"],
                price=price,
                cost=price * 55 // 100,
                taxable=True,
                lo=1,
                hi=12,
                desc=f"{plant}, {pot}",
                created=b.rng.randrange(1, 330) * DAY + 6 * 3600 + b.rng.randrange(3600),
            )
        )
    for name, desc, parts in GROUPS:
        n += 1
        add(
            Item(
                str(n),
                name,
                label=name,
                type="Group",
                desc=desc,
                created=b.setup_ts(400 + n),
                components=tuple((by_name[part], qty) for part, qty in parts),
            )
        )
    # Ids follow creation order, as QBO numbers them
    b.item_list.sort(key=lambda it: (it.created, int(it.id)))
    for i, item in enumerate(b.item_list):
        item.id = str(i + 1)
    sellable = [it for it in b.item_list if it.active and it.type in ("Service", "NonInventory", "Inventory")]
    b.sell_pool = Pool(sellable, [it.created // DAY for it in sellable])
    buyable = [it for it in sellable if it.type in ("NonInventory", "Inventory")]
    b.buy_pool = Pool(buyable, [it.created // DAY for it in buyable])
    services = [it for it in sellable if it.type == "Service"]
    b.service_pool = Pool(services, [it.created // DAY for it in services])


def emit_items(b: Books) -> None:
    """The Item payloads, once the year's sales and purchases have moved the stock."""
    rng = b.rng
    start = b.clock.dates[0]
    recent = b.recent_set(len(b.item_list))
    for i, it in enumerate(b.item_list):
        updated = max(it.updated, it.created)  # stock moves update an inventory item
        if i in recent:
            updated = max(updated, b.later(it.created, True))
        elif not it.active:
            updated = b.sometime(it.created)
        p = b.entity(it.id, it.created, updated)
        p["Name"] = it.label
        if it.desc:
            p["Description"] = it.desc
        p["Active"] = it.active
        if it.parent is not None:
            p.update({"SubItem": True, "ParentRef": it.parent.ref(), "Level": 1})
        p["FullyQualifiedName"] = it.name
        p["Type"] = it.type
        if it.type == "Group":
            p["PrintGroupedItems"] = False
            p["ItemGroupDetail"] = {
                "ItemGroupLine": [
                    {"ItemRef": {"value": part.id, "name": part.name}, "Qty": qty}
                    for part, qty in it.components
                ]
            }
        elif it.type != "Category":
            p["Taxable"] = it.taxable
            p["UnitPrice"] = it.price / 100
            if it.income is not None:
                p["IncomeAccountRef"] = it.income.ref()
            if it.cost:
                p["PurchaseDesc"] = it.desc
                p["PurchaseCost"] = it.cost / 100
            if it.expense is not None:
                p["ExpenseAccountRef"] = it.expense.ref()
            if it.type == "Inventory":
                # enough stock at the start of the year for everything sold since
                on_hand = rng.randint(5, 40)
                it.start_qty = max(0, it.qty) + on_hand
                p.update(
                    {
                        "AssetAccountRef": b.acct["inventory"].ref(),
                        "TrackQtyOnHand": True,
                        "QtyOnHand": it.start_qty - it.qty,
                        "InvStartDate": start,
                    }
                )
            else:
                p["TrackQtyOnHand"] = False
        b.out["Item"].append(p)
