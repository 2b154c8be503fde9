"""The tables of the sample company: a general contractor's books in QuickBooks Desktop.

Data only: the generators (``sample_lists``, ``sample_sales``, ``sample_purchases``,
``sample_books``) draw from these tables. Tables are text, one row a line, so a reader sees the
chart of accounts or the item list at a glance; :func:`_rows` splits them. Names carry the characters
people type into QuickBooks (apostrophes, ampersands, accents) but stay within ISO-8859-1, the only
text QuickBooks keeps. Every name fits its qbXML field (31 characters for accounts, classes, items
and terms; 41 for customers and vendors). Money is in integer cents.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

COMPANY_NAME = "Larkspur & Côté Builders"
COMPANY_ADDRESS: dict[str, str] = {
    "Addr1": COMPANY_NAME,
    "Addr2": "1735 County Rd.",
    "City": "Middlefield",
    "State": "CA",
    "PostalCode": "94482",
}


def _rows(table: str, columns: int) -> list[list[str]]:
    """The rows of a text table: ``|``-separated cells, stripped; blank lines and ``#`` lines skipped."""
    out = []
    for line in table.strip().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) != columns:
            raise ValueError(f"sample table row has {len(cells)} cells, expected {columns}: {line!r}")
        out.append(cells)
    return out


def _words(text: str) -> tuple[str, ...]:
    """A ``|``-separated list of names (names may hold spaces)."""
    return tuple(word.strip() for word in text.replace("\n", "|").split("|") if word.strip())


def _cents(text: str) -> int:
    return int(Decimal(text) * 100) if text else 0


class AccountRow(NamedTuple):
    key: str  # how the generators name the account
    number: str
    type: str  # qbXML AccountType
    parent: str | None  # key of the parent account
    name: str
    desc: str


# key            | number | AccountType           | parent       | Name
_ACCOUNTS = """
checking         | 10100  | Bank                  |              | Checking
savings          | 10200  | Bank                  |              | Savings
petty            | 10300  | Bank                  |              | Petty Cash
ar               | 11000  | AccountsReceivable    |              | Accounts Receivable
uf               | 12000  | OtherCurrentAsset     |              | Undeposited Funds
inventory        | 12100  | OtherCurrentAsset     |              | Inventory Asset
fixed            | 15000  | FixedAsset            |              | Furniture & Equipment
trucks           | 15100  | FixedAsset            |              | Trucks
trucks_cost      | 15110  | FixedAsset            | trucks       | Original Cost
trucks_dep       | 15120  | FixedAsset            | trucks       | Depreciation
ap               | 20000  | AccountsPayable       |              | Accounts Payable
visa             | 20500  | CreditCard            |              | Visa
amex             | 20600  | CreditCard            |              | American Express
sales_tax        | 25500  | OtherCurrentLiability |              | Sales Tax Payable
truck_loan       | 23000  | LongTermLiability     |              | Truck Loan
obe              | 30000  | Equity                |              | Opening Balance Equity
capital          | 30100  | Equity                |              | Owner's Capital
investments      | 30110  | Equity                | capital      | Investments
draws            | 30120  | Equity                | capital      | Draws
construction     | 40100  | Income                |              | Construction Income
labor            | 40110  | Income                | construction | Labor Income
materials        | 40120  | Income                | construction | Materials Income
subs             | 40130  | Income                | construction | Subcontracted Labor Income
design           | 40200  | Income                |              | Design Fees
reimb            | 40500  | Income                |              | Reimbursement Income
cogs             | 50100  | CostOfGoodsSold       |              | Cost of Goods Sold
job_expenses     | 54000  | CostOfGoodsSold       |              | Job Expenses
job_materials    | 54200  | CostOfGoodsSold       | job_expenses | Job Materials
subcontract      | 54300  | CostOfGoodsSold       | job_expenses | Subcontractors
equipment_rental | 54400  | CostOfGoodsSold       | job_expenses | Equipment Rental
permits          | 54500  | CostOfGoodsSold       | job_expenses | Permits & Licenses
auto             | 60100  | Expense               |              | Automobile
fuel             | 60110  | Expense               | auto         | Fuel
auto_repairs     | 60130  | Expense               | auto         | Repairs & Maintenance
bank_charges     | 60400  | Expense               |              | Bank Service Charges
computer         | 61700  | Expense               |              | Computer & Internet
depreciation     | 62400  | Expense               |              | Depreciation Expense
insurance        | 63300  | Expense               |              | Insurance
liability_ins    | 63310  | Expense               | insurance    | Liability Insurance
work_comp        | 63320  | Expense               | insurance    | Work Comp
meals            | 64300  | Expense               |              | Meals & Entertainment
office           | 64900  | Expense               |              | Office Supplies
payroll          | 66000  | Expense               |              | Payroll Expenses
wages            | 66010  | Expense               | payroll      | Wages
payroll_taxes    | 66020  | Expense               | payroll      | Payroll Taxes
professional     | 66700  | Expense               |              | Professional Fees
accounting       | 66710  | Expense               | professional | Accounting
legal            | 66720  | Expense               | professional | Legal Fees
rent             | 67100  | Expense               |              | Rent
repairs          | 67200  | Expense               |              | Repairs
tools            | 67500  | Expense               |              | Tools & Small Equipment
telephone        | 68100  | Expense               |              | Telephone
utilities        | 68600  | Expense               |              | Utilities
gas_electric     | 68610  | Expense               | utilities    | Gas & Electric
water            | 68620  | Expense               | utilities    | Water
interest_income  | 70100  | OtherIncome           |              | Interest Income
interest_expense | 80100  | OtherExpense          |              | Interest Expense
"""
_ACCOUNT_DESCS = {
    "checking": "Operating account, First Coast Bank",
    "savings": "Money market, First Coast Bank",
    "trucks_dep": "Accumulated depreciation",
    "visa": "Company card ending 4417",
    "amex": "Closed: moved to the Visa card",
    "truck_loan": "First Coast Bank, 60 months",
    "reimb": "Permits & rentals billed to customers",
}
#: The chart of accounts, parents before children.
ACCOUNTS: tuple[AccountRow, ...] = tuple(
    AccountRow(key, number, type_, parent or None, name, _ACCOUNT_DESCS.get(key, ""))
    for key, number, type_, parent, name in _rows(_ACCOUNTS, 5)
)
ACCOUNT_KEYS = {row.key: row for row in ACCOUNTS}
#: Accounts made inactive during the year (the Amex card was closed in favour of the Visa).
INACTIVE_ACCOUNTS: tuple[str, ...] = ("amex",)

#: Classes, parents before children: (name, parent name).
CLASSES: tuple[tuple[str, str | None], ...] = (
    ("Remodel", None),
    ("New Construction", None),
    ("Residential", "New Construction"),
    ("Commercial", "New Construction"),
    ("Service & Repair", None),
    ("Overhead", None),
    ("Administration", "Overhead"),
    ("Yard & Shop", "Overhead"),
    ("Landscaping", None),
)
#: Classes made inactive during the year (the landscaping line was given up).
INACTIVE_CLASSES: tuple[str, ...] = ("Landscaping",)
#: The classes sales are tracked by (full names).
SALES_CLASSES: tuple[str, ...] = (
    "Remodel",
    "New Construction:Residential",
    "New Construction:Commercial",
    "Service & Repair",
)
OVERHEAD_CLASS = "Overhead:Administration"

# Name            | due days | discount days | discount % | active
_STANDARD_TERMS = """
Due on receipt    | 0        |               |            | yes
Net 15            | 15       |               |            | yes
Net 30            | 30       |               |            | yes
Net 60            | 60       |               |            | yes
2% 10 Net 30      | 30       | 10            | 2          | yes
1% 10 Net 30      | 30       | 10            | 1          | no
"""
# Name            | day of month due | due next month within | discount day | discount % | active
_DATE_DRIVEN_TERMS = """
Due 10th of month | 10               | 5                     |              |            | yes
Due end of month  | 31               | 5                     |              |            | yes
EOM 2% 25th       | 31               | 10                    | 25           | 2          | yes
Due 15th, 1% 5th  | 15               | 5                     | 5            | 1          | no
"""
#: StandardTerms Add fields, in the table's order.
STANDARD_TERMS: tuple[dict[str, object], ...] = tuple(
    {
        "Name": name,
        "IsActive": active == "yes",
        "StdDueDays": int(due),
        "StdDiscountDays": int(days) if days else None,
        "DiscountPct": Decimal(pct) if pct else None,
    }
    for name, due, days, pct, active in _rows(_STANDARD_TERMS, 5)
)
#: DateDrivenTerms Add fields, in the table's order.
DATE_DRIVEN_TERMS: tuple[dict[str, object], ...] = tuple(
    {
        "Name": name,
        "IsActive": active == "yes",
        "DayOfMonthDue": int(due),
        "DueNextMonthDays": int(within),
        "DiscountDayOfMonth": int(day) if day else None,
        "DiscountPct": Decimal(pct) if pct else None,
    }
    for name, due, within, day, pct, active in _rows(_DATE_DRIVEN_TERMS, 6)
)
#: Days a customer or vendor takes to pay under each active term (date-driven ones: typical).
TERM_DAYS: dict[str, int] = {
    "Due on receipt": 0,
    "Net 15": 15,
    "Net 30": 30,
    "Net 60": 60,
    "2% 10 Net 30": 10,
    "Due 10th of month": 25,
    "Due end of month": 20,
    "EOM 2% 25th": 20,
}
CUSTOMER_TERMS = _words("Net 30|Net 30|Net 15|Due on receipt|2% 10 Net 30|Net 60|Due end of month")
VENDOR_TERMS = _words("Net 30|Net 30|Net 15|Due 10th of month|Due end of month|EOM 2% 25th")

#: The sales tax the company collects (an ItemSalesTax), its rate in basis points, and the agency.
SALES_TAX_ITEM = "CA Sales Tax"
SALES_TAX_DESC = "California sales tax, San Mateo County"
SALES_TAX_BASIS_POINTS = 825
SALES_TAX_AGENCY = "State Board of Equalization"

#: SalesTaxCode: (name, taxable, description, active).
SALES_TAX_CODES: tuple[tuple[str, bool, str, bool], ...] = (
    ("Tax", True, "Taxable sales", True),
    ("Non", False, "Non-taxable sales", True),
    ("Res", False, "Resale: certificate on file", True),
    ("Gov", False, "Government agency", False),
)

#: PaymentMethod: (name, PaymentMethodType, active).
PAYMENT_METHODS: tuple[tuple[str, str, bool], ...] = (
    ("Cash", "Cash", True),
    ("Check", "Check", True),
    ("Visa", "Visa", True),
    ("MasterCard", "MasterCard", True),
    ("American Express", "AmericanExpress", True),
    ("Discover", "Discover", True),
    ("E-Check", "ECheck", True),
    ("Debit Card", "DebitCard", True),
    ("Gift Certificate", "GiftCard", False),
)
#: How customers pay an invoice, weighted by repetition.
CUSTOMER_PAYMENT_METHODS = _words(
    "Check|Check|Check|Check|E-Check|E-Check|Visa|MasterCard|American Express|Discover"
)
#: How walk-in customers pay at the counter.
COUNTER_PAYMENT_METHODS = _words("Cash|Check|Visa|Visa|MasterCard|Debit Card")


class ItemRow(NamedTuple):
    """One item. Accounts are keys of :data:`ACCOUNTS`."""

    kind: str  # the catalog object: ItemService, ItemInventory, ItemNonInventory, ItemOtherCharge
    name: str  # the item's own name (its FullName is parent:name)
    parent: str | None
    desc: str
    price: int  # cents; 0 for a parent that only groups its sub-items
    cost: int  # cents; 0 when the company does not buy it
    income: str
    expense: str | None  # COGS for inventory; the expense of a bought service, part or charge
    taxable: bool
    qty: tuple[int, int]  # the quantities one line takes

    @property
    def full_name(self) -> str:
        return f"{self.parent}:{self.name}" if self.parent else self.name

    @property
    def is_parent(self) -> bool:
        return self.price == 0


# Sections: [kind income/expense defaults]. Rows: name | parent | price | cost | qty | accounts | desc
_ITEMS = """
[ItemService]
Labor              |        |         |        |      | labor            | Labor
Framing            | Labor  |   55.00 |        | 4-40 | labor            | Framing labor
Drywall            | Labor  |   50.00 |        | 4-32 | labor            | Install and tape drywall
Finish Carpentry   | Labor  |   65.00 |        | 2-24 | labor            | Trim, casing & built-ins
Electrical         | Labor  |   85.00 |        | 2-16 | labor            | Electrical work
Plumbing           | Labor  |   80.00 |        | 2-16 | labor            | Plumbing work
Painting           | Labor  |   45.00 |        | 4-40 | labor            | Interior & exterior painting
Tile & Flooring    | Labor  |   60.00 |        | 4-32 | labor            | Tile, stone & floor installation
Demolition         | Labor  |   48.00 |        | 2-16 | labor            | Demolition & haul-away
Cleanup            | Labor  |   38.00 |        | 1-8  | labor            | Site cleanup
Installation       | Labor  |   58.00 |        | 1-10 | labor            | Fixture & appliance installation
Design             |        |         |        |      | design           | Design services
Consultation       | Design |   95.00 |        | 1-4  | design           | Design consultation
Drafting           | Design |   75.00 |        | 2-20 | design           | Drafting of plans
Permit Drawings    | Design | 1200.00 |        | 1-1  | design           | Drawings for the building permit
Subs               |        |         |        |      | subs             | Subcontracted trades
Roofing            | Subs   |  950.00 | 720.00 | 1-3  | subs/subcontract | Roofing, subcontracted
HVAC               | Subs   | 1350.00 | 980.00 | 1-2  | subs/subcontract | Heating & air, subcontracted
Concrete & Masonry | Subs   |  680.00 | 510.00 | 1-3  | subs/subcontract | Flatwork & masonry, subcontracted
Insulation         | Subs   |  420.00 | 300.00 | 1-2  | subs/subcontract | Blown-in insulation, subcontracted
Project Management |        |   70.00 |        | 1-12 | labor            | Project management
Site Visit         |        |  150.00 |        | 1-1  | labor            | Site visit & estimate
Repairs            |        |   65.00 |        | 1-8  | labor            | Repair work
Inspection         |        |  350.00 |        | 1-1  | labor            | Pre-purchase inspection
Landscape Design   |        |   85.00 |        | 1-6  | design           | Landscape design (discontinued)
[ItemInventory materials/cogs]
Cabinets        |          |         |         |      |  | Cabinets
Light Pine      | Cabinets | 1599.00 | 1100.00 | 1-4  |  | Light pine kitchen cabinet wall unit
Maple Base      | Cabinets |  899.00 |  610.00 | 1-6  |  | Maple base cabinet, 36 in.
Oak Vanity      | Cabinets |  649.00 |  425.00 | 1-2  |  | Oak bathroom vanity with top
Cabinet Pulls   | Cabinets |    4.50 |    1.90 | 6-40 |  | Brushed nickel cabinet pulls
Hardware        |          |         |         |      |  | Door hardware
Brass Hinges    | Hardware |    3.95 |    1.70 | 6-36 |  | Brass hinge, 3.5 in.
Doorknobs Std   | Hardware |   30.00 |   15.00 | 2-12 |  | Standard doorknob
Lk Doorknobs    | Hardware |   38.00 |   19.00 | 1-6  |  | Locking interior doorknob
Deadbolt        | Hardware |   52.00 |   26.00 | 1-3  |  | Keyed deadbolt
Doors           |          |         |         |      |  | Doors
Interior Door   | Doors    |  195.00 |  110.00 | 1-8  |  | Six-panel interior door, pre-hung
Exterior Door   | Doors    |  640.00 |  390.00 | 1-2  |  | Fiberglass exterior door, pre-hung
Pocket Door     | Doors    |  285.00 |  165.00 | 1-2  |  | Pocket door kit
Windows         |          |         |         |      |  | Windows
Double-Hung 3x4 | Windows  |  425.00 |  260.00 | 1-6  |  | Double-hung vinyl window, 3 ft x 4 ft
Casement 2x4    | Windows  |  380.00 |  235.00 | 1-4  |  | Casement window, 2 ft x 4 ft
Skylight        | Windows  |  720.00 |  470.00 | 1-2  |  | Fixed skylight (discontinued)
Fixtures        |          |         |         |      |  | Plumbing & light fixtures
Kitchen Faucet  | Fixtures |  289.00 |  168.00 | 1-2  |  | Pull-down kitchen faucet
Bath Sink       | Fixtures |  185.00 |   99.00 | 1-3  |  | Undermount bath sink
Toilet          | Fixtures |  325.00 |  190.00 | 1-3  |  | Low-flow toilet
Pendant Light   | Fixtures |  145.00 |   72.00 | 1-6  |  | Pendant light, brushed nickel
Parts           |          |         |         |      |  | Small parts
Widget          | Parts    |   12.50 |    4.80 | 2-24 |  | Widget, galvanized
Gasket          | Parts    |    2.75 |    0.90 | 4-40 |  | Rubber gasket, 1 in.
Hinge Pin       | Parts    |    3.25 |    1.10 | 4-30 |  | Stainless hinge pin
Thermostat      |          |  165.00 |   88.00 | 1-2  |  | Programmable thermostat
[ItemNonInventory materials/job_materials]
Lumber          |          |         |        |         |  | Lumber
Rough           | Lumber   |   14.50 |   9.20 | 20-200  |  | Rough lumber, per board
Trim            | Lumber   |   21.50 |  13.00 | 10-80   |  | Finish trim, per 8 ft
Decking         | Lumber   |   46.00 |  31.00 | 20-120  |  | Composite decking, per board
Plywood         | Lumber   |   62.00 |  43.00 | 4-40    |  | Plywood sheet, 3/4 in.
Flooring        |          |         |        |         |  | Flooring
Oak Strip       | Flooring |    8.50 |   5.20 | 100-900 |  | Oak strip flooring, per sq ft
Vinyl Plank     | Flooring |    4.90 |   2.85 | 100-900 |  | Vinyl plank flooring, per sq ft
Porcelain Tile  | Flooring |    7.25 |   4.10 | 50-600  |  | Porcelain tile, per sq ft
Drywall Sheet   |          |   18.95 |  11.50 | 10-120  |  | Drywall sheet, 4 ft x 8 ft
Paint           |          |   54.00 |  33.00 | 2-30    |  | Interior paint, per gallon
Concrete Mix    |          |    8.95 |   5.60 | 10-80   |  | Concrete mix, 80 lb bag
Shingles        |          |   44.00 |  31.00 | 10-90   |  | Architectural shingles, per bundle
Copper Pipe     |          |   39.00 |  26.50 | 2-20    |  | Copper pipe, 10 ft
Romex 250'      |          |  159.00 | 105.00 | 1-4     |  | Romex 12/2 wire, 250 ft
Grout & Thinset |          |   28.00 |  17.00 | 2-20    |  | Grout & thinset, per bag
Nails & Screws  |          |   18.00 |  10.50 | 1-12    |  | Fasteners, per box
Caulk           |          |    9.95 |   5.60 | 2-24    |  | Silicone caulk, per tube
Appliance       |          | 1299.00 | 980.00 | 1-2     |  | Customer-selected appliance
[ItemOtherCharge]
Delivery Fee   |  |  75.00 |        | 1-1    | reimb                  | Delivery to job site
Permit Fee     |  | 450.00 | 450.00 | 1-1    | reimb/permits          | Building permit, reimbursable
Equip Rental   |  | 280.00 | 240.00 | 1-3    | reimb/equipment_rental | Equipment rental, reimbursable
Dumpster       |  | 525.00 | 420.00 | 1-2    | reimb/equipment_rental | Dumpster, 20 yd
Mileage        |  |   0.67 |        | 30-240 | reimb                  | Mileage beyond 30 miles
Change Order   |  | 125.00 |        | 1-1    | labor                  | Change order administration
Rush Fee       |  | 250.00 |        | 1-1    | labor                  | Rush scheduling
Finance Charge |  |  25.00 |        | 1-1    | interest_income        | Finance charge on overdue balance
Restocking     |  |  45.00 |        | 1-1    | reimb                  | Restocking fee
"""


def _items(table: str) -> tuple[ItemRow, ...]:
    out: list[ItemRow] = []
    kind, default = "", ""
    for line in table.strip().splitlines():
        if line.startswith("["):
            kind, _, default = line.strip("[]").partition(" ")
            continue
        name, parent, price, cost, qty, accounts, desc = _rows(line, 7)[0]
        income, _, expense = (accounts or default).partition("/")
        low, _, high = qty.partition("-")
        out.append(
            ItemRow(
                kind=kind,
                name=name,
                parent=parent or None,
                desc=desc,
                price=_cents(price),
                cost=_cents(cost),
                income=income,
                expense=expense or None,
                taxable=kind in ("ItemInventory", "ItemNonInventory"),
                qty=(int(low), int(high)) if qty else (1, 1),
            )
        )
    return tuple(out)


#: The items, parents before children. A parent groups items of its own kind.
ITEMS: tuple[ItemRow, ...] = _items(_ITEMS)
#: Items discontinued during the year (full names).
INACTIVE_ITEMS: tuple[str, ...] = ("Windows:Skylight", "Landscape Design")

# --- people ----------------------------------------------------------------------------------

FIRST_NAMES = _words("""
Kristy|Brian|Renée|Zoë|José|Ana|Noël|Chloé|Søren|Björn|Hélène|François|Mónica|Ramón|Inés|Jürgen|Dana
Marcus|Priya|Kenji|Aaliyah|Tomás|Siobhán|Seán|Darnell|Mei|Olivia|Liam|Sofia|Ethan|Grace|Mateo|Hannah
Lucas|Nora|Elijah|Ava|Caleb|Maya|Owen|Leah|Isaac|Ruby|Julian|Stella|Miles|Ivy|Theo|Clara|Felix|Rosa
Victor|Elena|Hugo|Amélie|Andrés|Lena|Omar|Fatima|Wesley|Gwen|Raúl|Dolores|Tyrone|Bridget|Pádraig
Anaïs|Joaquín|Margit|Cyrus
""")
LAST_NAMES = _words("""
Abercrombie|Cook|O'Brien|D'Angelo|Muñoz|Núñez|Gómez|Müller|Schäfer|Jørgensen|Côté|Lefèvre|Gagné|Peña
Ibáñez|Öztürk|Ó Súilleabháin|McAllister|Nguyen|Tanaka|Patel|Okafor|Washington|Kowalski|Rossi|Bianchi
Fitzgerald|Baker|Sørensen|Andersson|Lindqvist|Duarte|Castaño|Haddad|Friedman|Kim|Park|Chen|Wong|Singh
Hernández|García|López|Martínez|Rodríguez|Fernández|Johnson|Smith|Williams|Brown|Jones|Miller|Davis
Wilson|Anderson|Taylor|Thomas|Moore|Jackson|Martin|Lee|Thompson|White|Harris|Clark|Lewis|Robinson
Walker|Young|Allen|King|Wright|Scott|Green|Adams|Nelson|Hill|Campbell|Mitchell|Roberts|Carter|Phillips
Evans|Turner|Torres|Parker|Collins|Edwards|Stewart|Morris|L'Écuyer|DuPré|St. Pierre|Van der Berg
MacLeod|Brontë|Ødegaard|Åberg|Weiß|Strauß
""")
#: Words businesses are named from: "<word> <trade> <suffix>".
BUSINESS_WORDS = _words("""
Bayview|Redwood|Summit|Harbor|Cedar|Golden Gate|Pacific|Mission|Sierra|Orchard|Lakeside|Hilltop
Riverbend|Coastal|Granite|Evergreen|Sunset|Meadow|Canyon|Oak Hill|Twin Pines|Silver Creek|Crown
Keystone|Blue Heron|Crescent|Ironwood|Maple Leaf|Northgate|Vista|Belle Époque|Château|Crème de la Crème
Señor Fresco|Fiesta|Alpenglow|Über|Déjà Vu|Smith & Wollensky|Ben & Jerry's
""")
CUSTOMER_TRADES = _words("""
Dental|Bistro|Bakery|Realty|Properties|Law Group|Pet Clinic|Yoga Studio|Brewing|Florist|Books|Hardware
Bike Shop|Pharmacy|Coffee|Tailors|Vineyards|Insurance|Chiropractic|Architects|Wealth Partners
Management|Montessori|Salon & Spa|Deli|Auto Body|Fitness|Gallery|Apartments|Holdings
""")
BUSINESS_SUFFIXES: tuple[str, ...] = ("", "", "", "Inc.", "LLC", "& Co.", "Corp.", "Ltd.", "Group", "& Sons")
#: Jobs customers give us (sub-customers), and phases of the bigger ones (sub-jobs).
JOB_NAMES = _words("""
Kitchen|Master Bath|Remodel Bathroom|Family Room|Deck|Garage Addition|Basement Finish|Roof Repair
Office Build-Out|Storefront|Patio & Pergola|Guest Suite|Fence|Windows|ADU|Attic Conversion
Tenant Improvement|Lobby|Second Floor|Kid's Room
""")
PHASES = _words("Phase 1|Phase 2|Phase 3")
JOB_DESCS: dict[str, str] = {
    "Kitchen": "Kitchen remodel: cabinets, counters & lighting",
    "Master Bath": "Master bath: tile, vanity & fixtures",
    "Garage Addition": "Two-car garage addition",
    "ADU": "Accessory dwelling unit, 480 sq ft",
    "Office Build-Out": "Office build-out, suite 200",
    "Tenant Improvement": "Tenant improvement for the new lease",
}

# Name                          | category      | 1099
_VENDORS = """
Côté Lumber Supply              | materials     | no
O'Malley's Hardware             | materials     | no
Hopkins Construction Rentals    | rental        | no
Bayview Tile & Stone            | materials     | no
Pacific Window & Door           | inventory     | no
Timberloft Cabinetry            | inventory     | no
Fixtures & More                 | inventory     | no
Thomas Kitchen & Bath           | inventory     | no
Patton Hardware Supplies        | inventory     | no
Perry Windows & Doors           | inventory     | no
Keystone Electric Supply        | materials     | no
Sierra Plumbing Wholesale       | materials     | no
Ridgeline Roofing               | subcontractor | yes
Núñez HVAC                      | subcontractor | yes
Schäfer Concrete & Masonry      | subcontractor | yes
Washington Insulation           | subcontractor | yes
Vu Contracting                  | subcontractor | yes
McAllister Painting             | subcontractor | yes
Lefèvre Drywall                 | subcontractor | yes
Gómez Landscaping               | subcontractor | yes
Daigle Lighting                 | materials     | no
Sloan Roofing Supply            | materials     | no
City of Middlefield             | permits       | no
County Building Dept.           | permits       | no
Bay Area Gas & Electric         | utilities     | no
Middlefield Water District      | water         | no
Cal Telephone                   | telephone     | no
Sonic Fiber Internet            | computer      | no
Sergeant Insurance              | insurance     | no
State Fund Work Comp            | work_comp     | no
Kershaw Computer Services       | computer      | yes
Lee Advertising                 | office        | no
Larson & Ngo CPAs               | accounting    | yes
Hellstrom & Peña, Attorneys     | legal         | yes
Middlefield Drywall             | materials     | no
Cheng-Davis Office Supply       | office        | no
Orchard Business Park           | rent          | no
Rossi's Truck Repair            | auto_repairs  | no
Chevron                         | fuel          | no
Shell                           | fuel          | no
Arco                            | fuel          | no
Costco                          | office        | no
Home Depot                      | materials     | no
Lowe's                          | materials     | no
Harbor Freight Tools            | tools         | no
Amazon                          | office        | no
Staples                         | office        | no
Café Olé                        | meals         | no
Señor Taco                      | meals         | no
The Daily Grind Café            | meals         | no
First Coast Bank                | bank          | no
Green Valley Dumpsters          | rental        | no
Ace Equipment & Tool Rental     | rental        | no
Ødegaard Fasteners              | materials     | no
Brontë Stone Imports            | materials     | no
Weiß Precision Millwork         | subcontractor | yes
D'Angelo Electric               | subcontractor | yes
Tanaka Plumbing                 | subcontractor | yes
Fitzgerald Glass                | subcontractor | yes
Mendoza Hauling                 | subcontractor | yes
Express Delivery Service        | office        | no
Middlefield Tire & Brake        | auto_repairs  | no
State Board of Equalization     | sales_tax     | no
"""
#: The company's vendors: (name, category, eligible for 1099). Categories: VENDOR_CATEGORIES.
VENDORS: tuple[tuple[str, str, bool], ...] = tuple(
    (name, category, flag == "yes") for name, category, flag in _rows(_VENDORS, 3)
)
#: Vendors made inactive during the year (the company stopped buying from them).
INACTIVE_VENDORS: tuple[str, ...] = ("Gómez Landscaping", "Sloan Roofing Supply", "Staples")
#: For the vendors of larger companies: (trade words, category, 1099).
VENDOR_TRADES: tuple[tuple[str, str, bool], ...] = (
    ("Lumber", "materials", False),
    ("Building Supply", "materials", False),
    ("Roofing", "subcontractor", True),
    ("Electric", "subcontractor", True),
    ("Plumbing", "subcontractor", True),
    ("Painting", "subcontractor", True),
    ("Millwork", "inventory", False),
    ("Cabinet Co.", "inventory", False),
    ("Equipment Rental", "rental", False),
    ("Office Supply", "office", False),
    ("Auto Repair", "auto_repairs", False),
    ("Tool Supply", "tools", False),
)

# category      | expense account  | item kind bought  | one line, low | high (dollars) | paid by
_VENDOR_CATEGORIES = """
materials     | job_materials    | ItemNonInventory  | 45.00         | 900.00         | bill card check
inventory     |                  | ItemInventory     |               |                | bill
rental        | equipment_rental |                   | 95.00         | 850.00         | bill check
subcontractor | subcontract      |                   | 300.00        | 3000.00        | bill
permits       | permits          |                   | 150.00        | 1200.00        | check
utilities     | gas_electric     |                   | 180.00        | 620.00         | monthly
water         | water            |                   | 120.00        | 420.00         | bimonthly
telephone     | telephone        |                   | 90.00         | 240.00         | monthly
computer      | computer         |                   | 40.00         | 950.00         | card bill
insurance     | liability_ins    |                   | 2550.00       | 7800.00        | quarterly
work_comp     | work_comp        |                   | 1800.00       | 5700.00        | quarterly
office        | office           |                   | 15.00         | 450.00         | card check
accounting    | accounting       |                   | 450.00        | 2500.00        | bill
legal         | legal            |                   | 600.00        | 3800.00        | bill
rent          | rent             |                   | 4500.00       | 4500.00        | monthly
auto_repairs  | auto_repairs     |                   | 80.00         | 1400.00        | bill card
fuel          | fuel             |                   | 35.00         | 140.00         | card
tools         | tools            |                   | 25.00         | 650.00         | card
meals         | meals            |                   | 12.00         | 180.00         | card
bank          | bank_charges     |                   | 15.00         | 65.00          | check
sales_tax     | sales_tax        |                   |               |                | return
"""


class VendorCategory(NamedTuple):
    """What a vendor's bills, checks and card charges buy, and how they are paid."""

    expense: str | None  # account key of expense lines
    item_kind: str  # the kind of item bought on item lines, or ""
    low: int  # cents of one expense line
    high: int
    #: bill (then a bill payment), check, card; a bill every month, two months or quarter; a tax return
    paid_by: tuple[str, ...]


VENDOR_CATEGORIES: dict[str, VendorCategory] = {
    name: VendorCategory(expense or None, kind, _cents(low), _cents(high), tuple(paid.split()))
    for name, expense, kind, low, high, paid in _rows(_VENDOR_CATEGORIES, 6)
}

#: Employees: (first, last, job title). The first keeps the office; the others work on jobs.
EMPLOYEES: tuple[tuple[str, str, str], ...] = (
    ("Dan", "T. Miller", "Office Manager"),
    ("Gregg", "O'Donnell", "Lead Carpenter"),
    ("Elizabeth", "Mason", "Project Manager"),
    ("Renée", "Côté", "Estimator"),
    ("José", "Muñoz", "Carpenter"),
    ("Björn", "Lindqvist", "Electrician"),
    ("Siobhán", "Ó Súilleabháin", "Painter"),
    ("Marcus", "Washington", "Laborer"),
    ("Mei", "Chen", "Tile Setter"),
    ("Tomás", "Ibáñez", "Plumber"),
    ("Wesley", "Fitzgerald", "Laborer"),
)
#: Employees who left during the year (made inactive): names as "First Last".
INACTIVE_EMPLOYEES: tuple[str, ...] = ("Wesley Fitzgerald",)
JOB_TITLES = _words("Carpenter|Laborer|Painter|Apprentice|Foreman|Tile Setter|Electrician|Plumber")

# --- places ----------------------------------------------------------------------------------

#: (city, state, ZIP prefix) around the company's home town.
CITIES: tuple[tuple[str, str, str], ...] = (
    ("Middlefield", "CA", "944"),
    ("Bayshore", "CA", "940"),
    ("San Mateo", "CA", "944"),
    ("Redwood City", "CA", "940"),
    ("Palo Alto", "CA", "943"),
    ("Menlo Park", "CA", "940"),
    ("Half Moon Bay", "CA", "940"),
    ("Los Gatos", "CA", "950"),
    ("San José", "CA", "951"),
    ("La Cañada", "CA", "940"),
    ("Sausalito", "CA", "949"),
    ("Oakland", "CA", "946"),
)
STREETS = _words("""
Main St.|Oak Ave.|El Camino Real|Alameda de las Pulgas|Cañada Rd.|Woodside Rd.|Hillcrest Dr.|Marsh Rd.
Bay Rd.|Middlefield Rd.|Sand Hill Rd.|Embarcadero Way|Rue de l'Église|Vista Verde Ct.|Peña Ln.
Old County Rd.|Laurel St.|Cypress Ave.|Encina Ave.|Alma St.|University Ave.|Hamilton Ave.|Coleman Pl.
""")

# --- words on transactions ----------------------------------------------------------------------

INVOICE_MEMOS = _words("""
Progress billing|Final billing|Thank you for your business!|Per signed estimate|Change order #2 included
Materials & labor through the 15th|Deposit: 30% on signing|Balance due on completion
""")
ESTIMATE_MEMOS = _words("""
Valid for 30 days|Includes permit fees|Allowance for fixtures: customer's choice
Alternate: vinyl plank instead of oak|Phase 1 only
""")
CREDIT_MEMOS = _words(
    "Returned unused materials|Credit for damaged door|Goodwill credit: schedule delay|Billing correction"
)
CUSTOMER_NOTES = _words("""
Prefers e-mail; no calls before 9|Gate code 4417|Dog in the yard: close the gate|Referred by Abercrombie
Pays by check, usually late|Lockbox key with the neighbour
""")
