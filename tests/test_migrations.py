"""The upgrade steps of older releases run on today's schema: an upgrade from an old release
runs them after loading these sources, so they must not call methods since renamed (they use
frozen SQL, or the module's rebuild entry points on purpose)."""

from pathlib import Path

from odoo.tests import TransactionCase, tagged

from .common import RetentionCase, load_source

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
