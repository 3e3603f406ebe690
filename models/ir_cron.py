import logging
import time
import weakref

from odoo import SUPERUSER_ID, api, models

from ..hooks import MODULE
from .retention_job_mixin import PASS_SHARE, cron_pass, cron_time_limit

_logger = logging.getLogger(__name__)


class IrCron(models.Model):
    """A prefork cron worker tells Odoo it is alive only between its passes over the ready
    jobs, so a pass must end within the worker's time limit, all its jobs together: Odoo
    kills a worker that stays longer, in the middle of a batch. The module's jobs share half
    of that limit per pass (retention.job.mixin stops their batches there); a job of the
    module still ready once that share is spent is left for the next pass.

    Odoo takes the ready jobs in the order of their priority, every pass: the jobs of the
    module left behind would wait until those before them have no work left (in the load
    test, the review planning waited for 100,000 customers' recompute and 21,000 follow-ups,
    and the account managers found no review to complete). So in the next pass of the same
    worker, the module's jobs that ran yield to those left behind: each gets its turn."""

    _inherit = "ir.cron"

    @classmethod
    def _process_job(cls, db, cron_cr, job):
        if cls._retention_pass_spent(cron_cr, job):
            reason = (
                "the module's jobs have spent their share of the cron worker's time limit in "
                "this one"
            )
            # left behind: first in the worker's next pass
            cron_pass.left.add(job["id"])
        elif cls._retention_yields(cron_cr, job):
            # only postponed: counted as left behind, it would queue up again before the job
            # it yielded to
            reason = "it yields to the module's jobs left behind by the last pass"
        else:
            cron_pass.behind.discard(job["id"])
            return super()._process_job(db, cron_cr, job)
        _logger.info("Job %r (%s) left for the next pass: %s", job["cron_name"], job["id"], reason)
        # still due (nextcall unchanged): the next pass takes it, that of the first cron
        # worker woken (else a worker sleeps up to a minute between passes)
        env = api.Environment(cron_cr, SUPERUSER_ID, {})
        cron_cr.postcommit.add(env["ir.cron"]._notifydb)
        return None

    @classmethod
    def _retention_yields(cls, cron_cr, job):
        """Whether ``job``, one of the module's, waits for the next pass so that the jobs of
        the module left behind by this worker's last pass run first in this one. Without a
        time limit (threaded crons) no job is left behind."""
        state = cron_pass
        return bool(
            state.deadline is not None
            and state.behind
            and job["id"] not in state.behind
            and job["id"] in cls._retention_job_ids(cron_cr, state)
        )

    @classmethod
    def _retention_pass_spent(cls, cron_cr, job):
        """Whether ``job`` is one of the module's and this pass (the one run with
        ``cron_cr``; Odoo opens a cursor for each) has spent the module's share of the
        worker's time limit. A new pass starts the share again."""
        state = cron_pass
        if getattr(state, "cursor", None) is None or state.cursor() is not cron_cr:
            limit = cron_time_limit()
            state.cursor = weakref.ref(cron_cr)
            state.deadline = time.monotonic() + PASS_SHARE * limit if limit else None
            state.jobs = None
            # the jobs the last pass left behind go first in this one
            state.behind = getattr(state, "left", None) or set()
            state.left = set()
        return (
            state.deadline is not None
            and time.monotonic() >= state.deadline
            and job["id"] in cls._retention_job_ids(cron_cr, state)
        )

    @classmethod
    def _retention_job_ids(cls, cron_cr, state):
        """The ids of the module's scheduled actions, read once a pass."""
        if state.jobs is None:
            cron_cr.execute(
                "SELECT res_id FROM ir_model_data WHERE module = %s AND model = 'ir.cron'",
                [MODULE],
            )
            state.jobs = {row[0] for row in cron_cr.fetchall()}
        return state.jobs
