"""The refresh and snapshot jobs on the job helper (retention.job.mixin, whose two workers,
crash, budget and progress are tested in test_job_mixin.py), and what only the refresh scan
does with real transactions: a change committed after a scan is found by the next one."""

from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import config

from odoo.addons.customer_retention.models.analytics import retention_snapshot
from odoo.addons.customer_retention.models.profile import retention_profile_builder
from odoo.addons.customer_retention.models.retention_job_mixin import cron_pass

from .common import TODAY, JobWorkersCase, RetentionCase, one_batch_per_call, run_cron
from .test_job_mixin import cron_worker_pass

REFRESH_CRON = "customer_retention.ir_cron_retention_refresh_changed"
RECOMPUTE_CRON = "customer_retention.ir_cron_retention_recompute_all"
SNAPSHOT_CRON = "customer_retention.ir_cron_retention_snapshots"


@tagged("post_install", "-at_install")
class TestRefreshScanWorkers(JobWorkersCase):
    """Customers changed in one cursor while the refresh job scans in another."""

    def setUp(self):
        super().setUp()
        self.partner_ids = self.create_committed(
            "res.partner",
            [
                {"name": f"Worker test {i}", "is_company": True, "customer_rank": 1}
                for i in range(6)
            ],
        )

    def _builder(self, cr):
        return self.env_of(cr)["retention.profile.builder"]

    def _queued(self):
        return self.queued(self.partner_ids)

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
            self._builder(cr)._queue_changed_customers()  # sets the watermark
            cr.execute("DELETE FROM retention_profile_queue")
        other = self.registry.cursor()
        try:
            env_other = self.env_of(other)
            other.execute("SELECT now() AT TIME ZONE 'UTC'")
            started = other.fetchone()[0]
            env_other["res.partner"].browse(customer).message_post(
                body="Call me back", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
            env_other.flush_all()
            with self.registry.cursor() as cr:
                builder = self._builder(cr)
                self.assertLessEqual(
                    builder._next_watermark(), started, "no later than the running one's start"
                )
                builder._queue_changed_customers()
            self.assertNotIn(customer, self._queued(), "not committed yet: not visible")
            other.commit()
        finally:
            other.close()
        with self.registry.cursor() as cr:
            self._builder(cr)._queue_changed_customers()
        self.assertIn(customer, self._queued(), "found by the scan after the commit")

    def test_refresh_job_with_its_commits(self):
        """As in a cron worker, where the job commits (before its scan, for a fresh
        snapshot, and after each batch): a message on a customer is found, its customer
        queued and refreshed, and no step of the job is undone by a commit within it."""
        customer = self.partner_ids[0]
        with self.committing():
            with self.registry.cursor() as cr:
                self._builder(cr)._queue_changed_customers()  # sets the watermark
            with self.registry.cursor() as cr:
                self.env_of(cr)["res.partner"].browse(customer).message_post(
                    body="Call me back", message_type="comment", subtype_xmlid="mail.mt_comment"
                )
            with self.registry.cursor() as cr:
                cr.execute(
                    "DELETE FROM retention_profile_queue WHERE partner_id = ANY(%s)",
                    [self.partner_ids],
                )
                cr.execute(
                    "UPDATE res_partner SET retention_stage = NULL WHERE id = %s", [customer]
                )
            with self.registry.cursor() as cr:
                self._builder(cr)._cron_refresh_changed()
        self.assertNotIn(customer, self._queued(), "taken off the queue once refreshed")
        with self.registry.cursor() as cr:
            cr.execute("SELECT retention_stage FROM res_partner WHERE id = %s", [customer])
            self.assertTrue(cr.fetchone()[0], "refreshed: its stage written again")


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestRefreshJobsOnTheHelper(RetentionCase):
    """Both refresh jobs run the queue through the job helper: one batch per call when the
    time budget is spent, the rest reported as remaining and done by the next calls."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.env["res.partner"].create(
            [{"name": f"Queued {i}", "is_company": True, "customer_rank": 1} for i in range(3)]
        )

    def queued(self):
        self.env.cr.execute("SELECT COUNT(*) FROM retention_profile_queue")
        return self.env.cr.fetchone()[0]

    def test_refresh_job_hands_back_after_a_batch(self):
        run_cron(self.env, REFRESH_CRON)  # a first scan sets the watermark
        self.builder._queue_refresh(self.customers.ids)
        with patch.object(retention_profile_builder, "BATCH_SIZE", 2), one_batch_per_call():
            done, remaining = run_cron(self.env, REFRESH_CRON)
        self.assertEqual(done, 2)
        self.assertEqual(remaining, self.queued())
        self.assertGreaterEqual(remaining, 1, "the rest is left to the next call")
        self.assertEqual(run_cron(self.env, REFRESH_CRON)[1], 0)
        self.assertEqual(self.queued(), 0)
        self.assertEqual(set(self.customers.mapped("retention_stage")), {"prospect"})

    def test_daily_job_resumes_without_queuing_again(self):
        with patch.object(retention_profile_builder, "BATCH_SIZE", 1), one_batch_per_call():
            done, remaining = run_cron(self.env, RECOMPUTE_CRON)
            self.assertEqual(done, 1)
            self.assertGreaterEqual(remaining, len(self.customers))
            # the next call the same day goes on with the queue, it does not fill it again
            self.assertEqual(run_cron(self.env, RECOMPUTE_CRON), (1, remaining - 1))
        self.assertEqual(run_cron(self.env, RECOMPUTE_CRON), (remaining - 1, 0))


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestSnapshotJobOnTheHelper(RetentionCase):
    def test_the_reports_start_first_in_a_pass(self):
        """A company's reports (metric rows, cohort cells) are one unit that cannot stop
        halfway: in a cron worker, they start only with most of the pass's share left, else
        the job asks for its turn first in the next pass (under load they outlasted the rest
        of a pass, and Odoo stopped the worker)."""
        import time

        self.make_invoice(self.customer, "2026-03-10", 1000)
        Job = self.env["retention.snapshot.job"].sudo()
        cron = self.env.ref(SNAPSHOT_CRON).sudo()

        def call():
            progress = self.env["ir.cron.progress"].sudo().create({"cron_id": cron.id})
            snapshots = self.env["retention.snapshot"].with_context(
                ir_cron_progress_id=progress.id, cron_id=cron.id
            )
            snapshots._cron_update_snapshots()
            return progress.done, progress.remaining

        limits = {"workers": 2, "limit_time_real_cron": 120, "limit_time_cpu": 0}
        with patch.dict(config.options, limits):
            # 20 s left of the pass's 60 s share: the months, not the reports
            with cron_worker_pass(time.monotonic() + 20, cursor=self.env.cr):
                done, remaining = call()
                self.assertGreater(done, 0)
                self.assertEqual(remaining, 1, "the reports are still to do")
                self.assertTrue(Job._due_metrics_exist())
                self.assertIn(cron.id, cron_pass.left, "first in the worker's next pass")
                self.assertTrue(
                    self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", cron.id)])
                )
            # a new pass, its share whole: the reports
            with cron_worker_pass(time.monotonic() + 60, cursor=self.env.cr):
                self.assertEqual(call(), (0, 0))
                self.assertFalse(Job._due_metrics_exist())

    def test_snapshot_job_rebuilds_a_run_of_months_per_batch(self):
        """A batch claims up to CLAIM_MONTHS due months (here 2), of which at most one closed
        month (scored as of its end, the costly part), and rebuilds each run of consecutive
        months in one statement; the other months are left to the next calls."""
        self.make_invoice(self.customer, "2026-03-10", 1000)
        Job = self.env["retention.snapshot.job"]
        today = self.to_date(TODAY)

        def closed_done():
            return Job.sudo().search_count([("done_on", "=", today), ("month", "<", "2026-06-01")])

        with one_batch_per_call(), patch.object(retention_snapshot, "CLAIM_MONTHS", 2):
            done, remaining = run_cron(self.env, SNAPSHOT_CRON)
            self.assertEqual(done, 2, "a running month and a closed one")
            self.assertEqual(closed_done(), 1)
            self.assertEqual(remaining, Job._pending_count(today))
            self.assertGreater(remaining, 1, "the other months are left to the next calls")
            calls = 0
            while remaining and calls < 20:
                before = closed_done()
                done, left = run_cron(self.env, SNAPSHOT_CRON)
                self.assertLessEqual(closed_done() - before, 1, "one closed month a batch")
                self.assertEqual(left, remaining - done)
                remaining, calls = left, calls + 1
        self.assertEqual(remaining, 0)
        # March to May of the customer's company, and the month before of every other
        self.assertGreaterEqual(calls, 3)
        self.assertFalse(
            Job._claim_metrics(self.company), "all months done: their metric rows follow"
        )
        self.assertTrue(
            self.env["retention.snapshot"].search(
                [("partner_id", "=", self.customer.id), ("month", "=", "2026-03-01")]
            )
        )
