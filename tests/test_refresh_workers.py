"""Two workers and a crash, with real transactions (data committed, cleaned up after)."""

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged


@tagged("post_install", "-at_install")
class TestRefreshWorkers(BaseCase):
    """Customers are marked and claimed in separate cursors, as two cron workers would."""

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partners = env["res.partner"].create(
                [
                    {"name": f"Worker test {i}", "is_company": True, "customer_rank": 1}
                    for i in range(6)
                ]
            )
            self.partner_ids = partners.ids
            # nothing else marked: only these customers are waiting
            cr.execute("UPDATE res_partner SET retention_dirty = FALSE WHERE retention_dirty")
            env["retention.profile.builder"]._mark_dirty(self.partner_ids)
        self.addCleanup(self._delete_partners)

    def _delete_partners(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["res.partner"].browse(self.partner_ids).unlink()

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})["retention.profile.builder"]

    def _dirty(self):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT id FROM res_partner WHERE retention_dirty AND id = ANY(%s)",
                [self.partner_ids],
            )
            return {row[0] for row in cr.fetchall()}

    def test_two_workers_take_different_customers(self):
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            first = self._env(cr1)._claim_dirty_partners(4)
            second = self._env(cr2)._claim_dirty_partners(4)
            self.assertEqual(len(first), 4)
            self.assertEqual(len(second), 2, "the second worker skips the rows the first holds")
            self.assertFalse(set(first) & set(second))
            self._env(cr1)._compute_partners(first)
            self._env(cr2)._compute_partners(second)
        self.assertFalse(self._dirty())
        with self.registry.cursor() as cr:
            partners = api.Environment(cr, SUPERUSER_ID, {})["res.partner"].browse(self.partner_ids)
            self.assertEqual(set(partners.mapped("retention_stage")), {"prospect"})

    def test_crash_resumes_without_losing_work(self):
        with self.registry.cursor() as cr:
            self.assertEqual(self._env(cr)._process_dirty_batch(2), 2)
        # the next batch dies halfway: its transaction is rolled back, its customers stay marked
        with self.assertRaises(RuntimeError), self.registry.cursor() as cr:
            self._env(cr)._process_dirty_batch(2)
            raise RuntimeError("worker killed")
        self.assertEqual(len(self._dirty()), 4)
        with self.registry.cursor() as cr:
            done, remaining = self._env(cr)._process_dirty_with_progress()
        self.assertEqual((done, remaining), (4, 0))
        self.assertFalse(self._dirty())
