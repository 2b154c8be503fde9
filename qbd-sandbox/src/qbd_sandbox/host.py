"""HostQuery, CompanyQuery and PreferencesQuery: what QuickBooks says about itself and the file.

The Web Connector sends the answers to all three on its first ``sendRequestXML`` of a session (the
``strHCPResponse``), with the FileID it stored in the company file the first time that application
connected (a data extension of the company, owned by the application's OwnerID). The element order
follows the recorded answer of QuickBooks Pro 2014 in ``shared/fixtures/qbd``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree
from qbd_client.xml import Element

from .store import Store

SUPPORTED_VERSIONS = (
    "1.0", "1.1", "2.0", "2.1", "3.0", "4.0", "4.1", "5.0",
    "6.0", "7.0", "8.0", "9.0", "10.0", "11.0", "12.0", "13.0",
)  # fmt: skip


@dataclass(frozen=True)
class HostFacts:
    """What the emulated QuickBooks installation and company file say about themselves."""

    product: str
    company_name: str
    file_mode: str = "SingleUser"


def _sub(parent: Element, tag: str, text: str | None = None) -> Element:
    child = etree.SubElement(parent, tag)
    if text is not None:
        child.text = text
    return child


def major_version(product: str) -> str:
    """QuickBooks' MajorVersion: its release year less 1990 ("... 24.0" is 2024, major 34)."""
    match = re.search(r"(\d{2,4})(?:\.\d+)?\s*$", product)
    if match is None:
        return "33"
    number = int(match.group(1))
    year = number if number > 1990 else 2000 + number
    return str(year - 1990)


def host_ret(facts: HostFacts) -> Element:
    ret = etree.Element("HostRet")
    _sub(ret, "ProductName", facts.product)
    _sub(ret, "MajorVersion", major_version(facts.product))
    _sub(ret, "MinorVersion", "0")
    _sub(ret, "Country", "US")
    for version in SUPPORTED_VERSIONS:
        _sub(ret, "SupportedQBXMLVersion", version)
    _sub(ret, "IsAutomaticLogin", "false")
    _sub(ret, "QBFileMode", facts.file_mode)
    return ret


def company_ret(facts: HostFacts, store: Store, owner_ids: Sequence[str]) -> Element:
    ret = etree.Element("CompanyRet")
    _sub(ret, "IsSampleCompany", "false")
    _sub(ret, "CompanyName", facts.company_name)
    _sub(ret, "LegalCompanyName", facts.company_name)
    address = _sub(ret, "Address")
    _sub(address, "City", "Mountain View")
    _sub(address, "State", "CA")
    _sub(address, "PostalCode", "94043")
    _sub(address, "Country", "US")
    block = _sub(ret, "AddressBlock")
    _sub(block, "Addr1", "2700 Coast Avenue")
    _sub(block, "Addr2", "Mountain View, CA 94043")
    _sub(ret, "Phone", "650-555-0100")
    _sub(ret, "Email", "books@example.com")
    _sub(ret, "FirstMonthFiscalYear", "January")
    _sub(ret, "FirstMonthIncomeTaxYear", "January")
    _sub(ret, "CompanyType", "InformationTechnologyComputersSoftware")
    _sub(ret, "TaxForm", "Form1120")
    copy = _sub(ret, "AccountantCopy")
    _sub(copy, "AccountantCopyExists", "false")
    if owner_ids:
        marks = ",".join("?" * len(owner_ids))
        for owner, name, type_, value in store.conn.execute(
            f"SELECT owner_id, name, type, value FROM data_ext WHERE object = 'Company' AND id = '' "
            f"AND owner_id IN ({marks}) ORDER BY owner_id, name",
            tuple(owner_ids),
        ):
            ext = _sub(ret, "DataExtRet")
            _sub(ext, "OwnerID", owner)
            _sub(ext, "DataExtName", name)
            _sub(ext, "DataExtType", type_)
            _sub(ext, "DataExtValue", value)
    return ret


#: (aggregate, [(element, value)]) in the order of the recorded PreferencesRet.
_PREFERENCES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "AccountingPreferences",
        (
            ("IsUsingAccountNumbers", "false"),
            ("IsRequiringAccounts", "true"),
            ("IsUsingClassTracking", "true"),
            ("IsUsingAuditTrail", "true"),
            ("IsAssigningJournalEntryNumbers", "true"),
        ),
    ),
    (
        "FinanceChargePreferences",
        (
            ("AnnualInterestRate", "0.00"),
            ("MinFinanceCharge", "0.00"),
            ("GracePeriod", "0"),
            ("IsAssessingForOverdueCharges", "false"),
            ("CalculateChargesFrom", "DueDate"),
            ("IsMarkedToBePrinted", "false"),
        ),
    ),
    (
        "JobsAndEstimatesPreferences",
        (
            ("IsUsingEstimates", "true"),
            ("IsUsingProgressInvoicing", "false"),
            ("IsPrintingItemsWithZeroAmounts", "false"),
        ),
    ),
    ("MultiCurrencyPreferences", (("IsMultiCurrencyOn", "false"),)),
    (
        "MultiLocationInventoryPreferences",
        (("IsMultiLocationInventoryAvailable", "false"), ("IsMultiLocationInventoryEnabled", "false")),
    ),
    (
        "PurchasesAndVendorsPreferences",
        (("IsUsingInventory", "true"), ("DaysBillsAreDue", "10"), ("IsAutomaticallyUsingDiscounts", "false")),
    ),
    ("ReportsPreferences", (("AgingReportBasis", "AgeFromDueDate"), ("SummaryReportBasis", "Accrual"))),
    (
        "SalesAndCustomersPreferences",
        (("IsTrackingReimbursedExpensesAsIncome", "false"), ("IsAutoApplyingPayments", "true")),
    ),
    ("TimeTrackingPreferences", (("FirstDayOfWeek", "Monday"),)),
    (
        "CurrentAppAccessRights",
        (("IsAutomaticLoginAllowed", "false"), ("IsPersonalDataAccessAllowed", "false")),
    ),
)


def preferences_ret() -> Element:
    ret = etree.Element("PreferencesRet")
    for aggregate, values in _PREFERENCES:
        parent = _sub(ret, aggregate)
        for name, value in values:
            _sub(parent, name, value)
        if aggregate == "SalesAndCustomersPreferences":
            levels = _sub(parent, "PriceLevels")
            _sub(levels, "IsUsingPriceLevels", "false")
            _sub(levels, "IsRoundingSalesPriceUp", "true")
    return ret


def file_id_for(store: Store, owner_id: str, file_id: str) -> str:
    """The FileID stored for an application: the first connection's, kept for every later one."""
    found = store.conn.execute(
        "SELECT value FROM data_ext "
        "WHERE object = 'Company' AND id = '' AND owner_id = ? AND name = 'FileID'",
        (owner_id,),
    ).fetchone()
    if found is not None:
        return str(found[0])
    store.conn.execute(
        "INSERT INTO data_ext (owner_id, object, id, name, type, value) VALUES (?, 'Company', '', 'FileID', "
        "'STR255TYPE', ?)",
        (owner_id, file_id),
    )
    return file_id
