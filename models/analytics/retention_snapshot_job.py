from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

#: Besides the months marked by invoices, the daily job rebuilds the current month (its stage
#: and figures are as of today) and, once after it closes, the month before (as of its end).
OPEN_MONTHS = 2


class RetentionSnapshotJob(models.Model):
    """A (company, month) whose snapshots must be rebuilt: the unit of work of the snapshot job.

    The job claims one row at a time with FOR UPDATE SKIP LOCKED (retention.job.mixin),
    rebuilds that month and stamps it done for the day, then commits: two workers never take
    the same month, and a crash leaves the rest to the next run. Posting or cancelling a
    customer invoice clears the stamp of its month and of every later month (their 12-month
    revenue moves too).
    """

    _name = "retention.snapshot.job"
    _inherit = ["retention.job.mixin"]
    _description = "Retention snapshot month to rebuild"
    _order = "month desc, company_id"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    month = fields.Date(required=True, readonly=True)
    done_on = fields.Date(readonly=True, help="Day the month was last rebuilt.")
    metrics_done_on = fields.Date(
        readonly=True,
        help="Day the metric rows of the periods of this month were last rebuilt (the same day "
        "as the month itself once they are).",
    )

    _sql_constraints = [
        ("company_month_uniq", "UNIQUE(company_id, month)", "One job per company and month."),
    ]

    @api.model
    def _months(self, first, last):
        months, month = [], first
        while month <= last:
            months.append(month)
            month += relativedelta(months=1)
        return months

    @api.model
    def _plan(self, companies, current):
        """Make sure the current month and the month before of every company have a job: the
        current month is due every day, the month before once after it closed (see
        _due_domain_sql). Older months are due only when something marked them: an invoice
        posted or cancelled (_mark_moves), a change of the stage rules or of the history
        window (res.company)."""
        first = current - relativedelta(months=OPEN_MONTHS - 1)
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO retention_snapshot_job (company_id, month, create_uid, write_uid,
                                                    create_date, write_date)
                SELECT c.id, m.month, %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC',
                       now() AT TIME ZONE 'UTC'
                  FROM unnest(%(companies)s::int[]) AS c(id),
                       unnest(%(months)s::date[]) AS m(month)
                ON CONFLICT (company_id, month) DO NOTHING
                """,
                uid=self.env.uid,
                companies=companies.ids,
                months=self._months(first, current),
            )
        )
        # older months done with their metric rows: nothing left to do for them
        self.env.cr.execute(
            SQL(
                "DELETE FROM retention_snapshot_job WHERE month < %s AND done_on IS NOT NULL "
                "AND metrics_done_on IS NOT DISTINCT FROM done_on",
                first,
            )
        )
        self.invalidate_model()

    @api.model
    def _due_domain_sql(self, today):
        """Due: never rebuilt since marked, or last rebuilt before today while the month was
        still running (the current month every day; a closed month once more, as of its end).
        A closed month rebuilt after its end stays as it is until something marks it."""
        return SQL(
            "(done_on IS NULL OR (done_on < %(today)s "
            "AND done_on < (month + interval '1 month')::date))",
            today=today,
        )

    @api.model
    def _claim(self, today, limit=1):
        """Lock up to ``limit`` due (company, month) rows, latest first, skipping those another
        worker holds."""
        self.flush_model()
        return self.browse(
            self._job_claim(
                "retention_snapshot_job",
                self._due_domain_sql(today),
                order=SQL("company_id, month DESC"),
                limit=limit,
            )
        )

    def _runs(self):
        """These jobs as runs of consecutive months of one company: [(company, jobs)], each
        run rebuilt by one statement."""
        runs = []
        for job in self.sorted(lambda job: (job.company_id.id, job.month)):
            last = runs[-1][1][-1] if runs else None
            if (
                last
                and last.company_id == job.company_id
                and last.month + relativedelta(months=1) == job.month
            ):
                runs[-1] = (runs[-1][0], runs[-1][1] | job)
            else:
                runs.append((job.company_id, job))
        return runs

    @api.model
    def _pending_count(self, today):
        self.flush_model()
        self.env.cr.execute(
            SQL("SELECT COUNT(*) FROM retention_snapshot_job WHERE %s", self._due_domain_sql(today))
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _mark_done(self, companies, first, last):
        """The backfill rebuilt these months and their metric rows: nothing left to do for
        them today."""
        today = fields.Date.context_today(self)
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO retention_snapshot_job (company_id, month, done_on, metrics_done_on,
                                                    create_uid, write_uid, create_date,
                                                    write_date)
                SELECT c.id, m.month, %(today)s, %(today)s, %(uid)s, %(uid)s,
                       now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                  FROM unnest(%(companies)s::int[]) AS c(id),
                       unnest(%(months)s::date[]) AS m(month)
                ON CONFLICT (company_id, month) DO UPDATE
                   SET done_on = EXCLUDED.done_on, metrics_done_on = EXCLUDED.metrics_done_on
                """,
                today=today,
                uid=self.env.uid,
                companies=companies.ids,
                months=self._months(first, last),
            )
        )
        self.invalidate_model()

    @api.model
    def _claim_metrics(self, company):
        """Lock this company's months rebuilt since their metric rows were: the periods they
        belong to are due. Rows another worker holds (rebuilding the month or its metrics) are
        skipped: they stay due for the next run."""
        self.flush_model()
        return self.browse(
            self._job_claim(
                "retention_snapshot_job",
                SQL("company_id = %s AND %s", company.id, self._metrics_due_sql()),
            )
        )

    @api.model
    def _metrics_due_sql(self):
        """A month rebuilt since the metric rows of its periods were: those periods are due."""
        return SQL("done_on IS NOT NULL AND metrics_done_on IS DISTINCT FROM done_on")

    @api.model
    def _due_metrics_exist(self):
        """Whether some company has months rebuilt since their metric rows were."""
        self.flush_model()
        self.env.cr.execute(
            SQL("SELECT 1 FROM retention_snapshot_job WHERE %s LIMIT 1", self._metrics_due_sql())
        )
        return bool(self.env.cr.fetchone())

    def _mark_metrics_done(self):
        self.env.cr.execute(
            SQL(
                "UPDATE retention_snapshot_job SET metrics_done_on = done_on WHERE id = ANY(%s)",
                self.ids,
            )
        )
        self.invalidate_recordset(["metrics_done_on"])

    @api.model
    def _mark_moves(self, moves):
        """Customer invoices posted or cancelled: their month and the later ones are due again
        (up to the current month)."""
        firsts = {}
        for move in moves:
            if move.move_type in ("out_invoice", "out_refund") and move.invoice_date:
                month = move.invoice_date.replace(day=1)
                company = move.company_id.id
                firsts[company] = min(firsts.get(company, month), month)
        for company_id, first in firsts.items():
            self._mark_months(company_id, first)
        return bool(firsts)

    @api.model
    def _mark_months(self, company_id, first):
        """The months of a company from ``first`` to the current one are due again."""
        current = fields.Date.context_today(self).replace(day=1)
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO retention_snapshot_job (company_id, month, create_uid, write_uid,
                                                    create_date, write_date)
                SELECT %(company)s, m.month, %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC',
                       now() AT TIME ZONE 'UTC'
                  FROM unnest(%(months)s::date[]) AS m(month)
                ON CONFLICT (company_id, month) DO UPDATE
                   SET done_on = NULL, metrics_done_on = NULL
                 WHERE retention_snapshot_job.done_on IS NOT NULL
                """,
                company=company_id,
                uid=self.env.uid,
                months=self._months(min(first.replace(day=1), current), current),
            )
        )
        self.invalidate_model()
