"""Small name lists: classes, locations, terms, payment methods, journal codes, sales tax and attachments."""

from __future__ import annotations

CLASSES = (
    ("Landscaping", None),
    ("Residential", "Landscaping"),
    ("Commercial", "Landscaping"),
    ("Design", None),
    ("Maintenance", None),
    ("Holiday Decor", None),
)
INACTIVE_CLASSES = ("Holiday Decor",)
DEPARTMENTS = (
    ("North Bay", None),
    ("South Bay", None),
    ("Downtown", "South Bay"),
    ("Tucson", None),
    ("East Bay", None),
)
INACTIVE_DEPARTMENTS = ("East Bay",)

# Name, DueDays, DiscountPercent, DiscountDays
TERMS = (
    ("Due on receipt", 0, 0, 0),
    ("Net 10", 10, 0, 0),
    ("Net 15", 15, 0, 0),
    ("Net 30", 30, 0, 0),
    ("Net 60", 60, 0, 0),
    ("1% 10 Net 30", 30, 1, 10),
)
PAYMENT_METHODS = (
    ("Cash", "NON_CREDIT_CARD"),
    ("Check", "NON_CREDIT_CARD"),
    ("Visa", "CREDIT_CARD"),
    ("MasterCard", "CREDIT_CARD"),
    ("American Express", "CREDIT_CARD"),
    ("Discover", "CREDIT_CARD"),
    ("Diners Club", "CREDIT_CARD"),
)
JOURNAL_CODES = (
    ("VT", "Sales", "Ventes"),
    ("HA", "Expenses", "Achats"),
    ("BQ", "Bank", "Banque"),
    ("CA", "Cash", "Caisse"),
    ("OD", "Others", "Opérations diverses"),
)

# Sales tax: agencies, their rates (basis points), and the codes that group them.
AGENCIES = (("Board of Equalization", "boe"), ("Arizona Dept. of Revenue", "azdor"))
RATES = (
    ("California", 800, 0, True),
    ("AZ State tax", 560, 1, True),
    ("Tucson City", 260, 1, True),
    ("San Pablo District (retired)", 50, 0, False),
)  # Name, bp, agency index, active
CODES = (("California", (0,)), ("Tucson", (1, 2)))

ATTACHMENTS = (
    ("pdf", "application/pdf", "Document"),
    ("jpg", "image/jpeg", "Receipt"),
    ("png", "image/png", "Image"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Document"),
)
