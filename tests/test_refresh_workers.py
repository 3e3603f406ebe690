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
            cr.execute("DELETE FROM retention_profile_queue")
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
                "SELECT partner_id FROM retention_profile_queue WHERE partner_id = ANY(%s)",
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

    def test_change_committed_after_a_scan_is_found_by_the_next(self):
        """A transaction that started before a scan and commits after it: its rows carry its
        start time, older than the scan; the next scan must still find them."""
        customer = self.partner_ids[0]
        with self.registry.cursor() as cr:
            # what setUp wrote is older than any scan below looks (at most an hour back)
            cr.execute(
                "UPDATE mail_message SET create_date = create_date - interval '2 hours' "
                "WHERE model = 'res.partner' AND res_id = ANY(%s)",
                [self.partner_ids],
            )
            self._env(cr)._mark_changed_customers_dirty()  # sets the watermark
            cr.execute("DELETE FROM retention_profile_queue")
        other = self.registry.cursor()
        try:
            env_other = api.Environment(other, SUPERUSER_ID, {})
            other.execute("SELECT now() AT TIME ZONE 'UTC'")
            started = other.fetchone()[0]
            env_other["res.partner"].browse(customer).message_post(
                body="Call me back", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
            env_other.flush_all()
            with self.registry.cursor() as cr:
                builder = self._env(cr)
                self.assertLessEqual(
                    builder._next_watermark(), started, "no later than the running one's start"
                )
                builder._mark_changed_customers_dirty()
            self.assertNotIn(customer, self._dirty(), "not committed yet: not visible")
            other.commit()
        finally:
            other.close()
        with self.registry.cursor() as cr:
            self._env(cr)._mark_changed_customers_dirty()
        self.assertIn(customer, self._dirty(), "found by the scan after the commit")


@tagged("post_install", "-at_install")
class TestSnapshotMetricWorkers(BaseCase):
    """The metric rows of a rebuilt month are claimed by one worker; a crash leaves them due."""

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.company_id = env.ref("base.main_company").id
            cr.execute(
                """
                INSERT INTO retention_snapshot_job (company_id, month, done_on)
                VALUES (%s, '1990-01-01', CURRENT_DATE) RETURNING id
                """,
                [self.company_id],
            )
            self.job_id = cr.fetchone()[0]
        self.addCleanup(self._delete_job)

    def _delete_job(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM retention_snapshot_job WHERE id = %s", [self.job_id])

    def _claim(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        return env["retention.snapshot.job"]._claim_metrics(
            env["res.company"].browse(self.company_id)
        )

    def test_one_worker_takes_the_metrics_of_a_month(self):
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            first = self._claim(cr1)
            self.assertIn(self.job_id, first.ids)
            self.assertNotIn(self.job_id, self._claim(cr2).ids, "held by the first worker")
            first._mark_metrics_done()
        with self.registry.cursor() as cr:
            self.assertNotIn(self.job_id, self._claim(cr).ids, "done")

    def test_crash_leaves_the_metrics_due(self):
        with self.assertRaises(RuntimeError), self.registry.cursor() as cr:
            self._claim(cr)._mark_metrics_done()
            raise RuntimeError("worker killed")
        with self.registry.cursor() as cr:
            self.assertIn(self.job_id, self._claim(cr).ids)
