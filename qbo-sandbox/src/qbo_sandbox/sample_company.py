"""A deterministic, believable QuickBooks Online sample company: a year of a landscaping business.

:func:`generate` yields ``(object name, payload)`` pairs, every payload shaped as the QBO API
answers it (Intuit's "Craig's Design and Landscaping Services" is the model), in an order a loader
can insert them: every object an object refers to comes first. The books hang together: invoices
carry the payments that paid them, payments are deposited, bills are paid by bill payments,
purchase orders turn into bills, estimates into invoices, taxes are computed per rate, and a
tax return sums the tax collected in its quarter.

Money is computed in integer cents (so ``Amount == Qty * UnitPrice`` and totals add up exactly)
and written as JSON numbers. Times are the company's fixed offset, -08:00. Output depends only on
``(seed, size, now)``: one ``random.Random(seed)``, and no iteration over sets or hash order.

Conventions worth knowing when reading the output:

- Line-level ``TaxCodeRef`` is ``{"value": "TAX"}`` or ``{"value": "NON"}``: US companies use these
  pseudo codes on lines (every real sample does); ``TxnTaxCodeRef`` and a customer's
  ``DefaultTaxCodeRef`` point at real, numeric TaxCodes.
- A reference's ``name`` is the target's ``FullyQualifiedName`` when it has one (accounts, items,
  customers, classes, departments: ``"Job Expenses:Job Materials"``), else its ``DisplayName`` or
  ``Name``, as QBO writes them.
- Transactions (``catalog.Kind.TRANSACTION``) share one Id sequence, numbered in order of
  creation; Ids of everything else count from 1 per type. ``SyncToken`` is always ``"0"``.
"""

from __future__ import annotations

import bisect
import gc
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

Payload = dict[str, Any]

DEFAULT_SIZE = 500
#: Below this many transactions not every transaction type can have one.
MIN_SIZE = 15

DAY = 86_400
_YEAR = 365
_TZ = timezone(timedelta(hours=-8))
_OFFSET = "-08:00"
_OPEN, _CLOSE = 8 * 3600, 18 * 3600  # business hours: when transactions are entered
_TWO = [f"{n:02d}" for n in range(60)]
_HM = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]

HOME = ("USD", "United States Dollar")
FOREIGN = ("EUR", "Euro")

COMPANY_NAME = "Craig's Design and Landscaping Services"

#: Share of ``size`` per transaction type, in percent (sums to 100). At the default size the
#: smallest share still gives every type a dozen or more.
TXN_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("Invoice", 18),
    ("Payment", 13),
    ("Estimate", 6),
    ("SalesReceipt", 7),
    ("CreditMemo", 3),
    ("RefundReceipt", 3),
    ("Bill", 10),
    ("BillPayment", 7),
    ("VendorCredit", 3),
    ("Purchase", 11),
    ("PurchaseOrder", 4),
    ("Deposit", 4),
    ("Transfer", 3),
    ("JournalEntry", 3),
    ("TimeActivity", 5),
)

#: The order objects are yielded in: parents before children, documents before what settles them.
YIELD_ORDER: tuple[str, ...] = (
    "CompanyInfo",
    "Company",
    "Account",
    "TaxAgency",
    "TaxRate",
    "TaxCode",
    "Term",
    "PaymentMethod",
    "Class",
    "Department",
    "CompanyCurrency",
    "ExchangeRate",
    "JournalCode",
    "Item",
    "Customer",
    "Vendor",
    "Employee",
    "Preferences",
    "Budget",
    "Estimate",
    "Invoice",
    "SalesReceipt",
    "CreditMemo",
    "RefundReceipt",
    "PurchaseOrder",
    "Bill",
    "VendorCredit",
    "Purchase",
    "Transfer",
    "JournalEntry",
    "TimeActivity",
    "Payment",
    "BillPayment",
    "Deposit",
    "TaxReturn",
    "Attachable",
)
_RANK = {name: n for n, name in enumerate(YIELD_ORDER)}

# --------------------------------------------------------------------------------------------
# The company's lists. Names follow Intuit's sample company where it has one.
# --------------------------------------------------------------------------------------------

_CLASSIFICATION = {
    "Bank": "Asset",
    "Accounts Receivable": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Other Current Liability": "Liability",
    "Long Term Liability": "Liability",
    "Equity": "Equity",
    "Income": "Revenue",
    "Other Income": "Revenue",
    "Cost of Goods Sold": "Expense",
    "Expense": "Expense",
    "Other Expense": "Expense",
}

# key, Name, AccountType, AccountSubType, parent key
_ACCOUNTS: tuple[tuple[str, str, str, str, str | None], ...] = (
    ("checking", "Checking", "Bank", "Checking", None),
    ("savings", "Savings", "Bank", "Savings", None),
    ("petty", "Petty Cash", "Bank", "CashOnHand", None),
    ("ar", "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", None),
    ("uf", "Undeposited Funds", "Other Current Asset", "UndepositedFunds", None),
    ("inventory", "Inventory Asset", "Other Current Asset", "Inventory", None),
    ("prepaid", "Prepaid Expenses", "Other Current Asset", "PrepaidExpenses", None),
    ("truck", "Truck", "Fixed Asset", "Vehicles", None),
    ("truck_cost", "Original Cost", "Fixed Asset", "Vehicles", "truck"),
    ("truck_dep", "Depreciation", "Fixed Asset", "AccumulatedDepreciation", "truck"),
    ("ap", "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", None),
    ("mastercard", "Mastercard", "Credit Card", "CreditCard", None),
    ("visa", "Visa", "Credit Card", "CreditCard", None),
    ("boe", "Board of Equalization Payable", "Other Current Liability", "GlobalTaxPayable", None),
    ("azdor", "Arizona Dept. of Revenue Payable", "Other Current Liability", "GlobalTaxPayable", None),
    ("loan", "Loan Payable", "Other Current Liability", "OtherCurrentLiabilities", None),
    ("notes", "Notes Payable", "Long Term Liability", "NotesPayable", None),
    ("obe", "Opening Balance Equity", "Equity", "OpeningBalanceEquity", None),
    ("re", "Retained Earnings", "Equity", "RetainedEarnings", None),
    ("owner", "Owner's Equity", "Equity", "OwnersEquity", None),
    ("services", "Services", "Income", "ServiceFeeIncome", None),
    ("landscaping", "Landscaping Services", "Income", "ServiceFeeIncome", None),
    ("materials_inc", "Job Materials", "Income", "ServiceFeeIncome", "landscaping"),
    ("labor_inc", "Labor", "Income", "ServiceFeeIncome", "landscaping"),
    ("design", "Design income", "Income", "ServiceFeeIncome", None),
    ("product", "Sales of Product Income", "Income", "SalesOfProductIncome", None),
    ("discounts", "Discounts given", "Income", "DiscountsRefundsGiven", None),
    ("fees", "Fees Billed", "Income", "ServiceFeeIncome", None),
    ("cogs", "Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", None),
    ("advertising", "Advertising", "Expense", "AdvertisingPromotional", None),
    ("auto", "Automobile", "Expense", "Auto", None),
    ("fuel", "Fuel", "Expense", "Auto", "auto"),
    ("bank_charges", "Bank Charges", "Expense", "BankCharges", None),
    ("equipment", "Equipment Rental", "Expense", "EquipmentRental", None),
    ("insurance", "Insurance", "Expense", "Insurance", None),
    ("workers_comp", "Workers Compensation", "Expense", "Insurance", "insurance"),
    ("interest_paid", "Interest Paid", "Expense", "InterestPaid", None),
    ("job", "Job Expenses", "Expense", "SuppliesMaterials", None),
    ("job_materials", "Job Materials", "Expense", "SuppliesMaterials", "job"),
    ("plants", "Plants and Soil", "Expense", "SuppliesMaterials", "job_materials"),
    ("decks", "Decks and Patios", "Expense", "SuppliesMaterials", "job_materials"),
    ("lighting", "Fountain and Garden Lighting", "Expense", "SuppliesMaterials", "job_materials"),
    ("legal", "Legal & Professional Fees", "Expense", "LegalProfessionalFees", None),
    ("accounting", "Accounting", "Expense", "LegalProfessionalFees", "legal"),
    ("lawyer", "Lawyer", "Expense", "LegalProfessionalFees", "legal"),
    ("repairs", "Maintenance and Repair", "Expense", "RepairMaintenance", None),
    ("meals", "Meals and Entertainment", "Expense", "EntertainmentMeals", None),
    ("office", "Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses", None),
    ("payroll", "Payroll Expenses", "Expense", "PayrollExpenses", None),
    ("rent", "Rent or Lease", "Expense", "RentOrLeaseOfBuildings", None),
    ("taxes", "Taxes & Licenses", "Expense", "TaxesPaid", None),
    ("utilities", "Utilities", "Expense", "Utilities", None),
    ("gas_electric", "Gas and Electric", "Expense", "Utilities", "utilities"),
    ("telephone", "Telephone", "Expense", "Utilities", "utilities"),
    ("uncategorized", "Uncategorized Expense", "Expense", "OtherMiscellaneousServiceCost", None),
    ("interest_earned", "Interest Earned", "Other Income", "InterestEarned", None),
    ("other_income", "Other Portfolio Income", "Other Income", "OtherMiscellaneousIncome", None),
    ("depreciation", "Depreciation", "Other Expense", "Depreciation", None),
    ("misc", "Miscellaneous", "Other Expense", "OtherMiscellaneousExpense", None),
    ("penalties", "Penalties & Settlements", "Other Expense", "PenaltiesSettlements", None),
    ("fx", "Exchange Gain or Loss", "Other Expense", "ExchangeGainOrLoss", None),
)
_INACTIVE_ACCOUNTS = ("fees",)
#: Expense accounts a purchase or bill line may fall back to.
_GENERAL_EXPENSES = ("office", "repairs", "meals", "auto", "advertising", "bank_charges", "uncategorized")

# Name, Type, category, income account, expense account, price ¢, cost ¢, taxable, qty lo, qty hi, half
# steps, description. Half-hour quantities only on even-cent prices, so Qty * UnitPrice stays exact.
_ItemRow = tuple[str, str, str | None, str | None, str | None, int, int, bool, int, int, bool, str]
_CATEGORIES = ("Plants and Soil", "Fountains", "Irrigation")
_ITEMS: tuple[_ItemRow, ...] = (
    ("Services", "Service", None, "services", None, 4000, 0, False, 1, 6, True, "Services"),
    ("Design", "Service", None, "design", None, 7500, 0, False, 1, 8, True, "Custom Design"),
    (
        "Installation",
        "Service",
        None,
        "labor_inc",
        None,
        5000,
        0,
        False,
        1,
        10,
        True,
        "Installation of landscape design",
    ),
    (
        "Maintenance & Repair",
        "Service",
        None,
        "labor_inc",
        None,
        3500,
        0,
        False,
        1,
        6,
        True,
        "Maintenance & Repair",
    ),
    (
        "Gardening",
        "Service",
        None,
        "landscaping",
        None,
        2500,
        0,
        False,
        1,
        8,
        True,
        "Weekly Gardening Service",
    ),
    ("Trimming", "Service", None, "landscaping", None, 3500, 0, False, 1, 6, True, "Tree and Shrub Trimming"),
    (
        "Pest Control",
        "Service",
        None,
        "landscaping",
        None,
        3500,
        0,
        False,
        1,
        4,
        True,
        "Pest Control Services",
    ),
    ("Lighting", "Service", None, "materials_inc", None, 4500, 0, False, 1, 6, True, "Garden Lighting"),
    (
        "Subcontracted Services",
        "Service",
        None,
        "services",
        "cogs",
        6000,
        4000,
        False,
        1,
        8,
        True,
        "Subcontracted landscaping services",
    ),
    (
        "Soil",
        "NonInventory",
        "Plants and Soil",
        "materials_inc",
        "plants",
        1000,
        650,
        True,
        1,
        20,
        False,
        "2 cubic ft. bag",
    ),
    (
        "Sod",
        "NonInventory",
        "Plants and Soil",
        "materials_inc",
        "plants",
        175,
        100,
        True,
        50,
        600,
        False,
        "Sod, per square foot",
    ),
    (
        "Mulch",
        "NonInventory",
        "Plants and Soil",
        "materials_inc",
        "plants",
        850,
        500,
        True,
        2,
        30,
        False,
        "Bark mulch, 2 cubic ft.",
    ),
    ("Rocks", "NonInventory", None, "materials_inc", "decks", 1200, 800, True, 1, 30, False, "Garden Rocks"),
    (
        "Concrete",
        "NonInventory",
        None,
        "materials_inc",
        "decks",
        950,
        600,
        True,
        1,
        20,
        False,
        "Concrete for fountain installation",
    ),
    (
        "Sprinkler Pipes",
        "NonInventory",
        "Irrigation",
        "materials_inc",
        "job_materials",
        400,
        250,
        True,
        5,
        60,
        False,
        "Sprinkler Pipes",
    ),
    (
        "Rock Fountain",
        "Inventory",
        "Fountains",
        "product",
        "cogs",
        27500,
        12500,
        True,
        1,
        2,
        False,
        "Rock Fountain",
    ),
    ("Pump", "Inventory", "Fountains", "product", "cogs", 1575, 1000, True, 1, 3, False, "Fountain Pump"),
    (
        "Sprinkler Heads",
        "Inventory",
        "Irrigation",
        "product",
        "cogs",
        200,
        75,
        True,
        4,
        40,
        False,
        "Sprinkler Heads",
    ),
    (
        "Garden Lights",
        "Inventory",
        None,
        "product",
        "cogs",
        2400,
        1200,
        True,
        2,
        12,
        False,
        "Solar garden lights, set of 4",
    ),
    (
        "Holiday Lights",
        "NonInventory",
        None,
        "materials_inc",
        "lighting",
        1500,
        900,
        True,
        1,
        10,
        False,
        "Holiday light strings",
    ),
)
_INACTIVE_ITEMS = ("Holiday Lights",)
_GROUPS = (
    (
        "Fountain Kit",
        "Fountain with pump, installed on concrete",
        (("Rock Fountain", 1), ("Pump", 1), ("Concrete", 5)),
    ),
    (
        "Irrigation Kit",
        "Sprinkler system for a small yard",
        (("Sprinkler Heads", 12), ("Sprinkler Pipes", 20), ("Installation", 4)),
    ),
)
_PLANTS = (
    "Japanese Maple",
    "Lavender",
    "Boxwood",
    "Hydrangea",
    "Rosemary",
    "Agave",
    "Olive Tree",
    "Sword Fern",
    "Camellia",
    "Azalea",
    "Magnolia",
    "Clumping Bamboo",
    "Juniper",
    "Sage",
    "Succulent Mix",
    "Bird of Paradise",
    "Lemon Tree",
    "Redbud",
    "Manzanita",
    "Ceanothus",
    "Salvia",
    "Coral Bells",
    "Dwarf Citrus",
    "Fescue",
)
_PLANT_SIZES = (("1 gal", 1200), ("5 gal", 3500), ("15 gal", 9500), ("24 in. box", 32000))

_CLASSES = (
    ("Landscaping", None),
    ("Residential", "Landscaping"),
    ("Commercial", "Landscaping"),
    ("Design", None),
    ("Maintenance", None),
    ("Holiday Decor", None),
)
_INACTIVE_CLASSES = ("Holiday Decor",)
_DEPARTMENTS = (
    ("North Bay", None),
    ("South Bay", None),
    ("Downtown", "South Bay"),
    ("Tucson", None),
    ("East Bay", None),
)
_INACTIVE_DEPARTMENTS = ("East Bay",)

# Name, DueDays, DiscountPercent, DiscountDays
_TERMS = (
    ("Due on receipt", 0, 0, 0),
    ("Net 10", 10, 0, 0),
    ("Net 15", 15, 0, 0),
    ("Net 30", 30, 0, 0),
    ("Net 60", 60, 0, 0),
    ("1% 10 Net 30", 30, 1, 10),
)
_PAYMENT_METHODS = (
    ("Cash", "NON_CREDIT_CARD"),
    ("Check", "NON_CREDIT_CARD"),
    ("Visa", "CREDIT_CARD"),
    ("MasterCard", "CREDIT_CARD"),
    ("American Express", "CREDIT_CARD"),
    ("Discover", "CREDIT_CARD"),
    ("Diners Club", "CREDIT_CARD"),
)
_JOURNAL_CODES = (
    ("VT", "Sales", "Ventes"),
    ("HA", "Expenses", "Achats"),
    ("BQ", "Bank", "Banque"),
    ("CA", "Cash", "Caisse"),
    ("OD", "Others", "Opérations diverses"),
)

# Sales tax: agencies, their rates (basis points), and the codes that group them.
_AGENCIES = (("Board of Equalization", "boe"), ("Arizona Dept. of Revenue", "azdor"))
_RATES = (
    ("California", 800, 0, True),
    ("AZ State tax", 560, 1, True),
    ("Tucson City", 260, 1, True),
    ("San Pablo District (retired)", 50, 0, False),
)  # Name, bp, agency index, active
_CODES = (("California", (0,)), ("Tucson", (1, 2)))

_CITIES = (
    ("Bayshore", "CA", "94326"),
    ("Middlefield", "CA", "94303"),
    ("Palo Alto", "CA", "94303"),
    ("Half Moon Bay", "CA", "94213"),
    ("Menlo Park", "CA", "94304"),
    ("San Jose", "CA", "95112"),
    ("Sunnyvale", "CA", "94086"),
    ("Los Gatos", "CA", "95032"),
    ("Mountain View", "CA", "94043"),
    ("San Pablo", "CA", "94806"),
)
_TUCSON = ("Tucson", "AZ", "85719")
_STREETS = (
    "Finch St.",
    "Cypress Hill Ave.",
    "Court St.",
    "Ocean View Road",
    "Twin Lane",
    "Main St.",
    "Sierra Way",
    "Willow Ave.",
    "Magnolia Dr.",
    "Redwood Blvd.",
    "Lakeview Ct.",
    "Orchard Rd.",
    "Hillside Ter.",
    "Meadow Ln.",
    "Bay Rd.",
    "El Camino Real",
)

# DisplayName, GivenName, FamilyName, is a company, city index (-1: Tucson), jobs
_CUSTOMERS: tuple[tuple[str, str, str, bool, int, tuple[str, ...]], ...] = (
    ("Amy's Bird Sanctuary", "Amy", "Lauterbach", True, 0, ()),
    ("Bill's Windsurf Shop", "Bill", "Lucchini", True, 3, ()),
    ("Cool Cars", "Grace", "Pariente", True, 3, ()),
    ("Diego Rodriguez", "Diego", "Rodriguez", False, 4, ()),
    ("Dukes Basketball Camp", "Peter", "Dukes", True, -1, ()),
    ("Dylan Sollfrank", "Dylan", "Sollfrank", False, 7, ()),
    ("Freeman Sporting Goods", "Kirby", "Freeman", True, 6, ("0969 Ocean View Road", "55 Twin Lane")),
    ("Geeta Kalapatapu", "Geeta", "Kalapatapu", False, 1, ()),
    ("Gevelber Photography", "Lisa", "Gevelber", True, 5, ()),
    ("Jeff's Jalopies", "Jeff", "Chin", True, 2, ()),
    ("John Melton", "John", "Melton", False, 2, ()),
    ("Kate Whelan", "Kate", "Whelan", False, 2, ()),
    ("Kookies by Kathy", "Kathy", "Kuplis", True, 1, ("Kitchen Garden",)),
    ("Mark Cho", "Mark", "Cho", False, 5, ()),
    ("Paulsen Medical Supplies", "Kathy", "Paulsen", True, 1, ()),
    ("Pye's Cakes", "Karen", "Pye", True, 0, ()),
    ("Rago Travel Agency", "Nick", "Rago", True, 0, ()),
    ("Red Rock Diner", "Stephanie", "Martini", True, 0, ()),
    ("Rondonuwu Fruit and Vegi", "Jeff", "Rondonuwu", True, -1, ()),
    ("Shara Barnett", "Shara", "Barnett", False, 1, ("Barnett Design",)),
    ("Sonnenschein Family Store", "Russ", "Sonnenschein", True, 1, ()),
    ("Sushi by Katsuyuki", "Katsuyuki", "Yanagawa", True, 2, ()),
    ("Travis Waldron", "Travis", "Waldron", False, 4, ()),
    ("Video Games by Dan", "Dan", "Miller", True, 2, ()),
    ("Wedding Planning by Whitney", "Whitney", "Simmons", True, 2, ()),
    ("Weiskopf Consulting", "Nicole", "Weiskopf", True, 0, ()),
)
# DisplayName, GivenName, FamilyName, Line1, City, PostalCode, Country
_EUR_CUSTOMERS = (
    ("Müller Gartenbau GmbH", "Jonas", "Müller", "Leopoldstraße 12", "München", "80802", "DE"),
    ("Jardins de Provence SARL", "Camille", "Laurent", "14 Cours Mirabeau", "Aix-en-Provence", "13100", "FR"),
)
_INACTIVE_CUSTOMERS = (("Ocean View Estates", "Marta", "Ocampo"), ("Tom's Treehouses", "Tom", "Hale"))

# DisplayName, GivenName, FamilyName, expense account key, supplies items, 1099 contractor
_VENDORS: tuple[tuple[str, str, str, str, bool, bool], ...] = (
    ("Bob's Burger Joint", "", "", "meals", False, False),
    ("Books by Bessie", "Bessie", "Williams", "accounting", False, True),
    ("Brosnahan Insurance Agency", "Nick", "Brosnahan", "insurance", False, False),
    ("Cal Telephone", "", "", "telephone", False, False),
    ("Chin's Gas and Oil", "", "", "fuel", False, False),
    ("Cigna Health Care", "", "", "insurance", False, False),
    ("Computers by Jenni", "Jenni", "Winslow", "office", False, False),
    ("Diego's Road Warrior Bodyshop", "", "", "repairs", False, False),
    ("EDD", "", "", "payroll", False, False),
    ("Ellis Equipment Rental", "Julie", "Ellis", "equipment", False, False),
    ("Hall Properties", "Melanie", "Hall", "rent", False, False),
    ("Hicks Hardware", "Geoff", "Hicks", "job_materials", True, False),
    ("Lee Advertising", "", "", "advertising", False, False),
    ("Mahoney Mugs", "", "", "office", False, False),
    ("Met Life Dental", "", "", "insurance", False, False),
    ("Norton Lumber and Building Materials", "Peter", "Norton", "decks", True, False),
    ("PG&E", "", "", "gas_electric", False, False),
    ("Pam Seitz", "Pam", "Seitz", "accounting", False, True),
    ("Robertson & Associates", "Jenny", "Robertson", "lawyer", False, False),
    ("Squeaky Kleen Car Wash", "", "", "auto", False, False),
    ("Tania's Nursery", "Tania", "Nguyen", "plants", True, False),
    ("Tim Philip Masonry", "Tim", "Philip", "decks", True, True),
    ("Tony Rondonuwu", "Tony", "Rondonuwu", "job_materials", False, True),
    ("United States Treasury", "", "", "taxes", False, False),
    ("Wild Flower Wholesale", "Iris", "Moreno", "plants", True, False),
    ("Bay Area Lighting Supply", "", "", "lighting", True, False),
)
_INACTIVE_VENDORS = ("Sacramento Sod Farm",)
# GivenName, FamilyName, BillRate ¢
_EMPLOYEES = (
    ("John", "Johnson", 5000),
    ("Kari", "Steblay", 4500),
    ("Ana", "Morales", 4000),
    ("Kevin", "Ochoa", 3500),
    ("Priya", "Raman", 6000),
    ("Sam", "Whitfield", 3500),
)
_INACTIVE_EMPLOYEES = (("Emily", "Platt"),)

_FIRST = (
    "Aaron",
    "Abby",
    "Alicia",
    "Andre",
    "Ben",
    "Bianca",
    "Carlos",
    "Chloe",
    "Dana",
    "Darius",
    "Elena",
    "Ethan",
    "Fatima",
    "Felix",
    "Grace",
    "Hector",
    "Ines",
    "Isaac",
    "Jasmine",
    "Jonah",
    "Kai",
    "Keiko",
    "Leo",
    "Lina",
    "Marcus",
    "Maya",
    "Nadia",
    "Noah",
    "Olivia",
    "Omar",
    "Priya",
    "Quinn",
    "Rafael",
    "Rosa",
    "Samir",
    "Sofia",
    "Tariq",
    "Tess",
    "Uma",
    "Victor",
    "Wendy",
    "Xavier",
    "Yara",
    "Zane",
)
_LAST = (
    "Abbott",
    "Alvarez",
    "Baptiste",
    "Becker",
    "Castillo",
    "Chen",
    "Dubois",
    "Dunn",
    "Eriksen",
    "Flores",
    "Fischer",
    "Garcia",
    "Gupta",
    "Haddad",
    "Hansen",
    "Ibarra",
    "Jensen",
    "Kaur",
    "Kowalski",
    "Larsen",
    "Lopez",
    "Mahoney",
    "Murphy",
    "Nakamura",
    "Novak",
    "O'Brien",
    "Okafor",
    "Patel",
    "Quintero",
    "Rossi",
    "Sato",
    "Schmidt",
    "Singh",
    "Tanaka",
    "Torres",
    "Underwood",
    "Varga",
    "Walsh",
    "Weber",
    "Xu",
    "Yamamoto",
    "Young",
    "Zhang",
    "Zimmerman",
)
_CUSTOMER_TRADES = (
    "Landscaping",
    "Property Management",
    "Dental",
    "Family Practice",
    "Bakery",
    "Auto Repair",
    "Realty",
    "Cafe",
    "Veterinary Clinic",
    "Law Office",
    "Fitness",
    "Winery",
    "Florist",
    "Architects",
    "Plumbing",
    "Books",
    "Yoga Studio",
    "Apartments",
)
_VENDOR_TRADES = (
    ("Supply Co.", "job_materials", True),
    ("Nursery", "plants", True),
    ("Stone & Gravel", "decks", True),
    ("Irrigation Supply", "job_materials", True),
    ("Equipment Rental", "equipment", False),
    ("Tree Service", "job_materials", False),
    ("Fuel Stop", "fuel", False),
    ("Printing", "advertising", False),
    ("Consulting", "accounting", False),
    ("Auto Body", "repairs", False),
)
_JOB_NAMES = (
    "Front Yard",
    "Back Patio",
    "Roof Garden",
    "Courtyard",
    "Parking Strip",
    "Pool Area",
    "Entry Walk",
)

_JE_TEMPLATES: tuple[tuple[str, tuple[tuple[str, str], ...], int, int, bool], ...] = (
    (
        "Monthly depreciation - truck",
        (("depreciation", "Debit"), ("truck_dep", "Credit")),
        15_000,
        40_000,
        False,
    ),
    (
        "Payroll summary",
        (("payroll", "Debit"), ("workers_comp", "Debit"), ("checking", "Credit")),
        250_000,
        900_000,
        False,
    ),
    (
        "Loan payment",
        (("notes", "Debit"), ("interest_paid", "Debit"), ("checking", "Credit")),
        50_000,
        150_000,
        False,
    ),
    ("Sales tax payment", (("boe", "Debit"), ("checking", "Credit")), 20_000, 180_000, False),
    (
        "Reclassify uncategorized expenses",
        (("office", "Debit"), ("uncategorized", "Credit")),
        2_000,
        40_000,
        True,
    ),
    ("Owner investment", (("checking", "Debit"), ("owner", "Credit")), 100_000, 1_000_000, False),
    ("Prepaid insurance used", (("insurance", "Debit"), ("prepaid", "Credit")), 10_000, 60_000, True),
)
_TRANSFERS = (
    ("checking", "savings", 50_000, 500_000),
    ("savings", "checking", 20_000, 300_000),
    ("checking", "visa", 20_000, 250_000),
    ("checking", "mastercard", 20_000, 200_000),
    ("checking", "petty", 5_000, 30_000),
)
_ATTACHMENTS = (
    ("pdf", "application/pdf", "Document"),
    ("jpg", "image/jpeg", "Receipt"),
    ("png", "image/png", "Image"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Document"),
)


# --------------------------------------------------------------------------------------------
# Objects the generator keeps while it works: just what references and later steps need.
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Named:
    """A name-list object: its Id and the name references to it carry."""

    id: str
    name: str

    def ref(self) -> dict[str, str]:
        return {"value": self.id, "name": self.name}


@dataclass(eq=False)
class _Account(_Named):
    key: str = ""


@dataclass(eq=False)
class _TaxRate(_Named):
    bp: int = 0
    agency: int = 0


@dataclass(eq=False)
class _TaxCode(_Named):
    rates: tuple[_TaxRate, ...] = ()


@dataclass(eq=False)
class _Term(_Named):
    days: int = 0


@dataclass(eq=False)
class _Item(_Named):
    label: str = ""  # the item's own Name (``name`` is the FullyQualifiedName)
    type: str = ""
    parent: _Item | None = None
    income: _Account | None = None
    expense: _Account | None = None
    price: int = 0
    cost: int = 0
    taxable: bool = False
    lo: int = 1
    hi: int = 1
    half: bool = False
    desc: str = ""
    active: bool = True
    created: int = 0
    updated: int = 0
    start_qty: int = 0
    qty: int = 0  # sold minus bought during the year; QtyOnHand = start_qty - qty
    components: tuple[tuple[_Item, int], ...] = ()


@dataclass(eq=False)
class _Party(_Named):
    """A customer, vendor or employee (one name space in QBO)."""

    kind: str = ""
    n: int = 0  # creation order within its kind (a stable dict key)
    label: str = ""  # DisplayName (``name`` is the FullyQualifiedName for a customer job)
    given: str = ""
    family: str = ""
    company: bool = False
    created: int = 0
    updated: int = 0
    active: bool = True
    currency: tuple[str, str] = HOME
    tax_code: _TaxCode | None = None
    term: _Term | None = None
    addr: dict[str, str] = field(default_factory=dict)
    phone: str = ""
    email: str = ""
    parent: _Party | None = None
    expense: str = "office"
    supplier: bool = False
    contractor: bool = False
    rate: int = 0
    balance: int = 0


#: A planned payment: when, and which documents it pays how much (cents).
_Plan = tuple[int, list[tuple["_Txn", int]]]


class _Txn:
    """A transaction under construction: its payload, when it was created and last changed."""

    __slots__ = ("day", "kind", "open", "p", "party", "rate", "seq", "total", "ts", "upd")

    def __init__(self, kind: str, ts: int, p: Payload, seq: int) -> None:
        self.kind = kind
        self.ts = ts
        self.upd = ts
        self.p = p
        self.seq = seq
        self.party: _Party | None = None
        self.total = 0  # cents
        self.open = 0  # cents still owed (invoices, bills) or not yet deposited
        self.rate = 1.0
        self.day = ts // DAY


class _Pool:
    """Objects a transaction may use: those created by the transaction's day, oldest favoured."""

    def __init__(self, objs: Sequence[Any], days: Sequence[int]) -> None:
        self.objs = list(objs)
        self.days = list(days)

    def pick(self, rng: random.Random, day: int, skew: float = 1.3) -> Any:
        n = bisect.bisect_right(self.days, day) or 1
        # skew > 1 favours long-standing customers, as real books do
        return self.objs[int(n * rng.random() ** skew)]


class _Clock:
    """The company's year: day 0 is a year before ``now``; times are seconds from day 0's midnight."""

    def __init__(self, now: datetime) -> None:
        local = now.astimezone(_TZ) if now.tzinfo is not None else now.replace(tzinfo=_TZ)
        self.start: date = local.date() - timedelta(days=_YEAR)
        self.now_ts = _YEAR * DAY + local.hour * 3600 + local.minute * 60 + local.second
        # precomputed: date formatting would otherwise dominate the large sizes
        self.dates = [(self.start + timedelta(days=d)).isoformat() for d in range(_YEAR + 200)]

    def stamp(self, ts: int) -> str:
        day, sec = divmod(ts, DAY)
        return f"{self.dates[day]}T{_HM[sec // 60]}:{_TWO[sec % 60]}{_OFFSET}"

    def meta(self, created: int, updated: int) -> dict[str, str]:
        first = self.stamp(created)
        return {"CreateTime": first, "LastUpdatedTime": first if updated == created else self.stamp(updated)}

    def day_of(self, d: date) -> int:
        return (d - self.start).days


def _quotas(size: int) -> dict[str, int]:
    """How many of each transaction type: ``size`` split by :data:`TXN_WEIGHTS`, at least one each."""
    raw = [size * w / 100 for _, w in TXN_WEIGHTS]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: size - sum(counts)]:
        counts[i] += 1
    for i in range(len(counts)):
        while counts[i] == 0:
            j = max(range(len(counts)), key=lambda k: (counts[k], -k))
            counts[j] -= 1
            counts[i] += 1
    return {name: counts[n] for n, (name, _) in enumerate(TXN_WEIGHTS)}


def _qty(q2: int) -> int | float:
    """A quantity kept in halves, as QBO writes it (1, 1.5)."""
    return q2 // 2 if q2 % 2 == 0 else q2 / 2


class _Company:
    """Builds the whole company in memory, then hands out the payloads in :data:`YIELD_ORDER`."""

    def __init__(self, seed: int, size: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.size = size
        self.clock = _Clock(now)
        self.out: dict[str, list[Payload]] = {name: [] for name in YIELD_ORDER}
        self.txns: list[_Txn] = []
        self.by_kind: dict[str, list[_Txn]] = {name: [] for name, _ in TXN_WEIGHTS}
        # (dict, key, transaction): fill dict[key] with the transaction's Id once Ids are known
        self.fixups: list[tuple[dict[str, Any], str, _Txn]] = []
        self.addr_seq = 0
        self.taken: set[str] = set()  # Customer, Vendor and Employee share one name space
        self.tax_due: dict[tuple[int, int], int] = {}
        self.undeposited: list[_Txn] = []
        self.rates: list[float] = []
        # the calendar quarter (year * 4 + quarter) of each day, for tax returns
        self.quarter_of: list[int] = []
        for d in range(_YEAR + 1):
            when = self.clock.start + timedelta(days=d)
            self.quarter_of.append(when.year * 4 + (when.month - 1) // 3)

    # -- helpers -----------------------------------------------------------------------------

    def entity(self, obj_id: str, created: int, updated: int) -> Payload:
        return {
            "Id": obj_id,
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "MetaData": self.clock.meta(created, updated),
        }

    def setup_ts(self, k: int) -> int:
        """The k-th object of the company's setup on day 0, a few seconds apart, before business hours."""
        return 5 * 3600 + 7 * k

    def later(self, created: int, recent: bool = False) -> int:
        """A LastUpdatedTime: most objects unchanged, some edited since, ``recent`` ones in the last days."""
        now = self.clock.now_ts
        if recent:
            return max(created, now - self.rng.randrange(3 * DAY))
        if self.rng.random() < 0.12 and created < now:
            return self.rng.randint(created, now)
        return created

    def sometime(self, created: int) -> int:
        """A time between ``created`` and now (when an inactive object was made inactive)."""
        return self.rng.randint(created, self.clock.now_ts)

    def early(self, day: int) -> int:
        """A time on ``day`` before business hours: when name-list objects are set up."""
        return day * DAY + 6 * 3600 + self.rng.randrange(7200)

    def recent_set(self, n: int, share: int = 40) -> set[int]:
        """Indexes of the objects (of n) that were changed in the last few days, so CDC has work."""
        return set(self.rng.sample(range(n), min(n, max(1, n // share)))) if n else set()

    def address(
        self, line1: str, city: str, state: str, postal: str, country: str | None = None
    ) -> dict[str, str]:
        self.addr_seq += 1
        addr = {
            "Id": str(self.addr_seq),
            "Line1": line1,
            "City": city,
            "CountrySubDivisionCode": state,
            "PostalCode": postal,
        }
        if country:
            addr["Country"] = country
        return addr

    def street(self) -> str:
        return f"{self.rng.randint(10, 9999)} {self.rng.choice(_STREETS)}"

    def phone(self, area: str = "650") -> str:
        return f"({area}) 555-{self.rng.randint(1000, 9999)}"

    def unique(self, name: str) -> str:
        """``name``, or a variant of it no other customer, vendor or employee uses."""
        candidate, n = name, 2
        while candidate in self.taken:
            candidate = f"{name} {n}"
            n += 1
        self.taken.add(candidate)
        return candidate

    def link(self, target: _Txn, txn_type: str) -> dict[str, str]:
        linked = {"TxnId": "", "TxnType": txn_type}
        self.fixups.append((linked, "TxnId", target))
        return linked

    def txn(self, kind: str, ts: int, p: Payload) -> _Txn:
        t = _Txn(kind, ts, p, len(self.txns))
        self.txns.append(t)
        self.by_kind[kind].append(t)
        return t

    def days(self, n: int) -> list[int]:
        """n transaction days over the year (day 1 to today), busier on weekdays and in the summer."""
        return sorted(self.rng.choices(self.day_range, cum_weights=self.day_weights, k=n))

    def at(self, day: int) -> int:
        """A time within business hours on ``day``, never after now."""
        return min(day * DAY + self.rng.randrange(_OPEN, _CLOSE), self.clock.now_ts)

    def after(self, ts: int, lo: int, hi: int) -> int | None:
        """A business-hours time lo..hi days after ``ts``, or None when that is after now."""
        day = ts // DAY + self.rng.randint(lo, hi)
        out = max(day * DAY + self.rng.randrange(_OPEN, _CLOSE), ts + 60)
        return out if out <= self.clock.now_ts else None

    def rate_on(self, day: int) -> float:
        """The EUR rate a transaction uses: the ExchangeRate row of its week."""
        return self.rates[day - day % 7]

    # -- the whole company -------------------------------------------------------------------

    def build(self) -> None:
        self.weights()
        self.company()
        self.accounts()
        self.taxes()
        self.simple_lists()
        self.currencies()
        self.items()
        self.customers()
        self.vendors()
        self.employees()
        q = _quotas(self.size)
        self.sales(q)
        self.purchases(q)
        self.other_txns(q)
        self.payments(q["Payment"])
        self.bill_payments(q["BillPayment"])
        self.deposits(q["Deposit"])
        self.number()
        self.emit_lists()
        self.preferences()
        self.budgets()
        self.tax_returns()
        self.attachables()

    def weights(self) -> None:
        start = self.clock.start
        self.day_range = list(range(1, _YEAR + 1))
        weights: list[float] = []
        total = 0.0
        for d in self.day_range:
            when = start + timedelta(days=d)
            weekday = (1.0, 1.0, 1.0, 1.0, 1.0, 0.3, 0.1)[when.weekday()]
            season = 1.0 + 0.4 * _cos_season(when.timetuple().tm_yday)
            total += weekday * season
            weights.append(total)
        self.day_weights = weights

    # -- singletons --------------------------------------------------------------------------

    def company(self) -> None:
        start = self.clock.dates[0]
        addr = {
            "Id": "1",
            "Line1": "123 Sierra Way",
            "City": "San Pablo",
            "Country": "US",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "87999",
        }
        self.addr_seq = 1
        created = self.setup_ts(0)
        updated = self.later(created, recent=True)
        info = self.entity("1", created, updated)
        info.update(
            {
                "CompanyName": COMPANY_NAME,
                "LegalName": COMPANY_NAME,
                "CompanyAddr": dict(addr),
                "CustomerCommunicationAddr": dict(addr),
                "LegalAddr": dict(addr),
                "PrimaryPhone": {"FreeFormNumber": "(650) 555-0100"},
                "CompanyStartDate": start,
                "EmployerId": "123456789",
                "FiscalYearStartMonth": "January",
                "Country": "US",
                "Email": {"Address": "craig@craigsdesign.example.com"},
                "WebAddr": {"URI": "https://craigsdesign.example.com"},
                "SupportedLanguages": "en",
                "NameValue": [
                    {"Name": "NeoEnabled", "Value": "true"},
                    {"Name": "IndustryType", "Value": "Landscaping Services"},
                    {"Name": "IndustryCode", "Value": "56173"},
                    {"Name": "SubscriptionStatus", "Value": "PAID"},
                    {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
                    {"Name": "PayrollFeature", "Value": "true"},
                    {"Name": "AccountantFeature", "Value": "false"},
                    {"Name": "ItemCategoriesFeature", "Value": "true"},
                    {"Name": "CompanyType", "Value": "Other"},
                ],
            }
        )
        self.out["CompanyInfo"].append(info)
        company = self.entity("1", created, created)
        company.update(
            {
                "CompanyName": COMPANY_NAME,
                "LegalName": COMPANY_NAME,
                "CompanyAddr": dict(addr),
                "CustomerCommunicationAddr": dict(addr),
                "LegalAddr": dict(addr),
                "CompanyEmailAddr": {"Address": "craig@craigsdesign.example.com"},
                "CustomerCommunicationEmailAddr": {"Address": "billing@craigsdesign.example.com"},
                "CompanyURL": {"URI": "https://craigsdesign.example.com"},
                "PrimaryPhone": {"FreeFormNumber": "(650) 555-0100"},
                "SampleFile": False,
                "CompanyStartDate": start,
                "EmployerId": "123456789",
                "FiscalYearStartMonth": "January",
                "TaxYearStartMonth": "January",
                "Country": "US",
                "SupportedLanguages": "en",
                "DefaultTimeZone": "America/Los_Angeles",
                "MultiByteCharsSupported": True,
            }
        )
        self.out["Company"].append(company)

    # -- name lists --------------------------------------------------------------------------

    def accounts(self) -> None:
        by_key: dict[str, _Account] = {}
        recent = self.recent_set(len(_ACCOUNTS), 20)
        for n, (key, name, acct_type, sub_type, parent_key) in enumerate(_ACCOUNTS):
            parent = by_key[parent_key] if parent_key else None
            active = key not in _INACTIVE_ACCOUNTS
            shown = name if active else f"{name} (deleted)"  # QBO renames what it "deletes"
            fqn = f"{parent.name}:{shown}" if parent else shown
            acct = _Account(str(n + 1), fqn, key=key)
            by_key[key] = acct
            created = self.setup_ts(n + 1)
            updated = self.later(created, n in recent) if active else self.sometime(created)
            p = self.entity(acct.id, created, updated)
            p["Name"] = shown
            p["SubAccount"] = parent is not None
            if parent:
                p["ParentRef"] = parent.ref()
            p.update(
                {
                    "FullyQualifiedName": fqn,
                    "Active": active,
                    "Classification": _CLASSIFICATION[acct_type],
                    "AccountType": acct_type,
                    "AccountSubType": sub_type,
                    "CurrentBalance": 0,
                    "CurrentBalanceWithSubAccounts": 0,
                    "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
                }
            )
            self.out["Account"].append(p)
        self.acct = by_key

    def taxes(self) -> None:
        k = 100
        self.agencies: list[_Named] = []
        for n, (name, _) in enumerate(_AGENCIES):
            agency = _Named(str(n + 1), name)
            self.agencies.append(agency)
            p = self.entity(agency.id, self.setup_ts(k + n), self.setup_ts(k + n))
            p.update(
                {
                    "DisplayName": name,
                    "TaxTrackedOnPurchases": False,
                    "TaxTrackedOnSales": True,
                    "TaxAgencyConfig": "USER_DEFINED",
                }
            )
            self.out["TaxAgency"].append(p)
        rates: list[_TaxRate] = []
        effective = f"{self.clock.dates[0]}T00:00:00{_OFFSET}"
        for n, (name, bp, agency_no, active) in enumerate(_RATES):
            rate = _TaxRate(str(n + 1), name, bp=bp, agency=agency_no)
            rates.append(rate)
            created = self.setup_ts(k + 10 + n)
            p = self.entity(rate.id, created, created if active else self.sometime(created))
            p.update(
                {
                    "Name": name,
                    "Description": "Sales Tax",
                    "Active": active,
                    "RateValue": bp / 100,
                    "AgencyRef": self.agencies[agency_no].ref(),
                    "SpecialTaxType": "NONE",
                    "DisplayType": "ReadOnly",
                    "EffectiveTaxRate": [{"RateValue": bp / 100, "EffectiveDate": effective}],
                }
            )
            self.out["TaxRate"].append(p)
        self.tax_codes: list[_TaxCode] = []
        for n, (name, members) in enumerate(_CODES):
            code = _TaxCode(str(n + 1), name, rates=tuple(rates[i] for i in members))
            self.tax_codes.append(code)
            created = self.setup_ts(k + 20 + n)
            p = self.entity(code.id, created, created)
            p.update(
                {
                    "Name": name,
                    "Description": name,
                    "Active": True,
                    "Hidden": False,
                    "Taxable": True,
                    "TaxGroup": True,
                    "SalesTaxRateList": {
                        "TaxRateDetail": [
                            {"TaxRateRef": r.ref(), "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}
                            for r in code.rates
                        ]
                    },
                    "PurchaseTaxRateList": {"TaxRateDetail": []},
                }
            )
            self.out["TaxCode"].append(p)

    def simple_lists(self) -> None:
        k = 200
        self.terms: list[_Term] = []
        for n, (name, days, pct, disc_days) in enumerate(_TERMS):
            term = _Term(str(n + 1), name, days=days)
            self.terms.append(term)
            p = self.entity(term.id, self.setup_ts(k + n), self.setup_ts(k + n))
            p.update({"Name": name, "Active": True, "Type": "STANDARD", "DueDays": days})
            if pct:
                p.update({"DiscountPercent": pct, "DiscountDays": disc_days})
            self.out["Term"].append(p)
        self.net30 = self.terms[3]
        self.methods: dict[str, _Named] = {}
        for n, (name, kind) in enumerate(_PAYMENT_METHODS):
            method = _Named(str(n + 1), name)
            self.methods[name] = method
            p = self.entity(method.id, self.setup_ts(k + 10 + n), self.setup_ts(k + 10 + n))
            p.update({"Name": name, "Active": True, "Type": kind})
            self.out["PaymentMethod"].append(p)
        self.classes = self.hierarchy("Class", _CLASSES, _INACTIVE_CLASSES, "SubClass", k + 20)
        self.departments = self.hierarchy(
            "Department", _DEPARTMENTS, _INACTIVE_DEPARTMENTS, "SubDepartment", k + 30
        )
        for n, (name, kind, desc) in enumerate(_JOURNAL_CODES):
            created = self.setup_ts(k + 40 + n)
            p = self.entity(str(n + 1), created, self.later(created))
            p.update({"Name": name, "Type": kind, "Description": desc, "Active": True})
            self.out["JournalCode"].append(p)

    def hierarchy(
        self,
        kind: str,
        rows: Sequence[tuple[str, str | None]],
        inactive: Sequence[str],
        sub_flag: str,
        k: int,
    ) -> list[_Named]:
        """Classes or departments: top-level ones and their children, with FullyQualifiedName."""
        made: dict[str, _Named] = {}
        usable: list[_Named] = []
        for n, (name, parent_name) in enumerate(rows):
            parent = made[parent_name] if parent_name else None
            active = name not in inactive
            shown = name if active else f"{name} (deleted)"
            obj = _Named(str(n + 1), f"{parent.name}:{shown}" if parent else shown)
            made[name] = obj
            created = self.setup_ts(k + n)
            p = self.entity(obj.id, created, self.later(created) if active else self.sometime(created))
            p["Name"] = shown
            p[sub_flag] = parent is not None
            if parent:
                p["ParentRef"] = parent.ref()
            p["FullyQualifiedName"] = obj.name
            p["Active"] = active
            self.out[kind].append(p)
            if active:
                usable.append(obj)
        return usable

    def currencies(self) -> None:
        created = self.setup_ts(300)
        p = self.entity("1", created, created)
        p.update({"Code": FOREIGN[0], "Name": FOREIGN[1], "Active": True})
        self.out["CompanyCurrency"].append(p)
        # A daily EUR rate as a random walk; QBO keeps rows by date, we write one a week and each
        # transaction in EUR uses the row of its week, so the two always agree.
        rate = 1.05 + self.rng.random() * 0.08
        for _ in range(_YEAR + 1):
            rate = min(1.25, max(0.95, rate * (1 + self.rng.gauss(0, 0.003))))
            self.rates.append(round(rate, 4))
        for day in range(0, _YEAR + 1, 7):
            ts = min(day * DAY + 6 * 3600, self.clock.now_ts)
            self.out["ExchangeRate"].append(
                {
                    "SourceCurrencyCode": FOREIGN[0],
                    "TargetCurrencyCode": HOME[0],
                    "Rate": self.rates[day],
                    "AsOfDate": self.clock.dates[day],
                    "SyncToken": "0",
                    "domain": "QBO",
                    "sparse": False,
                    "MetaData": self.clock.meta(ts, ts),
                }
            )

    def items(self) -> None:
        self.item_list: list[_Item] = []
        by_name: dict[str, _Item] = {}

        def add(item: _Item) -> None:
            self.item_list.append(item)
            by_name[item.label] = item

        n = 0
        for name in _CATEGORIES:
            n += 1
            add(_Item(str(n), name, label=name, type="Category", created=self.setup_ts(400 + n)))
        for name, kind, cat, income, expense, price, cost, taxable, lo, hi, half, desc in _ITEMS:
            n += 1
            parent = by_name[cat] if cat else None
            active = name not in _INACTIVE_ITEMS
            shown = name if active else f"{name} (deleted)"
            # "Services" is the company's first item (Id 1), as in Intuit's sample company
            created = self.setup_ts(399 if name == "Services" else 400 + n)
            add(
                _Item(
                    str(n),
                    f"{parent.name}:{shown}" if parent else shown,
                    label=shown,
                    type=kind,
                    parent=parent,
                    income=self.acct[income] if income else None,
                    expense=self.acct[expense] if expense else None,
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
        extra = self.size // 1000
        plants = [(p, s) for s in _PLANT_SIZES for p in _PLANTS]
        category = by_name["Plants and Soil"]
        for i in range(min(extra, len(plants) * 50)):
            (plant, (pot, price)), batch = plants[i % len(plants)], i // len(plants)
            label = f"{plant} {pot}" + (f" #{batch + 1}" if batch else "")
            n += 1
            add(
                _Item(
                    str(n),
                    f"{category.name}:{label}",
                    label=label,
                    type="NonInventory",
                    parent=category,
                    income=self.acct["materials_inc"],
                    expense=self.acct["plants"],
                    price=price,
                    cost=price * 55 // 100,
                    taxable=True,
                    lo=1,
                    hi=12,
                    desc=f"{plant}, {pot}",
                    created=self.rng.randrange(1, 330) * DAY + 6 * 3600 + self.rng.randrange(3600),
                )
            )
        for name, desc, parts in _GROUPS:
            n += 1
            add(
                _Item(
                    str(n),
                    name,
                    label=name,
                    type="Group",
                    desc=desc,
                    created=self.setup_ts(400 + n),
                    components=tuple((by_name[part], qty) for part, qty in parts),
                )
            )
        # Ids follow creation order, as QBO numbers them
        self.item_list.sort(key=lambda it: (it.created, int(it.id)))
        for i, item in enumerate(self.item_list):
            item.id = str(i + 1)
        sellable = [
            it for it in self.item_list if it.active and it.type in ("Service", "NonInventory", "Inventory")
        ]
        self.sell_pool = _Pool(sellable, [it.created // DAY for it in sellable])
        buyable = [it for it in sellable if it.type in ("NonInventory", "Inventory")]
        self.buy_pool = _Pool(buyable, [it.created // DAY for it in buyable])
        services = [it for it in sellable if it.type == "Service"]
        self.service_pool = _Pool(services, [it.created // DAY for it in services])

    def customers(self) -> None:
        rng = self.rng
        n_top = max(len(_CUSTOMERS), self.size // 50)
        specs: list[_Party] = []
        for i, (display, given, family, is_company, city, jobs) in enumerate(_CUSTOMERS):
            created = self.setup_ts(500 + i) if i < 12 else self.early(rng.randrange(1, 40))
            specs += self.customer(display, given, family, is_company, city, created, jobs=jobs, named=True)
        for _ in range(n_top - len(_CUSTOMERS)):
            given, family = rng.choice(_FIRST), rng.choice(_LAST)
            is_company = rng.random() < 0.45
            display = f"{family} {rng.choice(_CUSTOMER_TRADES)}" if is_company else f"{given} {family}"
            created = self.early(rng.randrange(0, 330))
            jobs = tuple(rng.sample(_JOB_NAMES, rng.randint(1, 2))) if rng.random() < 0.12 else ()
            city = rng.randrange(-1, len(_CITIES))
            specs += self.customer(display, given, family, is_company, city, created, jobs=jobs)
        self.eur_customers: list[_Party] = []
        for i in range(len(_EUR_CUSTOMERS) + self.size // 5000):
            display, given, family, line1, town, postal, country = _EUR_CUSTOMERS[i % len(_EUR_CUSTOMERS)]
            created = self.setup_ts(540 + i) if i < 2 else self.early(rng.randrange(1, 300))
            party = self.customer(display, given, family, True, 0, created, currency=FOREIGN)[0]
            party.addr = self.address(line1, town, "", postal, country)
            del party.addr["CountrySubDivisionCode"]
            party.phone = (
                f"+49 89 {rng.randint(1000000, 9999999)}"
                if country == "DE"
                else f"+33 4 42 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
            )
            party.tax_code = None
            specs.append(party)
            self.eur_customers.append(party)
        for i in range(len(_INACTIVE_CUSTOMERS) + self.size // 10_000):
            display, given, family = _INACTIVE_CUSTOMERS[i % len(_INACTIVE_CUSTOMERS)]
            specs += self.customer(
                display,
                given,
                family,
                True,
                rng.randrange(len(_CITIES)),
                self.setup_ts(560 + i),
                active=False,
            )
        specs.sort(key=lambda c: (c.created, c.n))
        for i, c in enumerate(specs):
            c.id = str(i + 1)
        self.customer_list = specs
        usable = [c for c in specs if c.active and c.currency == HOME]
        self.cust_pool = _Pool(usable, [c.created // DAY for c in usable])
        eur = sorted(self.eur_customers, key=lambda c: c.created)
        self.eur_pool = _Pool(eur, [c.created // DAY for c in eur])

    def customer(
        self,
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
    ) -> list[_Party]:
        """A top-level customer and its jobs (sub-customers), created a few days after it."""
        rng = self.rng
        label = self.unique(display)
        place = _TUCSON if city < 0 else _CITIES[city]
        party = _Party(
            "",
            label,
            kind="Customer",
            n=len(self.taken),
            label=label,
            given=given,
            family=family,
            company=is_company,
            created=created,
            active=active,
            currency=currency,
        )
        party.addr = self.address(self.street(), *place)
        party.phone = self.phone("520" if city < 0 else "650")
        slug = "".join(ch for ch in label.lower() if ch.isalnum())[:24]
        party.email = f"{slug}@example.com"
        if named or rng.random() < 0.8:  # Intuit's named customers all pay sales tax
            party.tax_code = self.tax_codes[1 if city < 0 else 0]
        party.term = rng.choice(self.terms[:5]) if rng.random() < 0.7 else None
        if not active:
            party.label = party.name = f"{label} (deleted)"
            party.updated = rng.randint(created, self.clock.now_ts)
        made = [party]
        for job in jobs:
            job_label = self.unique(job)
            # a job is set up a few days after its customer, before business hours like other setup
            when = min(created // DAY + rng.randint(1, 20), 330) * DAY + 6 * 3600 + rng.randrange(3600)
            child = _Party(
                "",
                f"{label}:{job_label}",
                kind="Customer",
                n=len(self.taken),
                label=job_label,
                created=max(when, created + 60),
                currency=currency,
                parent=party,
            )
            child.addr = self.address(self.street(), *place)
            child.tax_code, child.term, child.phone = party.tax_code, party.term, party.phone
            made.append(child)
        return made

    def vendors(self) -> None:
        rng = self.rng
        n_total = max(len(_VENDORS), self.size // 100)
        specs: list[_Party] = []
        for i, (display, given, family, expense, supplier, contractor) in enumerate(_VENDORS):
            created = self.setup_ts(700 + i) if i < 18 else self.early(rng.randrange(1, 40))
            specs.append(self.vendor(display, given, family, expense, supplier, contractor, created))
        for _ in range(n_total - len(_VENDORS)):
            family = rng.choice(_LAST)
            trade, expense, supplier = rng.choice(_VENDOR_TRADES)
            created = rng.randrange(0, 330) * DAY + 6 * 3600 + rng.randrange(7200)
            contractor = rng.random() < 0.1
            specs.append(self.vendor(f"{family} {trade}", "", "", expense, supplier, contractor, created))
        for i in range(len(_INACTIVE_VENDORS) + self.size // 20_000):
            name = _INACTIVE_VENDORS[i % len(_INACTIVE_VENDORS)]
            created = self.setup_ts(760 + i)
            specs.append(self.vendor(name, "", "", "plants", True, False, created, active=False))
        specs.sort(key=lambda v: (v.created, v.n))
        for i, v in enumerate(specs):
            v.id = str(i + 1)
        self.vendor_list = specs
        usable = [v for v in specs if v.active]
        self.vendor_pool = _Pool(usable, [v.created // DAY for v in usable])
        suppliers = [v for v in usable if v.supplier]
        self.supplier_pool = _Pool(suppliers, [v.created // DAY for v in suppliers])
        contractors = [v for v in usable if v.contractor]
        self.contractor_pool = _Pool(contractors, [v.created // DAY for v in contractors])

    def vendor(
        self,
        display: str,
        given: str,
        family: str,
        expense: str,
        supplier: bool,
        contractor: bool,
        created: int,
        active: bool = True,
    ) -> _Party:
        rng = self.rng
        label = self.unique(display)
        party = _Party(
            "",
            label,
            kind="Vendor",
            n=len(self.taken),
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
        party.addr = self.address(self.street(), *rng.choice(_CITIES))
        party.phone = self.phone()
        party.term = rng.choice(self.terms[:5]) if rng.random() < 0.6 else None
        if not active:
            party.label = party.name = f"{label} (deleted)"
            party.updated = rng.randint(created, self.clock.now_ts)
        return party

    def employees(self) -> None:
        rng = self.rng
        specs: list[_Party] = []
        rows = list(_EMPLOYEES)
        for _ in range(self.size // 5000):
            rows.append((rng.choice(_FIRST), rng.choice(_LAST), rng.choice((3500, 4000, 4500, 5000))))
        for i, (given, family, rate) in enumerate(rows):
            label = self.unique(f"{given} {family}")
            created = self.setup_ts(800 + i) if i < len(_EMPLOYEES) else self.early(rng.randrange(1, 300))
            party = _Party(
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
            party.addr = self.address(self.street(), *rng.choice(_CITIES))
            party.phone = self.phone("408")
            specs.append(party)
        for i, (given, family) in enumerate(_INACTIVE_EMPLOYEES):
            label = self.unique(f"{given} {family}")
            shown = f"{label} (deleted)"
            party = _Party(
                "",
                shown,
                kind="Employee",
                n=len(rows) + i,
                label=shown,
                given=given,
                family=family,
                created=self.setup_ts(820 + i),
                active=False,
                rate=4000,
            )
            party.updated = rng.randint(party.created, self.clock.now_ts)
            party.addr = self.address(self.street(), *rng.choice(_CITIES))
            specs.append(party)
        specs.sort(key=lambda e: (e.created, e.n))
        for i, e in enumerate(specs):
            e.id = str(i + 1)
        self.employee_list = specs
        usable = [e for e in specs if e.active]
        self.employee_pool = _Pool(usable, [e.created // DAY for e in usable])

    # -- sales -------------------------------------------------------------------------------

    def spec(self, day: int, n_lines: int) -> list[tuple[_Item, int]]:
        """What a sales form sells: items and quantities (in halves)."""
        rng = self.rng
        out = []
        seen: set[str] = set()  # one line per item, as people write them
        for _ in range(n_lines):
            item = self.sell_pool.pick(rng, day, 1.0)
            if item.id in seen:
                continue
            seen.add(item.id)
            q2 = rng.randint(item.lo * 2, item.hi * 2) if item.half else 2 * rng.randint(item.lo, item.hi)
            out.append((item, q2))
        return out

    def sales_form(
        self,
        kind: str,
        ts: int,
        cust: _Party | None,
        spec: list[tuple[_Item, int]],
        *,
        discount: int = 0,
        sign: int = 1,
    ) -> _Txn:
        """A sales form's lines, tax and totals (Invoice, Estimate, SalesReceipt, CreditMemo, RefundReceipt).

        ``sign`` is -1 for forms that give money back: their tax reduces what the agency is owed.
        """
        day = ts // DAY
        lines: list[Payload] = []
        subtotal = taxable = 0
        code = cust.tax_code if cust is not None else self.tax_codes[0]
        for n, (item, q2) in enumerate(spec, 1):
            amount = item.price * q2 // 2
            subtotal += amount
            taxed = item.taxable and code is not None
            if taxed:
                taxable += amount
            lines.append(
                {
                    "Id": str(n),
                    "LineNum": n,
                    "Description": item.desc,
                    "Amount": amount / 100,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": item.id, "name": item.name},
                        "UnitPrice": item.price / 100,
                        "Qty": _qty(q2),
                        "TaxCodeRef": {"value": "TAX" if taxed else "NON"},
                    },
                }
            )
            if item.type == "Inventory" and kind != "Estimate":
                item.qty += sign * (q2 // 2)
                item.updated = max(item.updated, ts)
        lines.append({"Amount": subtotal / 100, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
        off = 0
        if discount:
            off = (subtotal * discount + 50) // 100
            lines.append(
                {
                    "Amount": off / 100,
                    "DetailType": "DiscountLineDetail",
                    "DiscountLineDetail": {
                        "PercentBased": True,
                        "DiscountPercent": discount,
                        "DiscountAccountRef": self.acct["discounts"].ref(),
                    },
                }
            )
        tax = 0
        detail: Payload
        if taxable and code is not None:
            tax_lines = []
            for rate in code.rates:
                part = (taxable * rate.bp + 5000) // 10000
                tax += part
                tax_lines.append(
                    {
                        "Amount": part / 100,
                        "DetailType": "TaxLineDetail",
                        "TaxLineDetail": {
                            "TaxRateRef": rate.ref(),
                            "PercentBased": True,
                            "TaxPercent": rate.bp / 100,
                            "NetAmountTaxable": taxable / 100,
                        },
                    }
                )
                if kind != "Estimate":
                    key = (rate.agency, self.quarter_of[day])
                    self.tax_due[key] = self.tax_due.get(key, 0) + sign * part
            detail = {"TxnTaxCodeRef": code.ref(), "TotalTax": tax / 100, "TaxLine": tax_lines}
        else:
            detail = {"TotalTax": 0}
        total = subtotal - off + tax
        currency = cust.currency if cust is not None else HOME
        p: Payload = {
            "TxnDate": self.clock.dates[day],
            "CurrencyRef": {"value": currency[0], "name": currency[1]},
        }
        if cust is not None:
            p["CustomerRef"] = cust.ref()
        p.update(
            {"Line": lines, "TxnTaxDetail": detail, "TotalAmt": total / 100, "ApplyTaxAfterDiscount": False}
        )
        t = self.txn(kind, ts, p)
        t.party, t.total, t.open = cust, total, total
        if currency != HOME:
            t.rate = self.rate_on(day)
            p["ExchangeRate"] = t.rate
            p["HomeTotalAmt"] = round(total * t.rate) / 100
        if cust is not None:
            if cust.addr:
                p["BillAddr"] = dict(cust.addr)
            if cust.email:
                p["BillEmail"] = {"Address": cust.email}
        return t

    def tagging(self, p: Payload, class_share: float = 0.35, dept_share: float = 0.4) -> None:
        """Class and location on some transactions, as a company tracking them would."""
        rng = self.rng
        if rng.random() < class_share:
            p["ClassRef"] = rng.choice(self.classes).ref()
        if rng.random() < dept_share:
            p["DepartmentRef"] = rng.choice(self.departments).ref()

    def crew(self) -> list[Payload]:
        field_: Payload = {"DefinitionId": "1", "Name": "Crew #", "Type": "StringType"}
        if self.rng.random() < 0.6:
            field_["StringValue"] = str(self.rng.randint(100, 120))
        return [field_]

    def invoice(self, ts: int, cust: _Party, spec: list[tuple[_Item, int]], discount: int = 0) -> _Txn:
        rng = self.rng
        t = self.sales_form("Invoice", ts, cust, spec, discount=discount)
        p = t.p
        term = cust.term or self.net30
        p["SalesTermRef"] = term.ref()
        p["DueDate"] = self.clock.dates[t.day + term.days]
        p.update(
            {
                "Deposit": 0,
                "PrintStatus": rng.choice(("NeedToPrint", "NotSet")),
                "EmailStatus": "EmailSent" if rng.random() < 0.5 else "NotSet",
                "CustomField": self.crew(),
                "LinkedTxn": [],
                "AllowIPNPayment": False,
                "AllowOnlinePayment": False,
                "AllowOnlineCreditCardPayment": False,
                "AllowOnlineACHPayment": False,
                "CustomerMemo": {"value": "Thank you for your business and have a great day!"},
            }
        )
        if p["EmailStatus"] == "EmailSent":
            sent = min(ts + 120, self.clock.now_ts)
            p["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": self.clock.stamp(sent)}
        if "BillAddr" in p:
            p["ShipAddr"] = dict(cust.addr)
        self.tagging(p)
        return t

    def sales(self, q: dict[str, int]) -> None:
        rng = self.rng
        clock = self.clock
        # Estimates; some accepted and turned into invoices (then QBO closes them), a few rejected.
        n_inv = q["Invoice"]
        converted = 0
        for day in self.days(q["Estimate"]):
            cust = self.cust_pool.pick(rng, day)
            spec = self.spec(day, rng.randint(1, 4))
            t = self.sales_form("Estimate", self.at(day), cust, spec)
            p = t.p
            p["ExpirationDate"] = clock.dates[day + 30]
            p["PrintStatus"] = "NotSet"
            p["EmailStatus"] = "EmailSent"
            p["CustomField"] = self.crew()
            self.tagging(p, 0.3, 0.3)
            roll = rng.random()
            when = self.after(t.ts, 1, 21) if roll < 0.55 and converted < n_inv else None
            if when is not None:
                converted += 1
                p["TxnStatus"] = "Closed"
                p["AcceptedBy"] = cust.given or cust.label
                p["AcceptedDate"] = clock.dates[when // DAY]
                inv = self.invoice(when, cust, spec)
                inv.p["LinkedTxn"].append(self.link(t, "Estimate"))
                p["LinkedTxn"] = [self.link(inv, "Invoice")]
                t.upd = inv.ts
            elif roll < 0.7:
                p["TxnStatus"] = "Accepted"
                p["AcceptedBy"] = cust.given or cust.label
                p["AcceptedDate"] = clock.dates[min(day + rng.randint(0, 5), _YEAR)]
                t.upd = self.later(t.ts)
            elif roll < 0.85:
                p["TxnStatus"] = "Rejected"
                t.upd = self.later(t.ts)
            else:
                p["TxnStatus"] = "Pending"
        for i, day in enumerate(self.days(n_inv - converted)):
            # every 20th invoice is for a customer abroad, in EUR and without sales tax
            abroad = i % 20 == 7 and self.eur_customers
            cust = self.eur_pool.pick(rng, day) if abroad else self.cust_pool.pick(rng, day)
            discount = rng.choice((5, 10)) if rng.random() < 0.08 else 0
            self.invoice(self.at(day), cust, self.spec(day, rng.randint(1, 5)), discount)
        for i, day in enumerate(self.days(q["SalesReceipt"])):
            cust = None if i % 7 == 3 else self.cust_pool.pick(rng, day)  # walk-in sales have no customer
            t = self.sales_form("SalesReceipt", self.at(day), cust, self.spec(day, rng.randint(1, 3)))
            method = self.methods[rng.choice(("Cash", "Check", "Visa", "MasterCard", "American Express"))]
            # the first ones always wait in Undeposited Funds, so every deposit has something to deposit
            to_bank = i >= q["Deposit"] and rng.random() < 0.12
            t.p.update(
                {
                    "PaymentMethodRef": method.ref(),
                    "PaymentRefNum": str(rng.randint(1000, 99999)),
                    "DepositToAccountRef": self.acct["checking" if to_bank else "uf"].ref(),
                    "Balance": 0,
                    "PrintStatus": "NotSet",
                    "EmailStatus": "NotSet",
                    "CustomField": self.crew(),
                }
            )
            self.tagging(t.p)
            if not to_bank:
                self.undeposited.append(t)
        for day in self.days(q["CreditMemo"]):
            cust = self.cust_pool.pick(rng, day)
            t = self.sales_form("CreditMemo", self.at(day), cust, self.spec(day, rng.randint(1, 2)), sign=-1)
            t.p.update(
                {
                    "RemainingCredit": t.total / 100,
                    "Balance": t.total / 100,
                    "PrintStatus": "NotSet",
                    "EmailStatus": "NotSet",
                    "CustomerMemo": {"value": "Credit for returned materials"},
                }
            )
            cust.balance -= t.total
        for day in self.days(q["RefundReceipt"]):
            cust = self.cust_pool.pick(rng, day)
            t = self.sales_form("RefundReceipt", self.at(day), cust, self.spec(day, 1), sign=-1)
            method = self.methods[rng.choice(("Cash", "Check", "Visa", "MasterCard"))]
            t.p.update(
                {
                    "DepositToAccountRef": self.acct["checking"].ref(),
                    "PaymentMethodRef": method.ref(),
                    "Balance": 0,
                    "PrintStatus": "NotSet",
                    "EmailStatus": "NotSet",
                }
            )

    # -- purchases ---------------------------------------------------------------------------

    def expense_line(self, n: int, vendor: _Party, day: int, lo: int, hi: int) -> tuple[Payload, int]:
        rng = self.rng
        key = vendor.expense if rng.random() < 0.75 else rng.choice(_GENERAL_EXPENSES)
        amount = rng.randint(lo, hi)
        detail: Payload = {"AccountRef": self.acct[key].ref()}
        if key in ("job_materials", "plants", "decks", "lighting") and rng.random() < 0.3:
            detail["BillableStatus"] = "Billable"
            detail["CustomerRef"] = self.cust_pool.pick(rng, day).ref()
        else:
            detail["BillableStatus"] = "NotBillable"
        detail["TaxCodeRef"] = {"value": "NON"}
        return (
            {
                "Id": str(n),
                "Description": self.acct[key].name.rsplit(":", 1)[-1],
                "Amount": amount / 100,
                "DetailType": "AccountBasedExpenseLineDetail",
                "AccountBasedExpenseLineDetail": detail,
            },
            amount,
        )

    def buy_spec(self, day: int, n_lines: int) -> list[tuple[_Item, int]]:
        """What a purchase order or bill buys: stock items and quantities."""
        rng = self.rng
        out = []
        seen: set[str] = set()
        for _ in range(n_lines):
            item = self.buy_pool.pick(rng, day, 1.0)
            if item.id in seen:
                continue
            seen.add(item.id)
            out.append((item, rng.randint(item.lo, item.hi) * rng.randint(2, 5)))
        return out

    def item_lines(self, spec: list[tuple[_Item, int]]) -> tuple[list[Payload], int]:
        """Item-based purchase lines (bills, purchase orders): stock bought at cost."""
        lines = []
        total = 0
        for n, (item, qty) in enumerate(spec, 1):
            amount = item.cost * qty
            total += amount
            lines.append(
                {
                    "Id": str(n),
                    "Description": item.desc,
                    "Amount": amount / 100,
                    "DetailType": "ItemBasedExpenseLineDetail",
                    "ItemBasedExpenseLineDetail": {
                        "ItemRef": {"value": item.id, "name": item.name},
                        "UnitPrice": item.cost / 100,
                        "Qty": qty,
                        "BillableStatus": "NotBillable",
                        "TaxCodeRef": {"value": "NON"},
                    },
                }
            )
        return lines, total

    def stock(self, lines: list[Payload], ts: int) -> None:
        """Bought inventory adds to what is on hand."""
        for line in lines:
            detail = line.get("ItemBasedExpenseLineDetail")
            if detail is not None:
                item = self.item_by_id[detail["ItemRef"]["value"]]
                if item.type == "Inventory":
                    item.qty -= detail["Qty"]
                    item.updated = max(item.updated, ts)

    def bill(self, ts: int, vendor: _Party, lines: list[Payload], total: int) -> _Txn:
        rng = self.rng
        term = vendor.term or self.net30
        day = ts // DAY
        p: Payload = {
            "TxnDate": self.clock.dates[day],
            "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
            "VendorRef": vendor.ref(),
            "APAccountRef": self.acct["ap"].ref(),
            "SalesTermRef": term.ref(),
            "DueDate": self.clock.dates[day + term.days],
            "Line": lines,
            "TotalAmt": total / 100,
            "LinkedTxn": [],
        }
        if rng.random() < 0.5:
            p["DocNumber"] = f"{rng.choice(('INV-', '', 'B'))}{rng.randint(1000, 99999)}"
        if rng.random() < 0.3:
            p["DepartmentRef"] = rng.choice(self.departments).ref()
        t = self.txn("Bill", ts, p)
        t.party, t.total, t.open = vendor, total, total
        self.stock(lines, ts)
        return t

    def purchases(self, q: dict[str, int]) -> None:
        rng = self.rng
        self.item_by_id = {it.id: it for it in self.item_list}
        n_bills = q["Bill"]
        from_po = 0
        for day in self.days(q["PurchaseOrder"]):
            vendor = self.supplier_pool.pick(rng, day, 1.0)
            ts = self.at(day)
            spec = self.buy_spec(day, rng.randint(1, 4))
            lines, total = self.item_lines(spec)
            p: Payload = {
                "TxnDate": self.clock.dates[day],
                "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
                "VendorRef": vendor.ref(),
                "APAccountRef": self.acct["ap"].ref(),
                "Line": lines,
                "TotalAmt": total / 100,
                "EmailStatus": "NotSet",
                "PrintStatus": "NotSet",
                "ShipAddr": dict(self.out["CompanyInfo"][0]["CompanyAddr"]),
            }
            po = self.txn("PurchaseOrder", ts, p)
            po.party, po.total = vendor, total
            # Received orders become bills (and QBO closes them); recent ones are still open.
            when = self.after(ts, 3, 20) if from_po < n_bills and rng.random() < 0.65 else None
            if when is None:
                p["POStatus"] = "Open"
                continue
            from_po += 1
            b = self.bill(when, vendor, self.item_lines(spec)[0], total)
            b.p["LinkedTxn"].append(self.link(po, "PurchaseOrder"))
            p["POStatus"] = "Closed"
            p["LinkedTxn"] = [self.link(b, "Bill")]
            po.upd = b.ts
        for day in self.days(n_bills - from_po):
            ts = self.at(day)
            if rng.random() < 0.35:
                vendor = self.supplier_pool.pick(rng, day, 1.0)
                lines, total = self.item_lines(self.buy_spec(day, rng.randint(1, 3)))
                if rng.random() < 0.3:
                    line, amount = self.expense_line(len(lines) + 1, vendor, day, 2_000, 30_000)
                    lines.append(line)
                    total += amount
            else:
                vendor = self.vendor_pool.pick(rng, day)
                lines, total = [], 0
                for n in range(1, rng.randint(1, 3) + 1):
                    line, amount = self.expense_line(n, vendor, day, 2_500, 250_000)
                    lines.append(line)
                    total += amount
            self.bill(ts, vendor, lines, total)
        for day in self.days(q["VendorCredit"]):
            vendor = self.vendor_pool.pick(rng, day)
            line, amount = self.expense_line(1, vendor, day, 1_500, 40_000)
            p = {
                "TxnDate": self.clock.dates[day],
                "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
                "VendorRef": vendor.ref(),
                "APAccountRef": self.acct["ap"].ref(),
                "Line": [line],
                "TotalAmt": amount / 100,
                "Balance": amount / 100,
            }
            t = self.txn("VendorCredit", self.at(day), p)
            t.party, t.total = vendor, amount
            vendor.balance -= amount
        for day in self.days(q["Purchase"]):
            vendor = self.vendor_pool.pick(rng, day)
            roll = rng.random()
            kind = "Cash" if roll < 0.15 else "Check" if roll < 0.5 else "CreditCard"
            account = {"Cash": "petty", "Check": "checking"}.get(kind) or rng.choice(("visa", "mastercard"))
            lines, total = [], 0
            for n in range(1, rng.randint(1, 3) + 1):
                line, amount = self.expense_line(n, vendor, day, 500, 60_000)
                lines.append(line)
                total += amount
            p = {
                "TxnDate": self.clock.dates[day],
                "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
                "AccountRef": self.acct[account].ref(),
                "PaymentType": kind,
                "EntityRef": {"value": vendor.id, "name": vendor.name, "type": "Vendor"},
                "Line": lines,
                "TotalAmt": total / 100,
            }
            if kind == "CreditCard":
                p["Credit"] = False
                p["PaymentMethodRef"] = self.methods["Visa" if account == "visa" else "MasterCard"].ref()
            if kind == "Check":
                p["PrintStatus"] = "NotSet"
            self.tagging(p, 0.2, 0.3)
            # A Purchase has no header ClassRef (the API answers 2010 for one): the class goes on
            # its lines, as QBO keeps it. Moved after the draw, so the random sequence is unchanged.
            header_class = p.pop("ClassRef", None)
            if header_class is not None:
                for line in lines:
                    for detail in ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail"):
                        if isinstance(line.get(detail), dict):
                            line[detail].setdefault("ClassRef", dict(header_class))
            t = self.txn("Purchase", self.at(day), p)
            t.party, t.total = vendor, total

    def other_txns(self, q: dict[str, int]) -> None:
        rng = self.rng
        for day in self.days(q["Transfer"]):
            source, target, lo, hi = rng.choice(_TRANSFERS)
            amount = rng.randint(lo // 100, hi // 100) * 100  # round dollars, as people transfer
            p = {
                "TxnDate": self.clock.dates[day],
                "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
                "FromAccountRef": self.acct[source].ref(),
                "ToAccountRef": self.acct[target].ref(),
                "Amount": amount / 100,
            }
            if target in ("visa", "mastercard"):
                p["PrivateNote"] = "Credit card payment"
            t = self.txn("Transfer", self.at(day), p)
            t.total = amount
        for day in self.days(q["JournalEntry"]):
            note, legs, lo, hi, adjustment = rng.choice(_JE_TEMPLATES)
            total = rng.randint(lo, hi)
            debits = [key for key, side in legs if side == "Debit"]
            credits = [key for key, side in legs if side == "Credit"]
            lines: list[Payload] = []
            for side, keys in (("Debit", debits), ("Credit", credits)):
                left = total
                for i, key in enumerate(keys):
                    # the first legs take a share, the last one the rest, so each side sums to total
                    amount = left if i == len(keys) - 1 else total * rng.randint(55, 85) // 100
                    left -= amount
                    lines.append(
                        {
                            "Id": str(len(lines)),
                            "Description": note,
                            "Amount": amount / 100,
                            "DetailType": "JournalEntryLineDetail",
                            "JournalEntryLineDetail": {
                                "PostingType": side,
                                "AccountRef": self.acct[key].ref(),
                            },
                        }
                    )
            p = {
                "TxnDate": self.clock.dates[day],
                "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
                "PrivateNote": note,
                "Line": lines,
                "Adjustment": adjustment,
            }
            t = self.txn("JournalEntry", self.at(day), p)
            t.total = total
        for day in self.days(q["TimeActivity"]):
            cust = self.cust_pool.pick(rng, day)
            item = self.service_pool.pick(rng, day, 1.0)
            p = {"TxnDate": self.clock.dates[day]}
            if rng.random() < 0.8 or not self.contractor_pool.objs:
                worker = self.employee_pool.pick(rng, day, 1.0)
                p["NameOf"] = "Employee"
                p["EmployeeRef"] = worker.ref()
            else:
                worker = self.contractor_pool.pick(rng, day, 1.0)
                p["NameOf"] = "Vendor"
                p["VendorRef"] = worker.ref()
            p["CustomerRef"] = cust.ref()
            p["ItemRef"] = {"value": item.id, "name": item.name}
            if rng.random() < 0.3:
                p["ClassRef"] = rng.choice(self.classes).ref()
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
            self.txn("TimeActivity", self.at(day), p)

    # -- settling: payments, bill payments, deposits -----------------------------------------

    def settle(self, docs: list[_Txn], quota: int, max_delay: int) -> tuple[list[_Plan], int]:
        """Plan ``quota`` payments of ``docs``: (time, [(document, amount)]), and how many could not be made.

        Each document gets paid some days after it, or stays open when that would be after now;
        documents of one party paid close together share a payment (as customers pay several
        invoices with one check); to reach the quota, some are paid in two installments and
        some open ones partly. A payment never exceeds what is still open on a document.
        """
        rng, now = self.rng, self.clock.now_ts
        due: list[tuple[int, int, _Txn]] = []
        for d in docs:
            # paid in business hours some days later (or, for a same-day payment, an hour later)
            pay = max((d.day + rng.randint(0, max_delay)) * DAY + rng.randrange(_OPEN, _CLOSE), d.ts + 3600)
            if pay <= now:
                due.append((pay, d.seq, d))
        due.sort(key=lambda x: (x[0], x[1]))
        merges = max(0, len(due) - quota)
        groups: list[tuple[list[int], list[_Txn]]] = []  # ([first pay, last pay], documents)
        latest: dict[tuple[str, int], tuple[list[int], list[_Txn]]] = {}
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
        plans: list[_Plan] = []
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

    def payments(self, quota: int) -> None:
        rng = self.rng
        invoices = self.by_kind["Invoice"]
        plans, short = self.settle(invoices, quota, 50)
        for ts, parts in plans:
            cust = parts[0][0].party
            assert cust is not None
            lines = []
            total = 0
            t = self.txn("Payment", ts, {})
            for d, amount in parts:
                lines.append({"Amount": amount / 100, "LinkedTxn": [self.link(d, "Invoice")]})
                total += amount
                d.p["LinkedTxn"].append(self.link(t, "Payment"))
                d.upd = max(d.upd, ts)
            self.payment(t, cust, lines, total, 0)
        for _ in range(short):  # only in tiny companies: money received before it was invoiced
            cust = self.cust_pool.objs[0]
            amount = rng.randint(5_000, 50_000)
            t = self.txn("Payment", self.at(rng.randint(1, _YEAR)), {})
            self.payment(t, cust, [], amount, amount)
            cust.balance -= amount
        for d in invoices:
            d.p["Balance"] = d.open / 100
            if d.rate != 1.0:
                d.p["HomeBalance"] = round(d.open * d.rate) / 100
            assert d.party is not None
            d.party.balance += d.open

    def payment(self, t: _Txn, cust: _Party, lines: list[Payload], total: int, unapplied: int) -> None:
        rng = self.rng
        method = rng.choice(("Check", "Check", "Check", "Visa", "MasterCard", "American Express", "Cash"))
        foreign = cust.currency != HOME
        # most payments wait in Undeposited Funds for a deposit; foreign ones go straight to the bank
        to_bank = foreign or rng.random() < 0.15
        p = t.p
        p.update(
            {
                "TxnDate": self.clock.dates[t.day],
                "CurrencyRef": {"value": cust.currency[0], "name": cust.currency[1]},
                "CustomerRef": cust.ref(),
                "DepositToAccountRef": self.acct["checking" if to_bank else "uf"].ref(),
                "PaymentMethodRef": self.methods[method].ref(),
            }
        )
        if method == "Check":
            p["PaymentRefNum"] = str(rng.randint(1000, 9999))
        p.update(
            {"TotalAmt": total / 100, "UnappliedAmt": unapplied / 100, "ProcessPayment": False, "Line": lines}
        )
        if foreign:
            t.rate = self.rate_on(t.day)
            p["ExchangeRate"] = t.rate
        t.party, t.total = cust, total
        if not to_bank:
            self.undeposited.append(t)

    def bill_payments(self, quota: int) -> None:
        rng = self.rng
        bills = self.by_kind["Bill"]
        plans, short = self.settle(bills, quota, 45)
        if short:
            raise ValueError(f"cannot make {quota} bill payments for {len(bills)} bills")
        for ts, parts in plans:
            vendor = parts[0][0].party
            assert vendor is not None
            by_card = rng.random() < 0.25
            pay_type = "CreditCard" if by_card else "Check"
            # a bill's LinkedTxn names the kind of bill payment
            link_type = "BillPaymentCreditCard" if by_card else "BillPaymentCheck"
            t = self.txn("BillPayment", ts, {})
            lines = []
            total = 0
            for d, amount in parts:
                lines.append({"Amount": amount / 100, "LinkedTxn": [self.link(d, "Bill")]})
                total += amount
                d.p["LinkedTxn"].append(self.link(t, link_type))
                d.upd = max(d.upd, ts)
            p = t.p
            p.update(
                {
                    "TxnDate": self.clock.dates[t.day],
                    "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
                    "VendorRef": vendor.ref(),
                    "APAccountRef": self.acct["ap"].ref(),
                    "PayType": pay_type,
                }
            )
            if by_card:
                p["CreditCardPayment"] = {"CCAccountRef": self.acct[rng.choice(("visa", "mastercard"))].ref()}
            else:
                p["CheckPayment"] = {
                    "BankAccountRef": self.acct["checking"].ref(),
                    "PrintStatus": rng.choice(("NotSet", "PrintComplete")),
                }
            p.update({"TotalAmt": total / 100, "Line": lines})
            t.party, t.total = vendor, total
        for d in bills:
            d.p["Balance"] = d.open / 100
            assert d.party is not None
            d.party.balance += d.open

    def deposits(self, quota: int) -> None:
        """Deposits of Undeposited Funds into Checking: a few payments and receipts at a time."""
        now = self.clock.now_ts
        funds = sorted(self.undeposited, key=lambda t: (t.ts, t.seq))
        # sales() sends at least ``quota`` receipts to Undeposited Funds, so no deposit is empty
        assert len(funds) >= quota
        keep = min(len(funds) - quota, max(1, len(funds) // 25))  # the latest wait for the bank
        funds = funds[: len(funds) - keep]
        for i in range(quota):
            chunk = funds[i * len(funds) // quota : (i + 1) * len(funds) // quota]
            # to the bank within a few days of the last payment in it
            t = self.txn("Deposit", self.after(chunk[-1].ts, 0, 3) or now, {})
            lines: list[Payload] = []
            total = 0
            for n, item in enumerate(chunk, 1):
                linked = self.link(item, item.kind)
                linked["TxnLineId"] = "0"
                lines.append({"Id": str(n), "LineNum": n, "Amount": item.total / 100, "LinkedTxn": [linked]})
                total += item.total
            t.p.update(
                {
                    "TxnDate": self.clock.dates[t.day],
                    "CurrencyRef": {"value": HOME[0], "name": HOME[1]},
                    "DepositToAccountRef": self.acct["checking"].ref(),
                    "Line": lines,
                    "TotalAmt": total / 100,
                }
            )
            t.total = total

    # -- numbering and finishing touches -----------------------------------------------------

    def number(self) -> None:
        """Ids in order of creation across all transactions, DocNumbers per sequence, links, MetaData."""
        rng, clock = self.rng, self.clock
        self.txns.sort(key=lambda t: (t.ts, _RANK[t.kind], t.seq))
        # Invoices, sales receipts, credit memos and refund receipts share QBO's sales-form numbers;
        # checks (expenses by check, bill payments by check) share the check book's.
        sales_no, estimate_no, po_no, check_no, je_no = 1001, 1001, 1001, 101, 1
        recent = self.recent_set(len(self.txns), 100)
        # and at least one of each type, so a change-data-capture reader finds every type changed
        touched = {self.rng.choice(group).seq for group in self.by_kind.values() if group}
        for i, t in enumerate(self.txns):
            p = t.p
            kind = t.kind
            if kind in ("Invoice", "SalesReceipt", "CreditMemo", "RefundReceipt"):
                p["DocNumber"] = str(sales_no)
                sales_no += 1
            elif kind == "Estimate":
                p["DocNumber"] = str(estimate_no)
                estimate_no += 1
            elif kind == "PurchaseOrder":
                p["DocNumber"] = str(po_no)
                po_no += 1
            elif kind == "JournalEntry":
                p["DocNumber"] = str(je_no)
                je_no += 1
            elif (kind == "Purchase" and p["PaymentType"] == "Check") or (
                kind == "BillPayment" and p["PayType"] == "Check"
            ):
                p["DocNumber"] = str(check_no)
                check_no += 1
            p["Id"] = str(i + 1)
            p["SyncToken"] = "0"
            p["domain"] = "QBO"
            p["sparse"] = False
            if i in recent or t.seq in touched:  # a few older transactions edited in the last days
                t.upd = max(t.upd, clock.now_ts - rng.randrange(3 * DAY))
            elif t.upd == t.ts and rng.random() < 0.06:
                t.upd = self.later(t.ts)
        for holder, key, target in self.fixups:
            holder[key] = target.p["Id"]
        for t in self.txns:
            t.p["MetaData"] = clock.meta(t.ts, t.upd)
            self.out[t.kind].append(t.p)
        # a reader wants each type in Id order
        for kind in self.by_kind:
            self.out[kind].sort(key=lambda p: int(p["Id"]))

    def emit_lists(self) -> None:
        """Items, customers, vendors and employees: written last, as the year changed them."""
        rng, clock = self.rng, self.clock
        start = clock.dates[0]
        recent = self.recent_set(len(self.item_list))
        for i, it in enumerate(self.item_list):
            updated = max(it.updated, it.created)  # stock moves update an inventory item
            if i in recent:
                updated = max(updated, self.later(it.created, True))
            elif not it.active:
                updated = self.sometime(it.created)
            p = self.entity(it.id, it.created, updated)
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
                            "AssetAccountRef": self.acct["inventory"].ref(),
                            "TrackQtyOnHand": True,
                            "QtyOnHand": it.start_qty - it.qty,
                            "InvStartDate": start,
                        }
                    )
                else:
                    p["TrackQtyOnHand"] = False
            self.out["Item"].append(p)
        jobs_total: dict[int, int] = {}
        for c in self.customer_list:
            if c.parent is not None:
                jobs_total[c.parent.n] = jobs_total.get(c.parent.n, 0) + c.balance
        recent = self.recent_set(len(self.customer_list))
        for i, c in enumerate(self.customer_list):
            updated = self.row_updated(c, i in recent)
            p = self.entity(c.id, c.created, updated)
            self.party_names(p, c)
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
            self.contact(p, c, "BillAddr")
            if c.parent is None and c.addr:
                p["ShipAddr"] = dict(c.addr)
            self.out["Customer"].append(p)
        recent = self.recent_set(len(self.vendor_list))
        for i, v in enumerate(self.vendor_list):
            updated = self.row_updated(v, i in recent)
            p = self.entity(v.id, v.created, updated)
            self.party_names(p, v)
            p["Active"] = v.active
            p["Vendor1099"] = v.contractor
            if v.contractor:
                p["TaxIdentifier"] = f"XXXXXX{rng.randint(1000, 9999)}"
            p.update({"Balance": v.balance / 100, "CurrencyRef": {"value": HOME[0], "name": HOME[1]}})
            if v.term is not None:
                p["TermRef"] = v.term.ref()
            if v.n % 2:
                p["AcctNum"] = str(rng.randint(1000, 9_999_999))
            self.contact(p, v, "BillAddr")
            self.out["Vendor"].append(p)
        recent = self.recent_set(len(self.employee_list), 5)
        for i, e in enumerate(self.employee_list):
            updated = self.row_updated(e, i in recent)
            p = self.entity(e.id, e.created, updated)
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
            self.contact(p, e, "PrimaryAddr")
            self.out["Employee"].append(p)

    def row_updated(self, party: _Party, recent: bool) -> int:
        """A party's LastUpdatedTime: edited in the last days, made inactive some day, or maybe edited."""
        if recent:
            return self.later(party.created, True)
        return party.updated if not party.active else self.later(party.created)

    def party_names(self, p: Payload, party: _Party) -> None:
        if party.given:
            p["GivenName"] = party.given
        if party.family:
            p["FamilyName"] = party.family
        if party.company and party.parent is None:
            p["CompanyName"] = party.label.removesuffix(" (deleted)")
        p["DisplayName"] = party.label
        p["PrintOnCheckName"] = party.label.removesuffix(" (deleted)")

    def contact(self, p: Payload, party: _Party, addr_key: str) -> None:
        if party.addr:
            p[addr_key] = dict(party.addr)
        if party.phone:
            p["PrimaryPhone"] = {"FreeFormNumber": party.phone}
        if party.email:
            p["PrimaryEmailAddr"] = {"Address": party.email}

    def preferences(self) -> None:
        created = self.setup_ts(20)
        p = self.entity("1", created, self.later(created))
        p.update(
            {
                "AccountingInfoPrefs": {
                    "FirstMonthOfFiscalYear": "January",
                    "UseAccountNumbers": False,
                    "TaxYearMonth": "January",
                    "ClassTrackingPerTxn": True,
                    "ClassTrackingPerTxnLine": False,
                    "TrackDepartments": True,
                    "DepartmentTerminology": "Location",
                    "CustomerTerminology": "Customers",
                },
                "ProductAndServicesPrefs": {
                    "ForSales": True,
                    "ForPurchase": True,
                    "QuantityWithPriceAndRate": True,
                    "QuantityOnHand": True,
                },
                "SalesFormsPrefs": {
                    "CustomField": [
                        {
                            "CustomField": [
                                {
                                    "Name": "SalesFormsPrefs.UseSalesCustom1",
                                    "Type": "BooleanType",
                                    "BooleanValue": True,
                                },
                                {
                                    "Name": "SalesFormsPrefs.SalesCustomName1",
                                    "Type": "StringType",
                                    "StringValue": "Crew #",
                                },
                            ]
                        }
                    ],
                    "CustomTxnNumbers": True,
                    "AllowDeposit": True,
                    "AllowDiscount": True,
                    "AllowEstimates": True,
                    "AllowServiceDate": False,
                    "AllowShipping": False,
                    "DefaultTerms": {"value": self.net30.id},
                    "ETransactionEnabledStatus": "Enabled",
                    "ETransactionAttachPDF": False,
                    "ETransactionPaymentEnabled": False,
                    "IPNSupportEnabled": False,
                    "UsingPriceLevels": False,
                    "UsingProgressInvoicing": False,
                    "AutoApplyCredit": True,
                    "AutoApplyPayments": True,
                    "PrintItemWithZeroAmount": True,
                },
                "EmailMessagesPrefs": {
                    "InvoiceMessage": {
                        "Subject": f"Invoice from {COMPANY_NAME}",
                        "Message": "Your invoice is attached. We appreciate your business.",
                    },
                    "EstimateMessage": {
                        "Subject": f"Estimate from {COMPANY_NAME}",
                        "Message": "Please review the estimate below.",
                    },
                    "SalesReceiptMessage": {
                        "Subject": f"Sales Receipt from {COMPANY_NAME}",
                        "Message": "Your sales receipt is attached.",
                    },
                    "StatementMessage": {
                        "Subject": f"Statement from {COMPANY_NAME}",
                        "Message": "Your statement is attached.",
                    },
                },
                "VendorAndPurchasesPrefs": {
                    "TrackingByCustomer": True,
                    "BillableExpenseTracking": True,
                    "DefaultTerms": {"value": self.net30.id},
                },
                "TimeTrackingPrefs": {
                    "UseServices": True,
                    "BillCustomers": True,
                    "ShowBillRateToAll": False,
                    "WorkWeekStartDate": "Monday",
                    "MarkTimeEntriesBillable": True,
                },
                "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": True},
                "CurrencyPrefs": {"MultiCurrencyEnabled": True, "HomeCurrency": {"value": HOME[0]}},
                "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
                "OtherPrefs": {
                    "NameValue": [
                        {
                            "Name": "SalesFormsPrefs.DefaultCustomerMessage",
                            "Value": "Thank you for your business and have a great day!",
                        },
                        {"Name": "SalesFormsPrefs.DefaultItem", "Value": self.item_list[0].id},
                        {"Name": "DTXCopyMemo", "Value": "false"},
                        {"Name": "UncategorizedAssetAccountId", "Value": self.acct["prepaid"].id},
                        {"Name": "UncategorizedExpenseAccountId", "Value": self.acct["uncategorized"].id},
                        {"Name": "WarnDuplicateCheckNumber", "Value": "true"},
                        {"Name": "WarnDuplicateBillNumber", "Value": "false"},
                    ]
                },
            }
        )
        self.out["Preferences"].append(p)

    def budgets(self) -> None:
        """A monthly profit-and-loss budget for each fiscal year the company's year touches."""
        rng = self.rng
        first, last = self.clock.start.year, (self.clock.start + timedelta(days=_YEAR)).year
        lines = (
            ("landscaping", 1_500_000),
            ("design", 600_000),
            ("product", 300_000),
            ("advertising", 40_000),
            ("rent", 180_000),
            ("payroll", 900_000),
            ("utilities", 30_000),
            ("job_materials", 250_000),
        )
        for n, year in enumerate(range(first, last + 1)):
            created = max(0, self.clock.day_of(date(year, 1, 1)) * DAY) + 6 * 3600 + n
            created = min(created, self.clock.now_ts)
            p = self.entity(str(n + 1), created, self.later(created))
            detail = []
            for key, monthly in lines:
                for month in range(1, 13):
                    detail.append(
                        {
                            "BudgetDate": f"{year}-{month:02d}-01",
                            "Amount": monthly * rng.randint(80, 120) // 100 / 100,
                            "AccountRef": self.acct[key].ref(),
                        }
                    )
            p.update(
                {
                    "Name": f"FY{year} Budget",
                    "StartDate": f"{year}-01-01",
                    "EndDate": f"{year}-12-31",
                    "BudgetType": "ProfitAndLoss",
                    "BudgetEntryType": "Monthly",
                    "Active": True,
                    "BudgetDetail": detail,
                }
            )
            self.out["Budget"].append(p)

    def tax_returns(self) -> None:
        """One return per agency and calendar quarter: filed once over, upcoming for the current one."""
        rng, clock = self.rng, self.clock
        quarters = sorted(set(self.quarter_of))
        n = 0
        for agency_no, agency in enumerate(self.agencies):
            for key in quarters:
                year, qn = divmod(key, 4)
                q_start = date(year, 3 * qn + 1, 1)
                q_end = (date(year + (qn == 3), (3 * qn + 3) % 12 + 1, 1)) - timedelta(days=1)
                due = max(0, self.tax_due.get((agency_no, key), 0))
                n += 1
                created = min(max(0, clock.day_of(q_start)) * DAY + 6 * 3600, clock.now_ts)
                p: Payload = {
                    "StartDate": q_start.isoformat(),
                    "EndDate": q_end.isoformat(),
                    "AgencyRef": agency.ref(),
                    "NetTaxAmountDue": due / 100,
                }
                file_day = clock.day_of(q_end) + rng.randint(10, 25)
                if file_day < _YEAR:
                    filed = file_day * DAY + self.rng.randrange(_OPEN, _CLOSE)
                    p.update(
                        {
                            "UpcomingFiling": False,
                            "FileDate": clock.dates[file_day],
                            "AgencyPaymentDate": clock.dates[file_day],
                            "AgencyPaymentAmount": due / 100,
                            "TaxReturnStatus": "FILED",
                        }
                    )
                    updated = filed
                else:
                    p["UpcomingFiling"] = True
                    updated = max(created, clock.now_ts - rng.randrange(2 * DAY))
                self.out["TaxReturn"].append({**self.entity(str(n), created, updated), **p})

    def attachables(self) -> None:
        """Scanned receipts, signed estimates and notes, on transactions; a W-9 on some vendors."""
        rng, clock = self.rng, self.clock
        kinds = ("Invoice", "Bill", "Purchase", "Estimate", "SalesReceipt")
        targets = [t for t in self.txns if t.kind in kinds]
        count = max(4, self.size // 35)
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
                ext, content_type, category = rng.choice(_ATTACHMENTS)
                body = {
                    "FileName": f"{t.kind.lower()}-{doc}.{ext}",
                    "ContentType": content_type,
                    "Size": rng.randint(12_000, 2_400_000),
                    "Category": category,
                }
            body["AttachableRef"] = [ref]
            made.append((ts, body))
        contractors = [v for v in self.vendor_list if v.active and v.contractor]
        for v in contractors[: 3 + self.size // 2000]:
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
            self.out["Attachable"].append({**self.entity(str(n), ts, self.later(ts)), **body})

    def payloads(self) -> Iterator[tuple[str, Payload]]:
        for name in YIELD_ORDER:
            for payload in self.out[name]:
                yield name, payload


def _cos_season(day_of_year: int) -> float:
    """1 at midsummer, -1 at midwinter: landscaping is a summer business."""
    return math.cos(2 * math.pi * (day_of_year - 172) / 365)


def generate(seed: int = 1, size: int | None = None, *, now: datetime) -> Iterator[tuple[str, Payload]]:
    """Yield the sample company as ``(object name, payload)`` pairs, parents before children.

    ``size`` is the number of transactions (``None``: :data:`DEFAULT_SIZE`, a company small enough
    for a test suite); customers, vendors, employees and items grow with it. ``now`` is the end of
    the company's year (a naive ``now`` is taken as company time, -08:00). The same arguments
    always give the same output.
    """
    size = DEFAULT_SIZE if size is None else size
    if size < MIN_SIZE:  # raised here, at the call, not at the first next()
        raise ValueError(f"size must be at least {MIN_SIZE} (one of each transaction type), not {size}")
    return _generate(_Company(seed, size, now))


def _generate(company: _Company) -> Iterator[tuple[str, Payload]]:
    # The build makes millions of small containers and no reference cycles: pausing the cyclic
    # collector (which would otherwise rescan the growing heap again and again) halves the time.
    paused = gc.isenabled()
    gc.disable()
    try:
        company.build()
    finally:
        if paused:
            gc.enable()
    yield from company.payloads()
