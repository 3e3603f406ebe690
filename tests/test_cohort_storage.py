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

    def stored_cells(self):
        self.env.cr.execute(
            "SELECT id, partner_id, granularity, cohort, period, period_offset, cohort_size, "
            "active_count, active_share, invoiced_share, revenue, "
            "ROUND(revenue_retained_share, 6) FROM retention_cohort_period "
            "WHERE company_id = %s ORDER BY id",
            [self.company.id],
        )
        return self.env.cr.fetchall()

    def test_cells_rebuilt_from_a_month_on_are_those_of_a_full_rebuild(self):
        """The daily job rebuilds the cells of the periods from the earliest month it rebuilt:
        an invoice in April for the cohort of April 2025 (its first revenue kept from the
        stored cells) and a newcomer's cohort give what rebuilding every cell gives."""
        self.make_invoice(self.a, "2026-04-20", 250)
        newcomer = self.env["res.partner"].create({"name": "Analytics H Newcomer", "is_company": 1})
        self.make_invoice(newcomer, "2026-05-12", 900)
        before = self.stored_cells()
        self.Snapshot._cron_update_snapshots()
        incremental = self.stored_cells()
        self.assertNotEqual(incremental, before)
        self.env["retention.cohort.report"].sudo()._rebuild_cohorts(self.company)
        self.assertEqual(incremental, self.stored_cells())
        # the cohort of April 2025 (A, E) kept its first revenue: A's retained share in June
        june = next(
            row
            for row in incremental
            if row[1] == self.a.id and row[2] == "month" and row[4] == self.to_date("2026-06-01")
        )
        self.assertEqual(june[3], self.to_date("2025-04-01"))
        self.assertIsNotNone(june[11])
