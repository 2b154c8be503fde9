"""Reports answered from the ledger's postings (TrialBalance, ProfitAndLoss, BalanceSheet, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from qbo_sandbox import clock, reports, reports_aging, reports_detail
from qbo_sandbox.faults import QBOFault

from .core import Endpoint


class Reports(Endpoint):
    """``GET reports/{name}``."""

    def report(self, realm: str, name: str, params: Mapping[str, str]) -> dict[str, Any]:
        """A report by name, with the parameters QBO takes."""
        accounts = list(self.store.iter_payloads(realm, "Account"))
        company_row = self.store.singleton(realm, "CompanyInfo")
        prefs_row = self.store.singleton(realm, "Preferences")

        def balances(start: date | None, end: date, basis: str) -> dict[str, float]:
            return self.store.balances(realm, start.isoformat() if start else None, end.isoformat(), basis)

        if reports_aging.handles(name):  # aging, customer/vendor balances, cash flow
            try:
                return reports_aging.run_aging_report(
                    name,
                    params,
                    docs=lambda entity: self.store.iter_payloads(realm, entity),
                    balances=balances,
                    accounts=accounts,
                    company=company_row.payload() if company_row else {},
                    preferences=prefs_row.payload() if prefs_row else None,
                    today=clock.today(self.tz),
                    now=self.core.now(),
                )
            except reports.ReportError as exc:
                raise QBOFault(exc.code, exc.message, exc.detail) from exc
        if reports_detail.handles(name):  # GeneralLedger, ProfitAndLossDetail, TransactionList
            try:
                return reports_detail.run_detail_report(
                    name,
                    params,
                    store=self.store,
                    realm=realm,
                    balances=balances,
                    accounts=accounts,
                    company=company_row.payload() if company_row else {},
                    preferences=prefs_row.payload() if prefs_row else None,
                    today=clock.today(self.tz),
                    now=self.core.now(),
                    cell_limit=self.config.report_cell_limit,
                )
            except reports.ReportError as exc:
                raise QBOFault(exc.code, exc.message, exc.detail) from exc
        try:
            return reports.run_report(
                name,
                params,
                balances=balances,
                accounts=accounts,
                company=company_row.payload() if company_row else {},
                preferences=prefs_row.payload() if prefs_row else None,
                today=clock.today(self.tz),
                now=self.core.now(),
            )
        except reports.ReportError as exc:
            raise QBOFault(exc.code, exc.message, exc.detail) from exc
