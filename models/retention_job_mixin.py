import threading
import time

from psycopg2 import errors as pgerrors

from odoo import api, models
from odoo.tools import SQL

#: Seconds a scheduled job spends on batches in one call before it hands back with its
#: progress: Odoo then calls it again at once while work remains (up to 10 calls in a row).
JOB_TIME_BUDGET = 120

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
        the time a job spent before its batches against the budget."""
        started = time.monotonic() if started is None else started
        done = 0
        for count in batches:
            done += count or 0
            if commit:
                self._job_commit()
            if time.monotonic() - started >= JOB_TIME_BUDGET:
                break
        left = remaining() if callable(remaining) else remaining
        self.env["ir.cron"]._notify_progress(done=done, remaining=left)
        return done, left

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
