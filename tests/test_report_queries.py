"""The reports' SQL in parts others override (_select, _from, _where; the stored rows'
_period_* parts): an override of one part changes what the report gives, the rest stays."""

from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import SQL

from ..report.retention_cohort_report import RetentionCohortReport
from ..report.retention_metric_report import RetentionMetricReport
from .common import TODAY, RetentionAnalyticsCase


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestReportQueryParts(RetentionAnalyticsCase):
    def override(self, model, name, method):
        """Put ``method`` in place of the part ``name`` of ``model`` for this test, as a module
        inheriting the report would (its super() is the module's own method)."""
        patcher = patch.object(type(self.env[model]), name, method)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_cohort_report_honours_an_overridden_where(self):
        Cohort = self.env["retention.cohort.report"]
        domain = [("company_id", "=", self.company.id), ("granularity", "=", "month")]
        self.assertEqual(Cohort.search(domain).partner_id, self.customers)
        a_rows = Cohort.search_count(domain + [("partner_id", "=", self.a.id)])

        def only_a(report):
            return SQL("%s AND s.partner_id = %s", RetentionCohortReport._where(report), self.a.id)

        self.override("retention.cohort.report", "_where", only_a)
        self.assertEqual(Cohort.search(domain).partner_id, self.a)
        self.assertEqual(Cohort.search_count(domain), a_rows)

    def test_metric_report_honours_an_overridden_where(self):
        Report = self.env["retention.metric.report"]
        domain = [("company_id", "=", self.company.id), ("period_type", "=", "month")]
        self.assertEqual(Report.search(domain).partner_id, self.customers)

        def at_risk_only(report):
            return SQL("%s AND m.stage_end = 'at_risk'", RetentionMetricReport._where(report))

        every_row = Report.search_count(domain)
        self.override("retention.metric.report", "_where", at_risk_only)
        rows = Report.search(domain)
        # D is at risk now; past months are at risk where the health history says so
        self.assertIn(self.d, rows.partner_id)
        self.assertEqual(set(rows.mapped("stage_end")), {"at_risk"})
        self.assertLess(len(rows), every_row)

    def test_stored_rows_honour_an_overridden_period_where(self):
        Report = self.env["retention.metric.report"].sudo()
        domain = [("company_id", "=", self.company.id), ("period_start", ">=", "2026-01-01")]
        before = Report.search_count(domain + [("period_type", "=", "month")])
        self.assertTrue(Report.search_count(domain + [("period_type", "=", "quarter")]))

        def months_only(report, period_from, current):
            return SQL(
                "%s AND r.period_type = 'month'",
                RetentionMetricReport._period_where(report, period_from, current),
            )

        self.override("retention.metric.report", "_period_where", months_only)
        Report._rebuild_periods(self.company, date(2026, 1, 1))
        self.assertEqual(Report.search_count(domain + [("period_type", "=", "month")]), before)
        self.assertFalse(Report.search_count(domain + [("period_type", "!=", "month")]))
