"""The upgrade steps of older releases run on today's schema: an upgrade from an old release
runs them after loading these sources, so they must not call methods since renamed (they use
frozen SQL, or the module's rebuild entry points on purpose)."""

from datetime import date
from pathlib import Path

from freezegun import freeze_time

from odoo.tests import TransactionCase, tagged

from .common import TODAY, RetentionCase, load_source

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def load_step(version, name):
    module_name = f"migration_{version.replace('.', '_')}_{name}"
    return load_source(MIGRATIONS / version / f"{name}.py", module_name)


@tagged("post_install", "-at_install")
class TestOldUpgradeSteps(RetentionCase):
    def queued(self):
        self.env.cr.execute("SELECT partner_id FROM retention_profile_queue")
        return {row[0] for row in self.env.cr.fetchall()}

    def test_18_0_1_1_0_rebuilds_the_snapshots(self):
        self.make_invoice(self.customer, "2026-01-10", 1000)
        self.env.cr.execute("DELETE FROM retention_snapshot")
        load_step("18.0.1.1.0", "post-migrate").migrate(self.env.cr, "18.0.1.0.0")
        self.assertTrue(
            self.env["retention.snapshot"].search([("partner_id", "=", self.customer.id)])
        )

    def test_18_0_1_2_0_moves_the_old_marks_and_queues_every_customer(self):
        prospect = self.env["res.partner"].create({"name": "Not a customer", "is_company": True})
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM retention_profile_queue")
        # the flag of 18.0.1.1.0, set on a contact that is no customer (kept: it was marked)
        self.env.cr.execute("ALTER TABLE res_partner ADD COLUMN retention_dirty boolean")
        self.env.cr.execute(
            "UPDATE res_partner SET retention_dirty = TRUE WHERE id = %s", [prospect.id]
        )
        load_step("18.0.1.2.0", "post-migrate").migrate(self.env.cr, "18.0.1.1.0")
        self.env.cr.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'res_partner' AND column_name = 'retention_dirty'"
        )
        self.assertFalse(self.env.cr.fetchone(), "the old column is dropped")
        queued = self.queued()
        self.assertIn(prospect.id, queued)
        self.assertIn(self.customer.id, queued, "every customer queued for the refresh job")
        self.assertNotIn(self.contact.id, queued, "contacts are refreshed with their company")
        self.assertTrue(self.customer.retention_refresh_pending)


@tagged("post_install", "-at_install")
class TestFormerFieldName(TransactionCase):
    def test_former_name_of_the_pending_flag_still_reads_and_searches(self):
        """retention_dirty (before 18.0.1.3.0) is kept for saved filters and API clients."""
        customer = self.env["res.partner"].create(
            {"name": "Queued customer", "is_company": True, "customer_rank": 1}
        )
        self.env["retention.profile.builder"]._queue_refresh(customer.ids)
        Partner = self.env["res.partner"]
        for name in ("retention_refresh_pending", "retention_dirty"):
            with self.subTest(field=name):
                customer.invalidate_recordset([name])
                self.assertTrue(customer[name])
                self.assertIn(customer, Partner.search([(name, "=", True)]))
                self.assertNotIn(customer, Partner.search([(name, "=", False)]))


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestHealthHistoryUpgrade(RetentionCase):
    """18.0.1.4.0 (issue #18): a database upgraded from a release without health history gets
    it: the companies whose snapshots hold no factor score are rebuilt by the backfill."""

    SCORES = (
        "health_score, recency_score, trend_score, payment_score, engagement_score, "
        "satisfaction_score, delivery_score"
    )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_late_payer(cls.customer)
        cls.env["retention.snapshot"]._backfill(cls.company)

    def history(self):
        """{month: (health, factor scores...)} of the customer's closed months."""
        self.env.cr.execute(
            f"SELECT month, {self.SCORES} FROM retention_snapshot "
            "WHERE partner_id = %s AND company_id = %s AND month < %s ORDER BY month",
            [self.customer.id, self.company.id, date(2026, 6, 1)],
        )
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    def migrate(self):
        load_step("18.0.1.4.0", "post-snapshot_stages").migrate(self.env.cr, "18.0.1.3.0")
        load_step("18.0.1.4.0", "post-snapshot_stages_history").migrate(self.env.cr, "18.0.1.3.0")
        self.env["retention.snapshot"].invalidate_model()
        self.env["retention.snapshot.job"].invalidate_model()

    def test_snapshots_without_health_get_their_history(self):
        expected = self.history()
        self.assertEqual(len(expected), 7, "November to May")
        self.assertTrue(all(scores[0] is not None for scores in expected.values()))
        # an older release's snapshots: no health for the closed months, no factor columns
        sets = ", ".join(f"{column} = NULL" for column in self.SCORES.split(", "))
        self.env.cr.execute(f"UPDATE retention_snapshot SET {sets}")
        self.assertTrue(all(set(scores) == {None} for scores in self.history().values()))
        self.migrate()
        self.assertEqual(self.history(), expected)
        # rebuilt and stamped done: nothing left for the daily job
        self.env.cr.execute(
            "SELECT COUNT(*) FROM retention_snapshot_job WHERE company_id = %s AND done_on IS NULL",
            [self.company.id],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertTrue(self.customer._retention_why_moved(date(2025, 12, 1), date(2026, 2, 1)))

    def test_a_company_with_history_is_left_as_it_is(self):
        # a marker the backfill would overwrite: the history is there, nothing is rebuilt
        self.env.cr.execute(
            "UPDATE retention_snapshot SET health_score = 7 WHERE partner_id = %s "
            "AND month = '2026-01-01'",
            [self.customer.id],
        )
        load_step("18.0.1.4.0", "post-snapshot_stages_history").migrate(self.env.cr, "18.0.1.3.0")
        self.assertEqual(self.history()[date(2026, 1, 1)][0], 7)
