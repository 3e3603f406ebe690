"""The cohort report's cells are stored (retention_cohort_period, issue #21): the report reads
them, the snapshot jobs rebuild them, and the stored cells are what the query gives from the
snapshots. The history is the one of test_retention_snapshot.py (today 2026-06-15)."""

from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, RetentionAnalyticsCase


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestCohortStorage(RetentionAnalyticsCase):
    def cells(self, partner=None):
        """{(partner, granularity, period): (offset, cohort size, active, invoiced, revenue)}
        the report shows for the company."""
        domain = [("company_id", "=", self.company.id)]
        if partner:
            domain.append(("partner_id", "=", partner.id))
        return {
            (row.partner_id.id, row.granularity, row.period): (
                row.period_offset,
                row.cohort_size,
                row.active_share,
                row.invoiced_share,
                round(row.revenue, 2),
            )
            for row in self.env["retention.cohort.report"].sudo().search(domain)
        }

    def stored_count(self):
        self.env.cr.execute(
            "SELECT COUNT(*) FROM retention_cohort_period WHERE company_id = %s",
            [self.company.id],
        )
        return self.env.cr.fetchone()[0]

    def test_the_report_reads_the_stored_cells(self):
        cells = self.cells()
        self.assertTrue(cells)
        self.assertEqual(self.stored_count(), len(cells))
        # a change of the snapshots shows once the cells are rebuilt, not before
        self.env.cr.execute(
            "DELETE FROM retention_snapshot WHERE company_id = %s AND partner_id = %s",
            [self.company.id, self.f.id],
        )
        self.assertTrue(self.cells(self.f))
        self.env["retention.cohort.report"].sudo()._rebuild_cohorts(self.company)
        self.assertFalse(self.cells(self.f))
        self.assertEqual(
            {key: value for key, value in cells.items() if key[0] != self.f.id}, self.cells()
        )

    def test_the_daily_job_rebuilds_the_cells(self):
        """A new customer invoiced this month: the daily job adds its cohort cells."""
        newcomer = self.env["res.partner"].create({"name": "Analytics G Newcomer", "is_company": 1})
        self.make_invoice(newcomer, "2026-06-05", 700)
        self.assertFalse(self.cells(newcomer))
        self.Snapshot._cron_update_snapshots()
        june = self.to_date("2026-06-01")
        april = self.to_date("2026-04-01")
        self.assertEqual(
            self.cells(newcomer),
            {
                # period 0: active and invoiced; alone in the June cohort, with F (first
                # invoiced in May) in the second quarter's
                (newcomer.id, "month", june): (0, 1, 100.0, 100.0, 700),
                (newcomer.id, "quarter", april): (0, 2, 100.0, 100.0, 700),
            },
        )

    def test_rebuilding_twice_gives_the_same_cells(self):
        cells = self.cells()
        cohorts = self.env["retention.cohort.report"].sudo()
        written = cohorts._rebuild_cohorts(self.company)
        self.assertEqual(written, len(cells))
        self.assertEqual(self.cells(), cells)
