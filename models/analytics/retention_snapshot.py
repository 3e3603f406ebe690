import json
import logging
import time
from functools import partial

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL, split_every

from ...engine.health import FACTORS
from ..field_kinds import column
from ..profile.res_partner import MONEY_GROUPS, RETENTION_STAGES

_logger = logging.getLogger(__name__)

#: The month grid starts this far before the first month rebuilt: the 12-month window of the
#: month before it (for the won-back flag) reaches that far. The stage's facts (first, last and
#: win-back invoices) and the lifetime revenue are read from the whole history.
LOOKBACK_MONTHS = 12
#: The daily job's batch: at most this many due months, each run of consecutive months of a
#: company rebuilt by one statement (reading the invoices once, not once a month). Two: the
#: first day of a month rebuilds the running month and the one that just closed together,
#: and a batch stays well within a cron worker's time limit (at 100,000 customers a month
#: takes about 16 s to rebuild and score; 12 months took over 100 s under load, longer than
#: Odoo's default limit of 120 s with the rest of the worker's pass). Of them, at most one
#: closed month (_claim_due_months): scoring one as of its end is most of the cost, and two
#: took 85 s under the load test's load.
CLAIM_MONTHS = 2
#: Customers evaluated per batch when the health of past months is stored, at most...
BATCH_SIZE = 2000
#: ... and about this many customer-months per batch (1,000 customers for 24 months): the
#: batch's facts of every month are in memory at once.
HISTORY_BATCH_ROWS = 24000

SNAPSHOT_HELP = (
    "One row per customer (commercial partner), company and month, from the month of the "
    "customer's first invoice or credit note until 12 months after the last one. Revenue is "
    "untaxed posted customer invoices minus credit notes, by invoice date, in the company's "
    "currency. A customer is active in a month when its 12-month revenue (that month and the "
    "11 before) is above zero."
)

#: The snapshot rows of one company for the months %(date_from)s..%(date_to)s, from its
#: invoices (%(moves)s: account.move._retention_customer_moves up to %(read_to)s): monthly
#: sums, a dense month grid per customer from %(read_from)s to 12 months after its last
#: invoice, window sums, then only the months with an invoice or credit note in the last 13
#: (sparse rows). The stage of a month is the stage rules (%(stage)s, from
#: res.company._retention_stage_sql) as of the month's last day (today for the current month).
SOURCE_QUERY = """
            WITH monthly AS (
                -- one read of the invoices: all history, per customer and month
                SELECT cm.partner_id,
                       date_trunc('month', cm.invoice_date)::date AS month,
                       SUM(cm.amount) AS revenue,
                       MAX(cm.invoice_date) FILTER (WHERE cm.move_type = 'out_invoice')
                           AS last_invoice,
                       MAX(cm.invoice_date) FILTER (WHERE cm.is_winback) AS winback,
                       MAX(cm.invoice_date) FILTER (WHERE cm.is_first_invoice) AS first_invoice
                  FROM %(moves)s cm
                 WHERE cm.partner_id IS NOT NULL
                 GROUP BY 1, 2
            ),
            moves AS (
                SELECT partner_id, month, revenue, last_invoice, winback
                  FROM monthly WHERE month >= %(read_from)s
            ),
            spans AS (
                SELECT partner_id,
                       MIN(month) FILTER (WHERE month >= %(read_from)s) AS first_m,
                       MAX(month) AS last_m,
                       MAX(first_invoice) AS first_invoice,
                       COALESCE(SUM(revenue) FILTER (WHERE month < %(read_from)s), 0)
                           AS revenue_before,
                       MAX(last_invoice) FILTER (WHERE month < %(read_from)s)
                           AS last_invoice_before,
                       MAX(winback) FILTER (WHERE month < %(read_from)s) AS winback_before
                  FROM monthly GROUP BY 1
                HAVING MAX(month) >= %(read_from)s
            ),
            grid AS (
                SELECT s.partner_id, s.first_invoice,
                       date_trunc('month', s.first_invoice)::date AS first_month,
                       s.revenue_before, s.last_invoice_before, s.winback_before,
                       g.month::date AS month
                  FROM spans s,
                       generate_series(s.first_m::timestamp,
                                       LEAST(s.last_m + interval '12 months', %(date_to)s),
                                       interval '1 month') AS g(month)
            ),
            series AS (
                SELECT g.partner_id, g.month, g.first_month, g.first_invoice,
                       COALESCE(mv.revenue, 0) AS revenue_month,
                       SUM(COALESCE(mv.revenue, 0)) OVER w12 AS revenue_12m,
                       SUM(COALESCE(mv.revenue, 0)) OVER wprev AS revenue_12m_before,
                       COUNT(mv.revenue) OVER w13 AS months_invoiced_13m,
                       SUM(COALESCE(mv.revenue, 0)) OVER wall + g.revenue_before
                           AS revenue_lifetime,
                       -- as of the end of the month: GREATEST skips the NULLs
                       GREATEST(MAX(mv.last_invoice) OVER wall, g.last_invoice_before)
                           AS last_invoice,
                       GREATEST(MAX(mv.winback) OVER wall, g.winback_before) AS winback,
                       LEAST((g.month + interval '1 month')::date - 1, %(today)s) AS as_of
                  FROM grid g
                  LEFT JOIN moves mv ON mv.partner_id = g.partner_id AND mv.month = g.month
                WINDOW w12 AS (PARTITION BY g.partner_id ORDER BY g.month
                               ROWS BETWEEN 11 PRECEDING AND CURRENT ROW),
                       wprev AS (PARTITION BY g.partner_id ORDER BY g.month
                                 ROWS BETWEEN 12 PRECEDING AND 1 PRECEDING),
                       w13 AS (PARTITION BY g.partner_id ORDER BY g.month
                               ROWS BETWEEN 12 PRECEDING AND CURRENT ROW),
                       wall AS (PARTITION BY g.partner_id ORDER BY g.month
                                ROWS UNBOUNDED PRECEDING)
            ),
            lost AS (
                -- the customers an account review marked lost in this company, and when
                SELECT id AS partner_id, (retention_lost_date ->> %(company_key)s)::date AS day
                  FROM res_partner WHERE retention_lost_date ? %(company_key)s
            ),
            final AS (
                SELECT st.partner_id, st.month, st.revenue_month, st.revenue_12m,
                       st.revenue_lifetime, st.revenue_12m > 0 AS is_active, st.first_month,
                       COALESCE(st.month = st.first_month, FALSE) AS is_new,
                       -- active again after a month without 12-month revenue: won back
                       COALESCE(st.revenue_12m > 0 AND COALESCE(st.revenue_12m_before, 0) <= 0
                                AND st.first_month < st.month, FALSE) AS is_won_back,
                       NULL::int AS health_score,
                       %(stage)s AS stage
                  FROM series st
                  LEFT JOIN lost ON lost.partner_id = st.partner_id
                 WHERE st.month >= %(date_from)s AND st.month <= %(date_to)s
                   AND st.months_invoiced_13m > 0
            )
"""

INSERT_QUERY = """
    INSERT INTO retention_snapshot (
        company_id, partner_id, month, revenue_month, revenue_12m, revenue_lifetime,
        is_active, is_new, is_won_back, first_invoice_month, stage, health_score)
    SELECT %(company)s, partner_id, month, revenue_month, revenue_12m,
           revenue_lifetime, is_active, is_new, is_won_back, first_month, stage,
           health_score
      FROM final
"""

#: Upsert the rows, delete those the invoices no longer give; returns (written, deleted).
UPSERT_QUERY = """,
            upserted AS (
                INSERT INTO retention_snapshot AS snap (
                    company_id, partner_id, month, revenue_month, revenue_12m, revenue_lifetime,
                    is_active, is_new, is_won_back, first_invoice_month, stage, health_score)
                SELECT %(company)s, partner_id, month, revenue_month, revenue_12m,
                       revenue_lifetime, is_active, is_new, is_won_back, first_month, stage,
                       health_score
                  FROM final
                ON CONFLICT (company_id, month, partner_id) DO UPDATE SET
                    revenue_month = EXCLUDED.revenue_month,
                    revenue_12m = EXCLUDED.revenue_12m,
                    revenue_lifetime = EXCLUDED.revenue_lifetime,
                    is_active = EXCLUDED.is_active,
                    is_new = EXCLUDED.is_new,
                    is_won_back = EXCLUDED.is_won_back,
                    first_invoice_month = EXCLUDED.first_invoice_month,
                    -- a stage recorded live (with its health score) is history: keep it
                    stage = CASE WHEN snap.health_score IS NULL
                                 THEN EXCLUDED.stage ELSE snap.stage END
                RETURNING partner_id, month
            ),
            deleted AS (
                DELETE FROM retention_snapshot old
                 WHERE old.company_id = %(company)s
                   AND old.month >= %(date_from)s AND old.month <= %(date_to)s
                   AND NOT EXISTS (SELECT 1 FROM upserted u
                                    WHERE u.partner_id = old.partner_id AND u.month = old.month)
                RETURNING 1
            )
            SELECT (SELECT COUNT(*) FROM upserted), (SELECT COUNT(*) FROM deleted)
"""

#: The current month takes the live stage and health score of the customers (res.partner).
LIVE_QUERY = """
    UPDATE retention_snapshot s
       SET stage = COALESCE(p.retention_stage ->> %(company_key)s, s.stage),
           health_score = (p.retention_health_score ->> %(company_key)s)::int
      FROM res_partner p
     WHERE s.company_id = %(company)s AND s.month = %(current)s AND p.id = s.partner_id
"""


def month_start(day):
    return fields.Date.to_date(day).replace(day=1)


class RetentionSnapshot(models.Model):
    """Monthly figures per customer, rebuilt set-wise from the invoices (see _rebuild)."""

    _name = "retention.snapshot"
    _inherit = ["retention.job.mixin"]
    _description = "Monthly retention snapshot"
    _order = "month desc, company_id, partner_id"
    _rec_name = "partner_id"
    # Millions of rows written in bulk by SQL: no create/write user and date columns (each
    # would cost a foreign-key check per row, and they say nothing a snapshot does not).
    _log_access = False
    _auto = False

    # indexed by the unique (company, month, partner) index (see init)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    partner_id = column(fields.Many2one, "Customer", comodel_name="res.partner", required=True)
    month = fields.Date(required=True, readonly=True, help="First day of the month.")
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    revenue_month = column(
        fields.Monetary,
        "Revenue (month)",
        "Untaxed posted customer invoices minus credit notes dated in the month.",
        money=True,
    )
    revenue_12m = column(
        fields.Monetary,
        "Revenue (12 months)",
        "The same for the month and the 11 before: the trailing 12-month revenue.",
        money=True,
    )
    revenue_lifetime = column(
        fields.Monetary,
        "Revenue (to date)",
        "The same from the first invoice to the end of the month.",
        money=True,
    )
    is_active = column(
        fields.Boolean, "Active Customer", "12-month revenue above zero at the end of the month."
    )
    is_new = column(fields.Boolean, "New Customer", "First invoice of the customer in this month.")
    is_won_back = column(
        fields.Boolean,
        "Won Back",
        "Active again this month after at least one month without 12-month revenue.",
    )
    first_invoice_month = column(
        fields.Date, "Cohort", "Month of the customer's first invoice: its cohort."
    )
    stage = fields.Selection(
        RETENTION_STAGES,
        readonly=True,
        help="The customer's retention stage: as computed live for the months the job ran in "
        "(at risk needs the health score), else the stage rules as of the last day of the "
        "month, with the same day windows as the customer's stage (without a health score).",
    )
    health_score = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="Health score at the end of the month: for the closed months of the company's "
        "history window, computed from what was dated on or before the month's last day; "
        "live for the current month.",
    )
    # One score per factor of engine.health.FACTORS (0-100, empty when the factor had no data
    # that month): the health score is their weighted combination (engine.health.combine). The
    # back-test (retention.backtest) ranks customers by each one alone and calibrates the weights
    # on them. The revenue trend and payment scores are ratios of revenue and debts: money rights.
    recency_score = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="Recency of purchase factor (0-100) at the end of the month; empty without data.",
    )
    trend_score = column(
        fields.Integer,
        "Revenue Trend Score",
        "Revenue trend factor (0-100) at the end of the month; empty without data.",
        money=True,
        aggregator="avg",
    )
    payment_score = fields.Integer(
        readonly=True,
        aggregator="avg",
        groups=MONEY_GROUPS,
        help="Payment behaviour factor (0-100) at the end of the month; empty without data.",
    )
    engagement_score = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="Engagement factor (0-100) at the end of the month; empty without data.",
    )
    satisfaction_score = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="Satisfaction factor (0-100) at the end of the month; empty without data.",
    )
    delivery_score = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="Delivery factor (0-100) at the end of the month; empty without data.",
    )

    def init(self):
        """The table is created here, not by the ORM (_auto = False): millions of rows are
        written in bulk, and the foreign keys the ORM would add cost a trigger per row (3.5x
        slower inserts). Deleted customers simply drop out of the reports (they join
        res_partner). The unique (company, month, partner) index is the upsert's arbiter and
        serves the per-month rebuilds."""
        self.env.cr.execute(
            """
            CREATE TABLE IF NOT EXISTS retention_snapshot (
                id SERIAL PRIMARY KEY,
                company_id INTEGER NOT NULL,
                partner_id INTEGER NOT NULL,
                month DATE NOT NULL,
                revenue_month NUMERIC,
                revenue_12m NUMERIC,
                revenue_lifetime NUMERIC,
                is_active BOOLEAN,
                is_new BOOLEAN,
                is_won_back BOOLEAN,
                first_invoice_month DATE,
                stage VARCHAR,
                health_score INTEGER,
                recency_score INTEGER,
                trend_score INTEGER,
                payment_score INTEGER,
                engagement_score INTEGER,
                satisfaction_score INTEGER,
                delivery_score INTEGER
            );
            -- databases created before the factor columns (18.0.1.4.0)
            ALTER TABLE retention_snapshot
                ADD COLUMN IF NOT EXISTS recency_score INTEGER,
                ADD COLUMN IF NOT EXISTS trend_score INTEGER,
                ADD COLUMN IF NOT EXISTS payment_score INTEGER,
                ADD COLUMN IF NOT EXISTS engagement_score INTEGER,
                ADD COLUMN IF NOT EXISTS satisfaction_score INTEGER,
                ADD COLUMN IF NOT EXISTS delivery_score INTEGER;
            CREATE UNIQUE INDEX IF NOT EXISTS retention_snapshot_company_month_partner_uniq
                ON retention_snapshot (company_id, month, partner_id);
            """
        )

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------
    @api.model
    def _backfill(self, companies=None):
        """Rebuild every month of every company from its first customer invoice to this month,
        one set-based statement per company (install, demo data, on demand)."""
        started = time.monotonic()
        companies = companies or self.env["res.company"].sudo().search([])
        self.env.flush_all()
        current = month_start(fields.Date.context_today(self))
        rows = 0
        for company in companies:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT MIN(invoice_date) FROM account_move
                     WHERE company_id = %s AND state = 'posted'
                       AND move_type IN ('out_invoice', 'out_refund')
                    """,
                    company.id,
                )
            )
            first = self.env.cr.fetchone()[0]
            if not first:
                continue
            rows += self._rebuild(company, month_start(first), current)
            self._fill_history(company, month_start(first), current)
            self._rebuild_reports(company, first, all_cohorts=True)
            # every month is fresh: nothing for the daily job to redo today
            self.env["retention.snapshot.job"].sudo()._mark_done(
                company, month_start(first), current
            )
        self._analyze_tables()
        _logger.info(
            "customer_retention: monthly snapshots rebuilt for %s companies (%s rows) in %.2f s",
            len(companies),
            rows,
            time.monotonic() - started,
        )
        return rows

    @api.model
    def _cron_update_snapshots(self):
        """Daily: rebuild the current month, the month before once after it closed, and any
        month marked since (an invoice posted or cancelled marks its month and the later ones:
        their 12-month revenue moves), one (company, month) per batch (retention.job.mixin:
        committed, time budget, progress); then the metric rows and cohort cells of the
        periods rebuilt."""
        Job = self.env["retention.snapshot.job"].sudo()
        today = fields.Date.context_today(self)
        Job._plan(self.env["res.company"].sudo().search([]), month_start(today))
        self._job_commit()
        done, remaining = self._job_run_batches(
            iter(partial(self._rebuild_next_due_month, today), 0),
            remaining=partial(Job._pending_count, today),
        )
        if remaining:
            return done
        if not self._job_pass_fresh():
            # a company's reports are one unit, long under load (more than a minute in the
            # load test, after other jobs had spent most of the pass: Odoo stopped the
            # worker): they start first in a pass, this job's turn in the next one
            if Job._due_metrics_exist():
                self._job_continue_next_pass(first=True)
                self.env["ir.cron"]._notify_progress(done=done, remaining=1)
            return done
        self._rebuild_due_metrics()
        return done

    @api.model
    def _claim_due_months(self, today):
        """The batch's due (company, month) rows: up to CLAIM_MONTHS, latest first, of which
        at most one closed month (the running months are cheap, a closed one is scored as of
        its end). The rows claimed beyond stay due, for the next batch."""
        jobs = self.env["retention.snapshot.job"].sudo()._claim(today, limit=CLAIM_MONTHS)
        current = month_start(today)
        batch, closed = jobs.browse(), 0
        for job in jobs.sorted(lambda job: (job.company_id.id, -job.month.toordinal())):
            if job.month < current:
                if closed:
                    continue
                closed += 1
            batch |= job
        return batch

    @api.model
    def _rebuild_next_due_month(self, today):
        """One batch: claim up to CLAIM_MONTHS due (company, month), rebuild each run of
        consecutive months of a company in one statement (not a closed month last rebuilt on
        its last day), score the closed ones and stamp them done for today. Returns the
        number of months, 0 when none is left to claim."""
        jobs = self._claim_due_months(today)
        # a month rebuilt on its last day is as of its end already (a later invoice of the
        # month would have marked it): only its scores are due
        stale = jobs.filtered(
            lambda job: (
                not job.done_on or job.done_on < job.month + relativedelta(months=1, days=-1)
            )
        )
        for company, run in stale._runs():
            self._rebuild(company, run[0].month, run[-1].month)
        for company, run in jobs._runs():
            history = set(self._history_months(company, run[0].month, run[-1].month))
            # a month last rebuilt while it was the current one holds live scores, and a
            # marked one changed: all its rows as of its end; the others, their new rows only
            rescore = run.filtered(
                lambda job, history=history: (
                    job.month in history
                    and (not job.done_on or job.done_on < job.month + relativedelta(months=1))
                )
            )
            self._fill_health_months(company, rescore.mapped("month"))
            self._fill_health_months(
                company,
                [job.month for job in run - rescore if job.month in history],
                only_missing=True,
            )
        jobs.write({"done_on": today})
        jobs.flush_recordset()
        return len(jobs)

    @api.model
    def _rebuild_due_metrics(self):
        """Once every due month is rebuilt: the metric rows of the periods those months belong
        to, once per company (from January of the earliest such month), committed per
        company."""
        Job = self.env["retention.snapshot.job"].sudo()
        for company in self.env["res.company"].sudo().search([]):
            jobs = Job._claim_metrics(company)
            if jobs:
                self._rebuild_reports(company, min(jobs.mapped("month")))
                jobs._mark_metrics_done()
                self._job_commit()

    @api.model
    def _rebuild_all_metrics(self):
        """The metric rows of every period and the cohorts' cells of every company, from the
        snapshots as they are (upgrade from a version that computed them at each read)."""
        self.flush_model()
        for company in self.env["res.company"].sudo().search([]):
            self.env.cr.execute(
                SQL("SELECT MIN(month) FROM retention_snapshot WHERE company_id = %s", company.id)
            )
            first = self.env.cr.fetchone()[0]
            if first:
                self._rebuild_reports(company, first, all_cohorts=True)
        self.env.cr.execute(
            "UPDATE retention_snapshot_job SET metrics_done_on = done_on WHERE done_on IS NOT NULL"
        )
        self.env["retention.snapshot.job"].invalidate_model(["metrics_done_on"])
        self._analyze_tables()

    @api.model
    def _rebuild_reports(self, company, period_from, all_cohorts=False):
        """The stored rows of the reports read from the snapshots: the metric rows of the
        periods from ``period_from`` on (from January of its year), and the cohorts' cells of
        the periods from ``period_from`` on (``all_cohorts``: every cell)."""
        self.env["retention.metric.report"].sudo()._rebuild_periods(company, period_from)
        self.env["retention.cohort.report"].sudo()._rebuild_cohorts(
            company, None if all_cohorts else period_from
        )

    @api.model
    def _analyze_tables(self):
        """Fresh statistics after a bulk rebuild: until autovacuum gets to millions of new
        rows, the planner would read the report as if the tables were empty (the month
        dashboard took 4 s instead of under 2 at 100,000 customers)."""
        self.env.cr.execute(
            "ANALYZE retention_snapshot, retention_metric_period, retention_cohort_period"
        )

    # ------------------------------------------------------------------
    # Health as of past months (issue #18)
    # ------------------------------------------------------------------
    @api.model
    def _history_months(self, company, date_from, date_to):
        """The closed months of date_from..date_to within the company's history window
        (retention_history_months before the current month): those whose health and factor
        scores are stored as of their last day. The current month stays live."""
        current = month_start(fields.Date.context_today(self))
        first = max(
            month_start(date_from),
            current - relativedelta(months=max(company.retention_history_months, 0)),
        )
        months, month = [], first
        while month <= month_start(date_to) and month < current:
            months.append(month)
            month += relativedelta(months=1)
        return months

    @api.model
    def _fill_history(self, company, date_from, date_to):
        """Health and factor scores of every closed month of the window (see
        _fill_health_months)."""
        return self._fill_health_months(company, self._history_months(company, date_from, date_to))

    @api.model
    def _fill_health(self, company, month, only_missing=False):
        """The same for one month (the daily job: the month that just closed)."""
        return self._fill_health_months(company, [month_start(month)], only_missing=only_missing)

    @api.model
    def _fill_health_months(self, company, months, only_missing=False):
        """Store the health score, stage and factor scores of the company's snapshot rows of
        ``months`` as of each month's last day: retention.profile.builder._health_rows (the
        same engine as the live score, on the facts dated by then). Customers go in batches:
        each batch's facts are read once for all the months (one statement per source), then
        one UPDATE writes the batch's rows of every month. ``only_missing``: the rows without
        a health score only. Returns the number of rows written."""
        if not months:
            return 0
        ends = {month_start(m) + relativedelta(months=1, days=-1) for m in months}
        builder = self.env["retention.profile.builder"].sudo()
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT partner_id, array_agg(month) FROM retention_snapshot
                 WHERE company_id = %s AND month = ANY(%s) %s
                 GROUP BY partner_id ORDER BY partner_id
                """,
                company.id,
                sorted(month_start(m) for m in months),
                SQL("AND health_score IS NULL") if only_missing else SQL(""),
            )
        )
        wanted = {
            partner_id: {m + relativedelta(months=1, days=-1) for m in rows}
            for partner_id, rows in self.env.cr.fetchall()
        }
        written = 0
        # about the same number of customer-months per batch, whatever the months
        size = max(1, min(BATCH_SIZE, HISTORY_BATCH_ROWS // len(ends)))
        for batch in split_every(size, list(wanted)):
            batch_wanted = {partner_id: wanted[partner_id] for partner_id in batch}
            days = sorted(set().union(*batch_wanted.values()))
            rows = builder._health_rows(company, list(batch), days, wanted=batch_wanted)
            written += self._write_health_rows(company, rows)
        self.invalidate_model()
        return written

    @api.model
    def _write_health_rows(self, company, rows):
        """One UPDATE of the snapshot rows (partner, month) of ``rows`` (_health_rows)."""
        if not rows:
            return 0
        columns = ["health_score", *(f"{name}_score" for name in FACTORS)]
        self.env.cr.execute(
            SQL(
                """
                UPDATE retention_snapshot s SET stage = v.stage, %(sets)s
                  FROM jsonb_to_recordset(%(rows)s::jsonb)
                       AS v(partner_id int, month date, stage varchar, %(types)s)
                 WHERE s.company_id = %(company)s AND s.month = v.month
                   AND s.partner_id = v.partner_id
                """,
                sets=SQL(", ").join(
                    SQL("%s = v.%s", SQL.identifier(c), SQL.identifier(c)) for c in columns
                ),
                types=SQL(", ").join(SQL("%s int", SQL.identifier(c)) for c in columns),
                rows=json.dumps(rows),
                company=company.id,
            )
        )
        return self.env.cr.rowcount

    # ------------------------------------------------------------------
    # The set-based rebuild
    # ------------------------------------------------------------------
    @api.model
    def _month_stage_sql(self, company):
        """The stage of a snapshot month (on SOURCE_QUERY's ``series st`` and ``lost``): the
        company's stage rules as of the month's last day (today for the current
        month), on the customer's invoices up to that day and its loss if recorded by then;
        without a health score (months rebuilt from history), so never at risk. The same
        stage engine.health.retention_stage gives on those facts (health None): a month's
        stage computed by the engine (e.g. with a health score as of then) needs nothing
        else, and a stage recorded live is kept (see UPSERT_QUERY)."""
        return company._retention_stage_sql(
            "st",
            # lost by a review by the end of the month
            lost=SQL("CASE WHEN lost.day <= st.as_of THEN lost.day END"),
            health=SQL("NULL::int"),
        )

    @api.model
    def _rebuild(self, company, date_from, date_to):
        """Rebuild the snapshots of one company for the months date_from..date_to (first days)
        in one statement: upsert the rows the invoices give, delete the ones they no longer
        give. Returns the number of rows written."""
        date_from, date_to = month_start(date_from), month_start(date_to)
        today = fields.Date.context_today(self)
        current = month_start(today)
        self.env["account.move"].flush_model()
        self.env["res.partner"].flush_model()
        self.flush_model()
        read_to = date_to + relativedelta(months=1)
        params = {
            "company": company.id,
            "company_key": str(company.id),
            "read_from": date_from - relativedelta(months=LOOKBACK_MONTHS),
            "read_to": read_to,
            "date_from": date_from,
            "date_to": date_to,
            "current": current,
            "today": today,
            "moves": self.env["account.move"]._retention_customer_moves(
                companies=company.ids, before=read_to
            ),
            "stage": self._month_stage_sql(company),
        }
        # one big statement: no JIT compilation (its cost estimate is huge, its gain nil),
        # room to sort the month grid in memory
        self.env.cr.execute("SET LOCAL jit = off")
        self.env.cr.execute("SET LOCAL work_mem = '256MB'")
        self.env.cr.execute(
            SQL(
                "SELECT 1 FROM retention_snapshot WHERE company_id = %s AND month >= %s "
                "AND month <= %s LIMIT 1",
                company.id,
                date_from,
                date_to,
            )
        )
        if not self.env.cr.fetchone():
            # nothing there yet (install): a plain insert, the fastest way
            self.env.cr.execute(SQL(SOURCE_QUERY + INSERT_QUERY, **params))
            written = self.env.cr.rowcount
        else:
            self.env.cr.execute(SQL(SOURCE_QUERY + UPSERT_QUERY, **params))
            written, _deleted = self.env.cr.fetchone()
        if date_from <= current <= date_to:
            self.env.cr.execute(SQL(LIVE_QUERY, **params))
        self.invalidate_model()
        return written
