"""The job helper every scheduled job uses (retention.job.mixin), with real transactions:
two workers, a crash, the time budget, the progress and the commit guard are tested here once;
each job's tests check that it runs on the helper."""

import time
from contextlib import contextmanager
from unittest.mock import patch

from psycopg2 import errors as pgerrors

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, config, mute_logger

from odoo.addons.customer_retention.models import ir_cron as ir_cron_module
from odoo.addons.customer_retention.models.retention_job_mixin import (
    RetentionJobMixin,
    cron_pass,
    cron_time_limit,
)

from .common import JobWorkersCase, one_batch_per_call


@contextmanager
def cron_worker_pass(deadline, cursor=None):
    """This thread inside a cron worker's pass whose share for the module ends at
    ``deadline`` (time.monotonic()); the thread's state restored after."""
    saved = dict(vars(cron_pass))
    vars(cron_pass).clear()
    cron_pass.deadline = deadline
    cron_pass.cursor = (lambda: cursor) if cursor is not None else None
    cron_pass.jobs = None
    cron_pass.behind, cron_pass.left = set(), set()
    try:
        yield
    finally:
        vars(cron_pass).clear()
        vars(cron_pass).update(saved)


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

    def test_pass_share_spent_hands_back_and_continues_in_the_next_pass(self):
        """In a cron worker, the module's share of the worker's time limit ends during the
        first batch: the call hands back with the rest; Odoo calls again at once, and that
        call runs nothing and has the action triggered again, for the next pass."""
        with self.committing(), self.registry.cursor() as cr:
            env = self.env_of(cr)
            cron = env.ref("customer_retention.ir_cron_retention_refresh_changed")
            progress = env["ir.cron.progress"].create({"cron_id": cron.id})
            helper = self._helper(cr).with_context(ir_cron_progress_id=progress.id, cron_id=cron.id)
            triggers = env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
            batches = self._batches(cr)

            def share_spent_by_the_first_batch():
                for count in batches:
                    cron_pass.deadline = time.monotonic()
                    yield count

            with cron_worker_pass(time.monotonic() + 3600):
                result = helper._job_run_batches(
                    share_spent_by_the_first_batch(), self._remaining(cr)
                )
                self.assertEqual(result, (2, 4))
                self.assertFalse(
                    env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]) - triggers
                )
                self.assertEqual(
                    helper._job_run_batches(self._batches(cr), self._remaining(cr)), (0, 4)
                )
                # it had its turn in this pass: not one left behind, that the module's
                # other jobs would yield to in the next
                self.assertNotIn(cron.id, cron_pass.left)
            new_triggers = env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]) - triggers
            self.assertEqual(len(new_triggers), 1, "due again for the next pass")
            self.assertEqual((progress.done, progress.remaining), (0, 4))
            self.assertEqual(len(self._queued()), 4, "the batch done is committed, no other")
            # outside a cron worker's pass, the same call goes on
            self.assertEqual(
                helper._job_run_batches(self._batches(cr), self._remaining(cr)), (4, 0)
            )
            new_triggers.unlink()
            progress.unlink()

    def test_a_step_refused_for_a_conflict_runs_again_in_a_new_transaction(self):
        """Worker A's snapshot does not show the customer worker B queued since: A's
        INSERT ... ON CONFLICT DO NOTHING is refused (REPEATABLE READ), then runs again in a
        new transaction and succeeds; inside tests (no commit) the refusal is raised."""
        customer = self.partner_ids[0]
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM retention_profile_queue WHERE partner_id = %s", [customer])
        attempts = []

        def queue(cr):
            def insert():
                attempts.append(1)
                cr.execute(
                    "INSERT INTO retention_profile_queue (partner_id) VALUES (%s) "
                    "ON CONFLICT (partner_id) DO NOTHING",
                    [customer],
                )
                return cr.rowcount

            return insert

        for committing in (False, True):
            with self.registry.cursor() as worker_b:
                worker_b.execute(
                    "DELETE FROM retention_profile_queue WHERE partner_id = %s", [customer]
                )
            attempts.clear()
            with self.registry.cursor() as worker_a, self.registry.cursor() as worker_b:
                worker_a.execute("SELECT 1")  # A's snapshot
                worker_b.execute(
                    "INSERT INTO retention_profile_queue (partner_id) VALUES (%s)", [customer]
                )
                worker_b.commit()
                helper = self._helper(worker_a)
                if not committing:
                    with (
                        mute_logger("odoo.sql_db"),
                        self.assertRaises(pgerrors.SerializationFailure),
                    ):
                        helper._job_retrying(queue(worker_a))
                    self.assertEqual(len(attempts), 1)
                    worker_a.rollback()
                    continue
                with self.committing():
                    self.assertEqual(helper._job_retrying(queue(worker_a)), 0, "queued by B")
                self.assertEqual(len(attempts), 2, "refused once, then done")
        self.assertIn(customer, self._queued())

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


@tagged("post_install", "-at_install")
class TestCronWorkerTimeLimit(TransactionCase):
    """Odoo kills a prefork cron worker whose pass over the ready jobs outlasts its time
    limit; the module's jobs share half of it (issue #21: a worker killed after 900 s of
    follow-ups, each call within its own budget)."""

    def limits(self, **options):
        return patch.dict(config.options, options)

    def test_the_limit_odoo_stops_a_cron_worker_at(self):
        with self.limits(workers=2, limit_time_real_cron=900, limit_time_cpu=0):
            self.assertEqual(cron_time_limit(), 900)
        with self.limits(workers=2, limit_time_real_cron=-1, limit_time_real=120):
            self.assertEqual(cron_time_limit(), 60, "CPU: 60 s by default, of 120 s")
        with self.limits(
            workers=2, limit_time_real_cron=-1, limit_time_real=120, limit_time_cpu=600
        ):
            self.assertEqual(cron_time_limit(), 120, "-1: the HTTP workers' limit")
        with self.limits(workers=2, limit_time_real_cron=0, limit_time_cpu=0):
            self.assertIsNone(cron_time_limit(), "0: no limit")
        with self.limits(workers=0, limit_time_real_cron=900):
            self.assertIsNone(cron_time_limit(), "threaded cron: never stopped")

    def test_a_job_of_the_module_waits_for_the_next_pass_once_the_share_is_spent(self):
        Cron = self.env["ir.cron"].sudo()
        ours = self.env.ref("customer_retention.ir_cron_retention_snapshots").sudo()
        odoo_job = self.env.ref("base.autovacuum_job").sudo()
        nextcall = ours.nextcall
        job = {"id": ours.id, "cron_name": ours.name}
        with cron_worker_pass(time.monotonic(), cursor=self.env.cr):
            self.assertTrue(Cron._retention_pass_spent(self.env.cr, job))
            self.assertFalse(
                Cron._retention_pass_spent(self.env.cr, {"id": odoo_job.id}),
                "Odoo's and other modules' jobs are not held back",
            )
            self.env.cr.postcommit.clear()
            woken = []
            with (
                patch.object(ir_cron_module._logger, "info") as info,
                patch.object(type(Cron), "_notifydb", lambda cron: woken.append(cron)),
            ):
                Cron._process_job(self.env.cr.dbname, self.env.cr, job)
                self.assertIn("left for the next pass", info.call_args.args[0])
                self.assertFalse(woken)
                # once the pass commits, the cron workers are woken for the next one
                self.env.cr.postcommit.run()
            self.assertEqual(len(woken), 1)
            self.assertFalse(
                self.env["ir.cron.progress"].search([("cron_id", "=", ours.id)]), "not run"
            )
            ours.invalidate_recordset()
            self.assertEqual(ours.nextcall, nextcall, "still due")
            # another cursor is another pass: its share starts again
            with self.limits(workers=2, limit_time_real_cron=900, limit_time_cpu=0):
                other = self.registry.cursor()
                try:
                    self.assertFalse(Cron._retention_pass_spent(other, job))
                    self.assertAlmostEqual(cron_pass.deadline, time.monotonic() + 450, delta=5)
                    # ... and the job left behind goes first in it
                    self.assertEqual(cron_pass.behind, {ours.id})
                finally:
                    other.close()

    def test_the_jobs_that_ran_yield_to_those_left_behind(self):
        """Odoo takes the ready jobs by priority every pass: without this, a job of the
        module left behind waited until the jobs before it had no work left (the review
        planning, behind 100,000 customers' recompute in the load test)."""
        Cron = self.env["ir.cron"].sudo()
        planner = self.env.ref("customer_retention.ir_cron_retention_plan_reviews").sudo()
        refresh = self.env.ref("customer_retention.ir_cron_retention_refresh_changed").sudo()
        odoo_job = self.env.ref("base.autovacuum_job").sudo()
        first = {"id": refresh.id, "cron_name": refresh.name}
        behind = {"id": planner.id, "cron_name": planner.name}
        with cron_worker_pass(time.monotonic() + 600, cursor=self.env.cr):
            cron_pass.behind = {planner.id}
            self.assertFalse(Cron._retention_pass_spent(self.env.cr, first))
            self.assertTrue(Cron._retention_yields(self.env.cr, first))
            self.assertFalse(Cron._retention_yields(self.env.cr, behind))
            self.assertFalse(
                Cron._retention_yields(self.env.cr, {"id": odoo_job.id}),
                "Odoo's and other modules' jobs never yield",
            )
            self.env.cr.postcommit.clear()
            with (
                patch.object(ir_cron_module._logger, "info") as info,
                patch.object(type(Cron), "_notifydb", lambda cron: None),
            ):
                Cron._process_job(self.env.cr.dbname, self.env.cr, first)
            self.assertIn("yields", info.call_args.args[-1])
            self.assertFalse(
                self.env["ir.cron.progress"].search([("cron_id", "=", refresh.id)]), "not run"
            )
            # the job that yielded is only postponed: in the next pass, the order of the
            # priorities again (had it been left behind too, it would have run first again)
            self.assertEqual(cron_pass.left, set())
        with cron_worker_pass(None, cursor=self.env.cr):
            cron_pass.behind = {planner.id}
            self.assertFalse(
                Cron._retention_yields(self.env.cr, first), "without a time limit: no turns"
            )
