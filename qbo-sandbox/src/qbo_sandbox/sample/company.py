"""The company itself: CompanyInfo and Company, its Preferences, and a budget per fiscal year."""

from __future__ import annotations

from datetime import date, timedelta

from .books import Books
from .data.accounts import BUDGET_LINES
from .model import COMPANY_NAME, DAY, HOME, YEAR


def company(b: Books) -> None:
    """CompanyInfo and Company: who the company is, set up first on day 0."""
    start = b.clock.dates[0]
    addr = {
        "Id": "1",
        "Line1": "123 Sierra Way",
        "City": "San Pablo",
        "Country": "US",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "87999",
    }
    b.addr_seq = 1
    created = b.setup_ts(0)
    updated = b.later(created, recent=True)
    info = b.entity("1", created, updated)
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
    b.out["CompanyInfo"].append(info)
    company = b.entity("1", created, created)
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
    b.out["Company"].append(company)


def preferences(b: Books) -> None:
    """The settings the sample uses: classes, locations, estimates, discounts, multicurrency."""
    created = b.setup_ts(20)
    p = b.entity("1", created, b.later(created))
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
                "DefaultTerms": {"value": b.net30.id},
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
                "DefaultTerms": {"value": b.net30.id},
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
                    {"Name": "SalesFormsPrefs.DefaultItem", "Value": b.item_list[0].id},
                    {"Name": "DTXCopyMemo", "Value": "false"},
                    {"Name": "UncategorizedAssetAccountId", "Value": b.acct["prepaid"].id},
                    {"Name": "UncategorizedExpenseAccountId", "Value": b.acct["uncategorized"].id},
                    {"Name": "WarnDuplicateCheckNumber", "Value": "true"},
                    {"Name": "WarnDuplicateBillNumber", "Value": "false"},
                ]
            },
        }
    )
    b.out["Preferences"].append(p)


def budgets(b: Books) -> None:
    """A monthly profit-and-loss budget for each fiscal year the company's year touches."""
    rng = b.rng
    first, last = b.clock.start.year, (b.clock.start + timedelta(days=YEAR)).year
    for n, year in enumerate(range(first, last + 1)):
        created = max(0, b.clock.day_of(date(year, 1, 1)) * DAY) + 6 * 3600 + n
        created = min(created, b.clock.now_ts)
        p = b.entity(str(n + 1), created, b.later(created))
        detail = []
        for key, monthly in BUDGET_LINES:
            for month in range(1, 13):
                detail.append(
                    {
                        "BudgetDate": f"{year}-{month:02d}-01",
                        "Amount": monthly * rng.randint(80, 120) // 100 / 100,
                        "AccountRef": b.acct[key].ref(),
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
        b.out["Budget"].append(p)
