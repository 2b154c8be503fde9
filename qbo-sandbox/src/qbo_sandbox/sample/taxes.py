"""Sales tax: the agencies, their rates and the codes grouping them, and a return per agency and quarter."""

from __future__ import annotations

from datetime import date, timedelta

from .books import Books
from .data.lists import AGENCIES, CODES, RATES
from .model import CLOSE, DAY, OFFSET, OPEN, YEAR, Named, Payload, TaxCode, TaxRate


def tax_lists(b: Books) -> None:
    """Tax agencies, tax rates (one retired) and the tax codes that group the rates."""
    k = 100
    b.agencies = []
    for n, (name, _) in enumerate(AGENCIES):
        agency = Named(str(n + 1), name)
        b.agencies.append(agency)
        p = b.entity(agency.id, b.setup_ts(k + n), b.setup_ts(k + n))
        p.update(
            {
                "DisplayName": name,
                "TaxTrackedOnPurchases": False,
                "TaxTrackedOnSales": True,
                "TaxAgencyConfig": "USER_DEFINED",
            }
        )
        b.out["TaxAgency"].append(p)
    rates: list[TaxRate] = []
    effective = f"{b.clock.dates[0]}T00:00:00{OFFSET}"
    for n, (name, bp, agency_no, active) in enumerate(RATES):
        rate = TaxRate(str(n + 1), name, bp=bp, agency=agency_no)
        rates.append(rate)
        created = b.setup_ts(k + 10 + n)
        p = b.entity(rate.id, created, created if active else b.sometime(created))
        p.update(
            {
                "Name": name,
                "Description": "Sales Tax",
                "Active": active,
                "RateValue": bp / 100,
                "AgencyRef": b.agencies[agency_no].ref(),
                "SpecialTaxType": "NONE",
                "DisplayType": "ReadOnly",
                "EffectiveTaxRate": [{"RateValue": bp / 100, "EffectiveDate": effective}],
            }
        )
        b.out["TaxRate"].append(p)
    b.tax_codes = []
    for n, (name, members) in enumerate(CODES):
        code = TaxCode(str(n + 1), name, rates=tuple(rates[i] for i in members))
        b.tax_codes.append(code)
        created = b.setup_ts(k + 20 + n)
        p = b.entity(code.id, created, created)
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
        b.out["TaxCode"].append(p)


def tax_returns(b: Books) -> None:
    """One return per agency and calendar quarter: filed once over, upcoming for the current one."""
    rng, clock = b.rng, b.clock
    quarters = sorted(set(b.quarter_of))
    n = 0
    for agency_no, agency in enumerate(b.agencies):
        for key in quarters:
            year, qn = divmod(key, 4)
            q_start = date(year, 3 * qn + 1, 1)
            q_end = (date(year + (qn == 3), (3 * qn + 3) % 12 + 1, 1)) - timedelta(days=1)
            due = max(0, b.tax_due.get((agency_no, key), 0))
            n += 1
            created = min(max(0, clock.day_of(q_start)) * DAY + 6 * 3600, clock.now_ts)
            p: Payload = {
                "StartDate": q_start.isoformat(),
                "EndDate": q_end.isoformat(),
                "AgencyRef": agency.ref(),
                "NetTaxAmountDue": due / 100,
            }
            file_day = clock.day_of(q_end) + rng.randint(10, 25)
            if file_day < YEAR:
                filed = file_day * DAY + b.rng.randrange(OPEN, CLOSE)
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
            b.out["TaxReturn"].append({**b.entity(str(n), created, updated), **p})
