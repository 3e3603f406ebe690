"""The job helper every scheduled job uses (retention.job.mixin), with real transactions:
two workers, a crash, the time budget, the progress and the commit guard are tested here once;
each job's tests check that it runs on the helper."""

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.customer_retention.models.retention_job_mixin import RetentionJobMixin

from .common import JobWorkersCase, one_batch_per_call


@tagged("post_install", "-at_install")
class TestJobHelper(JobWorkersCase):
    """Six customers waiting in a real queue (retention_profile_queue); a worker's batch here
    takes two of them off it, whatever a job would compute."""

    def setUp(self):
        super().setUp()
        self.partner_ids = self.create_committed(
            "res.partner", [{"name": f"Job helper test {i}", "is_company": True} for i in range(6)]
        )
        with self.registry.cursor() as cr:
            cr.execute(
                "INSERT INTO retention_profile_queue (partner_id) SELECT unnest(%s::int[])",
                [self.partner_ids],
            )

    def _helper(self, cr):
        return self.env_of(cr)["retention.job.mixin"]

    def _claim(self, cr, limit=None):
        return self._helper(cr)._job_claim(
            "retention_profile_queue",
            SQL("partner_id = ANY(%s)", self.partner_ids),
            order=SQL("partner_id"),
            limit=limit,
            column="partner_id",
        )

    def _process_batch(self, cr, size=2):
        """One batch: claim ``size`` queued customers and take them off the queue."""
        claimed = self._claim(cr, size)
        cr.execute("DELETE FROM retention_profile_queue WHERE partner_id = ANY(%s)", [claimed])
        return len(claimed)

    def _batches(self, cr):
        return iter(lambda: self._process_batch(cr), 0)

    def _queued(self):
        return self.queued(self.partner_ids)

    def _remaining(self, cr):
        def count():
            cr.execute(
                "SELECT COUNT(*) FROM retention_profile_queue WHERE partner_id = ANY(%s)",
                [self.partner_ids],
            )
            return cr.fetchone()[0]

        return count

    def test_two_workers_claim_different_rows_without_waiting(self):
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            cr2.execute("SET LOCAL lock_timeout = '2s'")  # waiting would fail, not hang
            first = self._claim(cr1, 4)
            second = self._claim(cr2, 4)
            self.assertEqual(first, sorted(first))
            self.assertEqual(len(first), 4)
            self.assertEqual(len(second), 2, "the second worker skips the rows the first holds")
            self.assertFalse(set(first) & set(second))

    def test_claim_of_rows_finished_meanwhile_takes_nothing(self):
        """A worker whose snapshot is older than another's commit cannot lock the rows that
        one finished: it takes nothing, stays usable, and the next run takes the rest."""
        with self.registry.cursor() as late:
            late.execute("SELECT 1")  # its snapshot is taken now
            with self.registry.cursor() as cr:
                self.assertEqual(self._process_batch(cr, 4), 4)
            self.assertEqual(self._claim(late), [], "refused, not an error")
            late.execute("SELECT 1")
        with self.registry.cursor() as cr:
            self.assertEqual(len(self._claim(cr)), 2)

    def test_crash_mid_run_keeps_the_committed_batches(self):
        def dying(cr):
            yield self._process_batch(cr)
            yield self._process_batch(cr)
            self._process_batch(cr)
            raise RuntimeError("worker killed")

        with self.committing():
            with self.assertRaises(RuntimeError), self.registry.cursor() as cr:
                self._helper(cr)._job_run_batches(dying(cr))
            self.assertEqual(len(self._queued()), 2, "two batches committed, the third undone")
            with self.registry.cursor() as cr:
                done, remaining = self._helper(cr)._job_run_batches(
                    self._batches(cr), remaining=self._remaining(cr)
                )
        self.assertEqual((done, remaining), (2, 0))
        self.assertFalse(self._queued())

    def test_time_budget_hands_back_with_the_progress(self):
        with self.committing(), self.registry.cursor() as cr:
            env = self.env_of(cr)
            cron = env.ref("customer_retention.ir_cron_retention_refresh_changed")
            progress = env["ir.cron.progress"].create({"cron_id": cron.id})
            helper = self._helper(cr).with_context(ir_cron_progress_id=progress.id)
            with one_batch_per_call():
                result = helper._job_run_batches(self._batches(cr), self._remaining(cr))
            self.assertEqual(result, (2, 4))
            self.assertEqual((progress.done, progress.remaining), (2, 4))
            self.assertEqual(len(self._queued()), 4, "the batch done is committed")
            # Odoo calls the job again at once while work remains: the next call goes on
            self.assertEqual(
                helper._job_run_batches(self._batches(cr), self._remaining(cr)), (4, 0)
            )
            self.assertEqual((progress.done, progress.remaining), (4, 0))
            progress.unlink()

    def test_nothing_is_committed_inside_tests(self):
        with self.registry.cursor() as cr:
            self.assertFalse(self._helper(cr)._job_can_commit())
            self._helper(cr)._job_run_batches(self._batches(cr))
            self.assertEqual(len(self._queued()), 6, "not committed: other workers see all")
            cr.rollback()
        self.assertEqual(len(self._queued()), 6)
        with self.committing(), self.registry.cursor() as cr:
            self._process_batch(cr)
            self._helper(cr)._job_commit()
            self.assertEqual(len(self._queued()), 4, "committed")


@tagged("post_install", "-at_install")
class TestEveryJobOnTheHelper(TransactionCase):
    def test_every_scheduled_action_runs_on_the_helper(self):
        """Each scheduled action of the module runs its batches through _job_run_batches
        (time budget, commits, progress): a new job that does not fails here."""
        data = self.env["ir.model.data"].search(
            [("module", "=", "customer_retention"), ("model", "=", "ir.cron")]
        )
        crons = self.env["ir.cron"].sudo().browse(data.mapped("res_id"))
        self.assertGreaterEqual(len(crons), 6)
        run_batches = RetentionJobMixin._job_run_batches
        runs = []

        def recording(model, *args, **kwargs):
            result = run_batches(model, *args, **kwargs)
            runs.append((model._name, result))
            return result

        self.patch(RetentionJobMixin, "_job_run_batches", recording)
        for cron in crons:
            with self.subTest(cron=cron.name):
                runs.clear()
                cron.method_direct_trigger()
                self.assertTrue(runs, "no batch run through retention.job.mixin")
                progress = (
                    self.env["ir.cron.progress"]
                    .sudo()
                    .search([("cron_id", "=", cron.id)], order="id desc", limit=1)
                )
                self.assertEqual((progress.done, progress.remaining), runs[-1][1])
