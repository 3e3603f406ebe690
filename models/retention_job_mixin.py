import threading
import time
from contextlib import nullcontext

from psycopg2 import errors as pgerrors

from odoo import api, models
from odoo.tools import SQL, config, mute_logger

#: Seconds a scheduled job spends on batches in one call before it hands back with its
#: progress: Odoo then calls it again at once while work remains (up to 10 calls in a row).
JOB_TIME_BUDGET = 120

#: Share of a cron worker's time limit the module's jobs may spend in one pass of the worker
#: over the ready jobs; the rest is left to a batch begun just before the end of that share
#: and to the other modules' jobs of the pass.
PASS_SHARE = 0.5

#: The pass of this thread's cron worker over the ready jobs: the cursor Odoo runs it with
#: (a weak reference: a new cursor is a new pass) and until when the module's jobs may run
#: batches in it (ir.cron._process_job sets both; None outside a cron worker with a limit).
cron_pass = threading.local()


def cron_time_limit():
    """Seconds a prefork cron worker may spend on one pass over the ready jobs before Odoo
    stops it, or None (threaded crons are never stopped). Its watchdog is pinged between
    passes only, so every job of a pass, each called up to 10 times in a row, counts
    against --limit-time-real-cron (-1: --limit-time-real, 120 s by default; 0: none), and
    its CPU time against --limit-time-cpu (60 s by default) as for an HTTP request."""
    if not config.get("workers"):
        return None
    real = config.get("limit_time_real_cron") or 0
    if real == -1:
        real = config.get("limit_time_real") or 0
    limits = [limit for limit in (real, config.get("limit_time_cpu") or 0) if limit > 0]
    return min(limits) if limits else None


def pass_deadline():
    """The time.monotonic() at which the module's jobs stop running batches in this cron
    worker's pass, or None."""
    return getattr(cron_pass, "deadline", None)


#: Lock strengths a claim may take: FOR UPDATE for queue rows the job deletes or stamps,
#: FOR NO KEY UPDATE for rows of others' tables it only guards (customers being planned).
CLAIM_LOCKS = {"update": SQL("UPDATE"), "no key update": SQL("NO KEY UPDATE")}


class RetentionJobMixin(models.AbstractModel):
    """What every scheduled job of the module does the same way: commit each batch (never
    inside tests), stop when its time budget is spent, report its progress to the cron
    runner, and claim its work with FOR UPDATE SKIP LOCKED so that two workers never take
    the same unit and a crash leaves the rest to the next run.

    An abstract model rather than a module of functions: the jobs are methods of models that
    inherit it (as Odoo's mixins are shared), they reach the cursor and ir.cron through their
    own environment, and tests change the commit guard in one place.
    """

    _name = "retention.job.mixin"
    _description = "Retention scheduled job helpers"

    @api.model
    def _job_can_commit(self):
        """Whether a job may commit its batch: never inside tests, whose transaction must be
        rolled back at the end (Odoo's _can_commit idea)."""
        return not getattr(threading.current_thread(), "testing", False)

    @api.model
    def _job_commit(self):
        """Commit the work done so far (outside tests): it survives a later crash."""
        if self._job_can_commit():
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _job_run_batches(self, batches, remaining=0, commit=True, started=None):
        """Run ``batches`` until they are exhausted or the time budget is spent, committing
        after each one (when ``commit``), then report the progress to the cron runner (a
        no-op outside a scheduled action). Returns (done, remaining).

        ``batches`` is an iterable whose every step processes one batch and gives how many
        units it did: for a queue, ``iter(process_one_batch, 0)`` (called until it returns
        0); for planned work, a generator. ``remaining`` is the number of units left, or a
        callable giving it once the batches stop. ``started`` (``time.monotonic()``) counts
        the time a job spent before its batches against the budget.

        In a cron worker with a time limit, the batches also stop at the end of the module's
        share of the worker's pass (pass_deadline): a call made after it runs none, and has
        its scheduled action triggered again for the next pass (Odoo, told that nothing was
        done, stops calling it in this one), so that the worker is back to Odoo before
        Odoo kills it."""
        started = time.monotonic() if started is None else started
        pass_over = self._job_pass_over()
        done = 0
        for count in () if pass_over else batches:
            done += count or 0
            if commit:
                self._job_commit()
            if time.monotonic() - started >= JOB_TIME_BUDGET or self._job_pass_over():
                break
        left = remaining() if callable(remaining) else remaining
        if pass_over and left:
            self._job_continue_next_pass()
        self.env["ir.cron"]._notify_progress(done=done, remaining=left)
        return done, left

    @api.model
    def _job_pass_over(self):
        """Whether this cron worker's pass has spent the module's share of its time limit."""
        deadline = pass_deadline()
        return deadline is not None and time.monotonic() >= deadline

    @api.model
    def _job_pass_fresh(self, share=0.8):
        """Whether at least ``share`` of the module's share of this cron worker's pass is
        left: a unit of work that cannot stop halfway and takes long under load starts only
        then (first in a pass). Always outside a cron worker with a time limit."""
        deadline, limit = pass_deadline(), cron_time_limit()
        if deadline is None or not limit:
            return True
        return deadline - time.monotonic() >= share * PASS_SHARE * limit

    @api.model
    def _job_continue_next_pass(self, first=False):
        """The scheduled action running this job is due again at once: the next pass of a
        cron worker takes it (Odoo keeps a trigger dated after the start of the run); with
        ``first``, this worker's next pass takes it before the module's other jobs, as one
        left behind (ir.cron._retention_yields), for a unit that only starts first in a pass.
        A job that merely ran out of the pass's share is not: it had its turn (marked, the
        job of the highest priority among those left behind had it again in every pass, and
        the review planning none in the load test)."""
        cron_id = self.env.context.get("cron_id")
        if cron_id:
            # sudo: the scheduled action's own trigger, whoever it runs as
            self.env["ir.cron"].sudo().browse(cron_id)._trigger()
            left = getattr(cron_pass, "left", None)
            if first and left is not None:
                left.add(cron_id)

    @api.model
    def _job_retrying(self, function, attempts=5):
        """Run ``function`` (the statements of one step, e.g. queueing customers) in a
        savepoint, and again in a new transaction when PostgreSQL refuses it for another
        worker's work committed meanwhile (REPEATABLE READ: an INSERT ... ON CONFLICT meeting
        a row its snapshot does not show). What came before is committed first, so that the
        next attempt reads a fresh snapshot. Inside tests (no commit), the refusal is raised.
        Without it, the daily recompute failed and skipped its day whenever the refresh job
        took customers off the queue at the same moment (load test, issue #21)."""
        for attempt in range(1, attempts + 1):
            # the refusals that are tried again are not errors of the server's log
            quiet = mute_logger("odoo.sql_db") if attempt < attempts else nullcontext()
            try:
                # flushed before, the ORM's cache cleared when undone
                with quiet, self.env.cr.savepoint():
                    return function()
            except pgerrors.SerializationFailure:
                if attempt == attempts or not self._job_can_commit():
                    raise
                self._job_commit()

    @api.model
    def _job_claim(self, table, condition=None, order=None, limit=None, column="id", lock="update"):
        """Lock the rows of ``table`` meeting ``condition`` (SQL) until this transaction ends
        and return their ``column``, in ``order`` (SQL), at most ``limit``.

        Rows another worker holds are skipped (SKIP LOCKED), without waiting. When a row
        changed since this transaction's snapshot (another worker finished it meanwhile),
        PostgreSQL refuses the lock: nothing is taken, and the next run, with a fresh
        snapshot, takes what is left."""
        query = SQL("SELECT %s FROM %s", SQL.identifier(column), SQL.identifier(table))
        if condition is not None:
            query = SQL("%s WHERE %s", query, condition)
        if order is not None:
            query = SQL("%s ORDER BY %s", query, order)
        if limit is not None:
            query = SQL("%s LIMIT %s", query, limit)
        query = SQL("%s FOR %s SKIP LOCKED", query, CLAIM_LOCKS[lock])
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(query, log_exceptions=False)
                return [row[0] for row in self.env.cr.fetchall()]
        except pgerrors.SerializationFailure:
            return []
