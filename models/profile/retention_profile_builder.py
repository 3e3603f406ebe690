import json
import logging
from collections import defaultdict
from datetime import timedelta
from functools import partial

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL, split_every

from ...engine import feedback, metrics
from ...engine.health import CustomerFacts, ProjectFacts, buying_rhythm_days, evaluate
from ...engine.reasons import main_reason
from .mail_message import contact_predicate

_logger = logging.getLogger(__name__)

WATERMARK_PARAM = "customer_retention.refresh_watermark"
FULL_MARK_PARAM = "customer_retention.last_full_mark"
#: The day the customers' statistics were last refreshed after the daily full recompute.
ANALYZE_MARK_PARAM = "customer_retention.last_analyze_mark"
#: At most this far before the time of a scan, the next scan starts at the oldest transaction
#: still running (see _next_watermark).
WATERMARK_OVERLAP = timedelta(hours=1)
BATCH_SIZE = 2000


def weights_changed(old_factors_json, factors):
    """Whether the health score stored (its factors as JSON) was computed with other weights
    than ``factors`` (the engine's result): then its change is the settings', not the
    customer's."""
    try:
        old = json.loads(old_factors_json or "{}")
    except ValueError:
        return False
    old_weights = {name: data.get("weight") for name, data in old.items() if "weight" in data}
    return bool(old_weights) and any(
        f.name in old_weights and old_weights[f.name] != f.weight for f in factors
    )


def satisfaction_sql(kind, score):
    """engine.feedback.satisfaction_of in SQL, generated from the engine's scales: the 0-100
    satisfaction of the score ``score`` (SQL) of answers of ``kind``, a kind of
    engine.feedback.SATISFACTION_SCALES, or SQL of a column holding NPS/CSAT kinds (then a
    CASE over them). A score stored as NULL (the ORM may store an NPS of 0 so) counts as 0."""

    def points(of_kind):
        low, step = feedback.satisfaction_steps(of_kind)
        return SQL("(COALESCE(%s, 0) - %s) * %s", score, low, step)

    if isinstance(kind, str):
        return points(kind)
    whens = [SQL("WHEN %s THEN %s", of_kind, points(of_kind)) for of_kind in feedback.SCALES]
    return SQL("CASE %s %s END", kind, SQL(" ").join(whens))


# (column, SQL cast of the unnest array, nullable): the figures written per company.
FIGURE_COLUMNS = [
    ("retention_customer_since", "date[]", True),
    ("retention_last_invoice_date", "date[]", True),
    ("retention_last_contact_date", "date[]", True),
    ("retention_revenue_12m", "float8[]", False),
    ("retention_revenue_prev_12m", "float8[]", False),
    ("retention_revenue_lifetime", "float8[]", False),
    ("retention_repeat_revenue_share", "float8[]", False),
    ("retention_overdue_amount", "float8[]", False),
    ("retention_overdue_days", "int4[]", False),
    ("retention_invoice_count", "int4[]", False),
    ("retention_credit_note_count", "int4[]", False),
    ("retention_project_open_count", "int4[]", False),
    ("retention_project_done_count", "int4[]", False),
    ("retention_health_score", "int4[]", False),
    ("retention_health_score_prev", "int4[]", True),
    ("retention_health_trend", "text[]", True),
    ("retention_revenue_trend", "text[]", True),
    ("retention_health_factors", "text[]", True),
    ("retention_stage", "text[]", False),
    ("retention_stage_date", "date[]", True),
    # the main reason as code and numbers (engine.reasons.main_reason), worded when read
    ("retention_main_reason_data", "text[]", True),
    ("retention_expected_invoice_date", "date[]", True),
]


class RetentionProfileBuilder(models.AbstractModel):
    """Computes the retention figures of customers set-wise.

    A batch of commercial partners is read with a fixed number of grouped queries (invoices,
    win-backs, contacts, projects, satisfaction, current values), evaluated with the pure
    functions of engine.health, and written back with one UPDATE per company into the
    company-dependent columns of res.partner. Which partners need it is kept in
    retention.profile.queue, so a crash leaves the rest queued for the next run.
    """

    _name = "retention.profile.builder"
    _inherit = ["retention.job.mixin"]
    _description = "Retention profile builder"

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------
    @api.model
    def _recompute_all(self, companies=None):
        """Recompute every customer now, in this transaction (install, demo, Settings button).

        With ``companies``, only the figures of these companies, of the customers seen in them;
        the refresh queue is left as it is (the job refreshes every company)."""
        if companies is None:
            self._queue_all_customers()
            while self._process_queue_batch(BATCH_SIZE):
                pass
            return
        self.env["res.partner"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM res_partner
                 WHERE id = commercial_partner_id
                   AND (customer_rank > 0 OR retention_stage IS NOT NULL)
                   AND (company_id IS NULL OR company_id = ANY(%s))
                 ORDER BY id
                """,
                companies.ids,
            )
        )
        partner_ids = [row[0] for row in self.env.cr.fetchall()]
        for batch in split_every(BATCH_SIZE, partner_ids):
            self._compute_partners(list(batch), companies=companies)

    @api.model
    def _cron_refresh_changed(self):
        """Every few minutes: customers whose invoices, payments, projects or messages
        changed since the last run are refreshed."""
        self._queue_changed_customers()
        self._process_queue()

    @api.model
    def _cron_recompute_all(self):
        """Daily: figures depend on today's date (12-month windows, days since...), so every
        customer is queued once a day and the batches follow, resuming after a crash."""
        today = fields.Date.to_string(fields.Date.context_today(self))
        # sudo: the job's own bookkeeping parameter, not readable by users
        params = self.env["ir.config_parameter"].sudo()
        if params.get_param(FULL_MARK_PARAM) != today:
            self._job_retrying(self._queue_all_customers)
            params.set_param(FULL_MARK_PARAM, today)
            self._job_commit()
        done, left = self._process_queue()
        if not left and params.get_param(ANALYZE_MARK_PARAM) != today:
            self._analyze_customers()
            params.set_param(ANALYZE_MARK_PARAM, today)
            self._job_commit()
        return done, left

    @api.model
    def _analyze_customers(self):
        """Fresh statistics of the partners once the day's full recompute is done: the
        screens' plans (the kanban's per-company stage index, the dashboard's groupings) rest
        on how the stages and scores are spread, which the recompute just rewrote for every
        customer. Autovacuum would get there in time, or never where it is off: with the
        statistics of the empty stages of the install, a kanban column read every partner
        (0.21 s instead of 0.04 s at 100,000 customers, issue #21). 1.4 s at that size."""
        self.env.cr.execute("ANALYZE res_partner")

    # ------------------------------------------------------------------
    # Refresh queue
    # ------------------------------------------------------------------
    @api.model
    def _queue_refresh(self, partner_ids):
        """Queue the commercial partners of these partners for a refresh, when they are
        customers (colleagues writing messages are not)."""
        if not partner_ids:
            return
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO retention_profile_queue (partner_id)
                SELECT DISTINCT cp.id
                  FROM res_partner pa
                  JOIN res_partner cp ON cp.id = pa.commercial_partner_id
                 WHERE pa.id = ANY(%s)
                   AND (cp.customer_rank > 0 OR cp.retention_stage IS NOT NULL)
                ON CONFLICT (partner_id) DO NOTHING
                """,
                list(partner_ids),
            ),
            # another transaction queueing or taking off the same customer meanwhile makes
            # PostgreSQL refuse it: Odoo tries the request again, the jobs the step
            # (_job_retrying); the refusal is not an error of the server's log
            log_exceptions=False,
        )

    @api.model
    def _queue_all_customers(self):
        """Customers are commercial partners with a customer rank or figures already.
        Returns how many were queued (those already queued are not counted)."""
        self.env["res.partner"].flush_model()
        self.env.cr.execute(
            """
            INSERT INTO retention_profile_queue (partner_id)
            SELECT id FROM res_partner
             WHERE id = commercial_partner_id
               AND (customer_rank > 0 OR retention_stage IS NOT NULL)
            ON CONFLICT (partner_id) DO NOTHING
            """
        )
        return self.env.cr.rowcount

    @api.model
    def _queue_changed_customers(self):
        """Queue the customers of invoices, projects, status updates, tasks, messages and
        ratings and feedback written since the watermark, then move the watermark on."""
        # sudo: the job's own bookkeeping parameter, not readable by users
        params = self.env["ir.config_parameter"].sudo()
        watermark = params.get_param(WATERMARK_PARAM)
        since = fields.Datetime.to_datetime(watermark) if watermark else None
        next_watermark = self._next_watermark()
        # a transaction that was running then and has committed since is not in that reading:
        # the scan must see its rows, so it reads from a snapshot taken after the reading
        self._job_commit()
        if since:
            self._job_retrying(partial(self._queue_changed_since, since))
        params.set_param(WATERMARK_PARAM, fields.Datetime.to_string(next_watermark))
        return since

    @api.model
    def _queue_changed_since(self, since):
        """Queue the customers of what was written since ``since``."""
        self.env.flush_all()
        self.env.cr.execute("SET LOCAL jit = off")  # see _compute_partners
        self.env.cr.execute(self._changed_customers_query(since))
        self._queue_refresh([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _next_watermark(self):
        """Where the next scan starts: now, or the start of the oldest transaction still
        running in this database, whichever is older. Odoo stamps write_date and create_date
        with the start of the writing transaction, so rows that transaction commits after this
        scan are older than now: starting from it, the next scan still sees them, and only
        what was written meanwhile is scanned twice (the caller commits before scanning, so
        that the scan's snapshot is younger than this reading). Limited to WATERMARK_OVERLAP
        before now (a session left idle in a transaction must not make every scan look back
        further), and the whole overlap is kept when other sessions' transactions cannot be
        seen."""
        self.env.cr.execute(
            """
            SELECT now() AT TIME ZONE 'UTC',
                   MIN(xact_start) AT TIME ZONE 'UTC',
                   BOOL_OR(state IS NULL)
              FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()
            """
        )
        now, oldest, hidden = self.env.cr.fetchone()
        floor = now - WATERMARK_OVERLAP
        if hidden:
            return floor
        return max(floor, min(now, oldest or now))

    @api.model
    def _changed_customers_query(self, since):
        """The customers of what was written since ``since`` (_changed_customer_sources)."""
        return SQL(" UNION ").join(self._changed_customer_sources(since))

    @api.model
    def _changed_customer_sources(self, since):
        """Hook: queries of the commercial partners whose figures may have moved since
        ``since``: invoices, projects, tasks, ratings and messages here; other features add
        what they record (feedback answers)."""
        queries = (
            """
            SELECT commercial_partner_id FROM account_move
             WHERE write_date >= %(since)s AND move_type IN ('out_invoice', 'out_refund')
                """,
            """
            SELECT pa.commercial_partner_id FROM project_project pr
              JOIN res_partner pa ON pa.id = pr.partner_id
             WHERE pr.write_date >= %(since)s
                """,
            """
            SELECT pa.commercial_partner_id FROM project_task t
              JOIN project_project pr ON pr.id = t.project_id
              JOIN res_partner pa ON pa.id = pr.partner_id
             WHERE t.write_date >= %(since)s
                """,
            """
            SELECT pa.commercial_partner_id FROM rating_rating r
              JOIN res_partner pa ON pa.id = r.partner_id
             WHERE r.write_date >= %(since)s
                """,
            """
            SELECT COALESCE(pa.commercial_partner_id, am.commercial_partner_id,
                            prp.commercial_partner_id)
              FROM mail_message msg
              LEFT JOIN res_partner pa
                     ON (msg.model = 'res.partner' AND pa.id = msg.res_id) OR pa.id = msg.author_id
              LEFT JOIN account_move am ON msg.model = 'account.move' AND am.id = msg.res_id
              LEFT JOIN project_project pr ON msg.model = 'project.project' AND pr.id = msg.res_id
              LEFT JOIN res_partner prp ON prp.id = pr.partner_id
             WHERE msg.create_date >= %(since)s
                """,
        )
        return [SQL(query, since=since) for query in queries]

    # ------------------------------------------------------------------
    # Batches
    # ------------------------------------------------------------------
    @api.model
    def _process_queue(self):
        """Batches of queued customers until none is left or the time budget is spent, each
        committed (outside tests), with the progress reported (retention.job.mixin)."""
        return self._job_run_batches(
            iter(partial(self._process_queue_batch, BATCH_SIZE), 0), remaining=self._queued_count
        )

    @api.model
    def _process_queue_batch(self, limit):
        """Claim up to ``limit`` queued customers (rows another worker holds are skipped),
        recompute them and take them off the queue. Returns how many were processed."""
        partner_ids = self._claim_queued_partners(limit)
        if partner_ids:
            self._compute_partners(partner_ids)
        return len(partner_ids)

    @api.model
    def _claim_queued_partners(self, limit):
        """Lock up to ``limit`` queued customers until this transaction ends; rows locked by
        another worker are skipped, so two workers never take the same customer."""
        return self._job_claim(
            "retention_profile_queue", order=SQL("partner_id"), limit=limit, column="partner_id"
        )

    @api.model
    def _unqueue(self, partner_ids):
        """Done: these customers leave the queue when the transaction that wrote their
        figures commits (a later change queues them again)."""
        self.env.cr.execute(
            SQL("DELETE FROM retention_profile_queue WHERE partner_id = ANY(%s)", list(partner_ids))
        )

    @api.model
    def _queued_count(self):
        self.env.cr.execute("SELECT COUNT(*) FROM retention_profile_queue")
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------
    # Computation of one batch
    # ------------------------------------------------------------------
    @api.model
    def _compute_partners(self, partner_ids, companies=None):
        """Recompute the figures of these commercial partners in every company, or in
        ``companies`` only (then they stay queued when they were: the other companies' figures
        are still due)."""
        self.env.flush_all()
        # The batch queries are estimated costly enough for PostgreSQL's JIT compiler, which
        # then spends longer compiling than running them (EXPLAIN in bench/README.md).
        self.env.cr.execute("SET LOCAL jit = off")
        today = fields.Date.context_today(self)
        every_company = companies is None
        if every_company:
            # sudo: figures are kept for every company, whichever user triggered the refresh
            companies = self.env["res.company"].sudo().search([])
        facts = self._gather_facts(partner_ids, today)
        current = self._read_current_values(partner_ids, companies)
        visible = self._partner_companies(partner_ids)
        for company in companies:
            rows = self._evaluate_company(company, partner_ids, visible, facts, current, today)
            self._write_company_figures(company, rows)
        if every_company:
            self._unqueue(partner_ids)
        # what the SQL above wrote: the figures of every partner cached, and the queue
        self.env["res.partner"].invalidate_model(
            [name for name, _cast, _null in FIGURE_COLUMNS]
            + ["retention_refresh_pending", "retention_dirty"]
        )

    @api.model
    def _gather_facts(self, partner_ids, today):
        """Every fact the engine needs, keyed by (company_id, partner_id); contact and
        satisfaction facts that belong to no company are keyed by (None, partner_id). The
        same facts as of past days: models/analytics/retention_profile_builder.py."""
        return {
            "invoices": self._invoice_facts(partner_ids, today),
            "contacts": self._last_contact_dates(partner_ids),
            "projects": self._project_facts(partner_ids, today),
            "satisfaction": self._latest_satisfaction(partner_ids),
        }

    @api.model
    def _partner_companies(self, partner_ids):
        """The company a partner is restricted to (None when shared by all companies)."""
        self.env.cr.execute(
            SQL("SELECT id, company_id FROM res_partner WHERE id = ANY(%s)", list(partner_ids))
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _invoice_facts(self, partner_ids, today):
        """Dates, counts, revenue windows and overdue of posted customer invoices and credit
        notes (amounts untaxed, signed, in the company's currency), the first invoice and the
        win-back date (the latest win-back invoice), as account.move._retention_customer_moves
        defines them. One read of the batch's invoice rows; the keys: _invoice_fact_keys."""
        start_12m = today - relativedelta(months=12)
        start_24m = today - relativedelta(months=24)
        self.env.cr.execute(
            SQL(
                """
                WITH inv AS (
                    SELECT cm.*, cm.residual AS residual_then,
                           cm.move_type = 'out_invoice' AND cm.invoice_date_due < %(today)s
                               AND cm.payment_state IN ('not_paid', 'partial') AS overdue
                      FROM %(moves)s cm
                )
                SELECT inv.company_id, inv.partner_id,
                       MAX(invoice_date) FILTER (WHERE is_first_invoice),
                       MAX(invoice_date) FILTER (WHERE move_type = 'out_invoice'),
                       COUNT(DISTINCT invoice_date) FILTER (WHERE move_type = 'out_invoice'),
                       COUNT(*) FILTER (WHERE move_type = 'out_invoice'),
                       COUNT(*) FILTER (WHERE move_type = 'out_invoice'
                                          AND invoice_date > %(start_12m)s),
                       COUNT(*) FILTER (WHERE move_type = 'out_refund'
                                          AND invoice_date > %(start_12m)s),
                       COALESCE(SUM(amount), 0),
                       COALESCE(SUM(amount) FILTER (WHERE invoice_date > %(start_12m)s), 0),
                       COALESCE(SUM(amount) FILTER (WHERE invoice_date > %(start_24m)s
                                                      AND invoice_date <= %(start_12m)s), 0),
                       COALESCE(SUM(amount) FILTER (WHERE invoice_date > first_invoice_date), 0),
                       COALESCE(SUM(residual_then) FILTER (WHERE overdue), 0),
                       COALESCE(MAX(%(today)s - invoice_date_due) FILTER (WHERE overdue), 0),
                       MAX(invoice_date) FILTER (WHERE is_winback)
                  FROM inv
                 GROUP BY inv.company_id, inv.partner_id
                """,
                today=today,
                start_12m=start_12m,
                start_24m=start_24m,
                moves=self.env["account.move"]._retention_customer_moves(partners=partner_ids),
            )
        )
        keys = self._invoice_fact_keys()
        return {
            (row[0], row[1]): dict(zip(keys, row[2:], strict=True))
            for row in self.env.cr.fetchall()
        }

    @api.model
    def _invoice_fact_keys(self):
        """The names of the invoice facts, in the order their queries select them (today's
        and as of past days)."""
        return (
            "first_invoice_date",
            "last_invoice_date",
            "invoice_date_count",
            "invoice_count",
            "invoice_count_12m",
            "credit_note_count_12m",
            "revenue_lifetime",
            "revenue_12m",
            "revenue_prev_12m",
            "repeat_revenue",
            "overdue_amount",
            "overdue_days",
            "winback_date",
        )

    @api.model
    def _real_exchange_condition(self):
        """What counts as a contact: an email or message that is not internal (no log note),
        or a done activity of a type counted as contact (calls and meetings by default).
        Starts with the predicate of the contact indexes (models/profile/mail_message.py) and tests
        only the columns they cover, so that the lookups are index-only scans."""
        self.env.cr.execute("SELECT id FROM mail_message_subtype WHERE internal")
        internal_subtypes = [row[0] for row in self.env.cr.fetchall()]
        self.env.cr.execute("SELECT id FROM mail_activity_type WHERE retention_counts_as_contact")
        contact_types = [row[0] for row in self.env.cr.fetchall()]
        return SQL(
            """
            %(indexed)s AND (
                (msg.message_type IN ('email', 'comment', 'email_outgoing')
                 AND msg.is_internal IS NOT TRUE
                 AND (msg.subtype_id IS NULL OR NOT msg.subtype_id = ANY(%(internal)s::int[])))
                OR msg.mail_activity_type_id = ANY(%(types)s::int[])
            )
            """,
            indexed=contact_predicate("msg"),
            internal=internal_subtypes,
            types=contact_types,
        )

    @api.model
    def _last_contact_dates(self, partner_ids):
        """Latest real exchange per customer: on the customer or its contacts, authored by
        them anywhere (company None: counts in every company), on their projects and
        invoices (counted in the project's or invoice's company)."""
        real = self._real_exchange_condition()
        # Each customer, contact, project and invoice looks up its own latest message in the
        # covering partial indexes on (model, res_id) and author_id (LATERAL, index-only): the
        # cost follows the batch, not the size of mail_message.
        self.env.cr.execute(
            SQL(
                """
                WITH pa AS (
                    SELECT id, commercial_partner_id FROM res_partner
                     WHERE commercial_partner_id = ANY(%(partners)s)
                )
                SELECT NULL::int, pa.commercial_partner_id,
                       GREATEST(MAX(on_record.day), MAX(by_author.day))
                  FROM pa
                 CROSS JOIN LATERAL (
                        SELECT MAX(msg.date)::date AS day
                          FROM mail_message msg
                         WHERE msg.model = 'res.partner' AND msg.res_id = pa.id AND %(real)s
                 ) on_record
                 CROSS JOIN LATERAL (
                        SELECT MAX(msg.date)::date AS day
                          FROM mail_message msg
                         WHERE msg.author_id = pa.id AND %(real)s
                 ) by_author
                 GROUP BY pa.commercial_partner_id
                UNION ALL
                SELECT pr.company_id, pa.commercial_partner_id, MAX(last.day)
                  FROM project_project pr
                  JOIN pa ON pa.id = pr.partner_id
                 CROSS JOIN LATERAL (
                        SELECT MAX(msg.date)::date AS day
                          FROM mail_message msg
                         WHERE msg.model = 'project.project' AND msg.res_id = pr.id AND %(real)s
                 ) last
                 GROUP BY pr.company_id, pa.commercial_partner_id
                UNION ALL
                SELECT am.company_id, am.commercial_partner_id, MAX(last.day)
                  FROM account_move am
                 CROSS JOIN LATERAL (
                        SELECT MAX(msg.date)::date AS day
                          FROM mail_message msg
                         WHERE msg.model = 'account.move' AND msg.res_id = am.id AND %(real)s
                 ) last
                 WHERE am.commercial_partner_id = ANY(%(partners)s)
                   AND am.move_type IN ('out_invoice', 'out_refund')
                 GROUP BY am.company_id, am.commercial_partner_id
                """,
                partners=list(partner_ids),
                real=real,
            )
        )
        latest = {}
        for company_id, partner_id, day in self.env.cr.fetchall():
            key = (company_id, partner_id)
            if day and (key not in latest or day > latest[key]):
                latest[key] = day
        return latest

    @api.model
    def _project_facts(self, partner_ids, today):
        """One row per project of the customers: closed or not, latest status, its age, and
        open and overdue tasks. Projects without company count in every company (None)."""
        self.env.cr.execute(
            SQL(
                """
                SELECT pr.company_id, pa.commercial_partner_id, pr.retention_is_closed,
                       pr.last_update_status, pu.date,
                       COALESCE(tk.open_count, 0), COALESCE(tk.overdue_count, 0)
                  FROM project_project pr
                  JOIN res_partner pa ON pa.id = pr.partner_id
                  LEFT JOIN project_update pu ON pu.id = pr.last_update_id
                  LEFT JOIN LATERAL (
                        SELECT COUNT(*) AS open_count,
                               COUNT(*) FILTER (WHERE t.date_deadline < %(now)s) AS overdue_count
                          FROM project_task t
                         WHERE t.project_id = pr.id AND t.active
                           AND t.state NOT IN ('1_done', '1_canceled')
                  ) tk ON NOT pr.retention_is_closed
                 WHERE pa.commercial_partner_id = ANY(%(partners)s)
                   AND (pr.active OR pr.retention_is_closed)
                """,
                now=fields.Datetime.now(),
                partners=list(partner_ids),
            )
        )
        projects = defaultdict(lambda: {"open": [], "done": 0})
        for (
            company_id,
            partner_id,
            closed,
            status,
            update_date,
            open_tasks,
            overdue,
        ) in self.env.cr.fetchall():
            entry = projects[(company_id, partner_id)]
            if closed:
                entry["done"] += 1
                continue
            entry["open"].append(
                ProjectFacts(
                    status=status if status and status != "to_define" else None,
                    days_since_update=(today - update_date).days if update_date else None,
                    open_task_count=open_tasks,
                    overdue_task_count=overdue,
                )
            )
        return projects

    @api.model
    def _latest_satisfaction(self, partner_ids):
        """Latest customer feedback (0-100) per customer: the newest row of the satisfaction
        sources (Odoo's ratings, feedback answers), in one query."""
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (fb.partner_id) fb.partner_id, fb.score
                  FROM (%(sources)s) AS fb(partner_id, score, day)
                 ORDER BY fb.partner_id, fb.day DESC
                """,
                sources=SQL(" UNION ALL ").join(self._satisfaction_sources(list(partner_ids))),
            )
        )
        return {row[0]: row[1] for row in self.env.cr.fetchall()}

    @api.model
    def _satisfaction_sources(self, partner_ids):
        """Hook: queries of (commercial partner, satisfaction 0-100, when) rows of what these
        customers told: Odoo's ratings here; the feedback feature adds its answers. Scores go
        through satisfaction_sql, the engine's scale."""
        return [
            SQL(
                """
                SELECT pa.commercial_partner_id, %(score)s, rating_rating.write_date
                  FROM rating_rating
                  JOIN res_partner pa ON pa.id = rating_rating.partner_id
                 WHERE rating_rating.consumed AND rating_rating.rating >= 1
                   AND pa.commercial_partner_id = ANY(%(partners)s)
                """,
                score=satisfaction_sql(feedback.RATING, SQL("rating_rating.rating")),
                partners=partner_ids,
            )
        ]

    @api.model
    def _read_current_values(self, partner_ids, companies):
        """Health, stage and their dates as stored now, to keep the previous score and the
        date the stage was entered; and the date the customer was marked lost. Each company's
        values are taken out of the jsonb columns by PostgreSQL, already typed."""
        columns = []
        for company in companies:
            key = str(company.id)
            columns += [
                SQL("(retention_health_score ->> %s)::numeric::int", key),
                SQL("(retention_health_score_prev ->> %s)::numeric::int", key),
                SQL("retention_health_trend ->> %s", key),
                SQL("retention_stage ->> %s", key),
                SQL("(retention_stage_date ->> %s)::date", key),
                SQL("(retention_lost_date ->> %s)::date", key),
                SQL("retention_health_factors ->> %s", key),
            ]
        self.env.cr.execute(
            SQL(
                "SELECT id, %s FROM res_partner WHERE id = ANY(%s)",
                SQL(", ").join(columns),
                list(partner_ids),
            )
        )
        names = ("health", "prev", "trend", "stage", "stage_date", "lost_date", "factors")
        current = {}
        for row in self.env.cr.fetchall():
            for index, company in enumerate(companies):
                values = row[1 + index * len(names) : 1 + (index + 1) * len(names)]
                current[(company.id, row[0])] = dict(zip(names, values, strict=True))
        return current

    # ------------------------------------------------------------------
    # Evaluation and writing
    # ------------------------------------------------------------------
    @api.model
    def _customer_facts(self, company_id, partner_id, facts, lost_date=None):
        invoice = facts["invoices"].get((company_id, partner_id), {})
        contact_dates = [
            facts["contacts"].get(key)
            for key in ((None, partner_id), (company_id, partner_id))
            if facts["contacts"].get(key)
        ]
        projects = facts["projects"].get((company_id, partner_id), {"open": [], "done": 0})
        shared = facts["projects"].get((None, partner_id), {"open": [], "done": 0})
        return (
            CustomerFacts(
                first_invoice_date=invoice.get("first_invoice_date"),
                last_invoice_date=invoice.get("last_invoice_date"),
                invoice_date_count=invoice.get("invoice_date_count", 0),
                last_winback_date=invoice.get("winback_date"),
                revenue_12m=invoice.get("revenue_12m", 0.0),
                revenue_prev_12m=invoice.get("revenue_prev_12m", 0.0),
                invoice_count_12m=invoice.get("invoice_count_12m", 0),
                credit_note_count_12m=invoice.get("credit_note_count_12m", 0),
                overdue_amount=invoice.get("overdue_amount", 0.0),
                overdue_days=invoice.get("overdue_days", 0),
                last_contact_date=max(contact_dates) if contact_dates else None,
                satisfaction=facts["satisfaction"].get(partner_id),
                open_projects=tuple(projects["open"] + shared["open"]),
                lost_date=lost_date,
            ),
            invoice,
            projects["done"] + shared["done"],
        )

    @api.model
    def _evaluate_company(self, company, partner_ids, visible, facts, current, today):
        """One row of figures per partner visible in this company."""
        weights = company._retention_weights()
        rules = company._retention_stage_rules()
        rows = []
        for partner_id in partner_ids:
            if visible.get(partner_id) not in (None, company.id):
                continue
            old = current[(company.id, partner_id)]
            customer, invoice, done_projects = self._customer_facts(
                company.id, partner_id, facts, lost_date=old["lost_date"]
            )
            result = evaluate(customer, weights, rules, today)
            row = self._figure_row(partner_id, customer, invoice, done_projects, result, old, today)
            row.update(self._cockpit_figures(customer, result, rules, today))
            rows.append(row)
        return rows

    @api.model
    def _cockpit_figures(self, customer, result, rules, today):
        """The cockpit's figures (issue #19): engine.reasons.main_reason as stored JSON
        (factor, code, params) and the date the next invoice is expected by the customer's
        own buying rhythm (engine.health.buying_rhythm_days)."""
        if not customer.last_invoice_date:
            return {"retention_main_reason_data": None, "retention_expected_invoice_date": None}
        reason = main_reason(result.factors, customer, rules, today)
        rhythm = buying_rhythm_days(
            customer.first_invoice_date, customer.last_invoice_date, customer.invoice_date_count
        )
        return {
            "retention_main_reason_data": json.dumps(
                {"factor": reason[0], "code": reason[1], "params": reason[2]}, sort_keys=True
            )
            if reason
            else None,
            "retention_expected_invoice_date": customer.last_invoice_date + timedelta(days=rhythm),
        }

    @api.model
    def _figure_row(self, partner_id, customer, invoice, done_projects, result, old, today):
        lifetime = invoice.get("revenue_lifetime", 0.0)
        # a change of the weights in Settings is not the customer getting better or worse:
        # the trend and the previous score are kept (issue #17)
        health_changed = (
            old["health"] is not None
            and old["health"] != result.health
            and not weights_changed(old.get("factors"), result.factors)
        )
        prev = old["health"] if health_changed else old["prev"]
        if health_changed:
            trend = "up" if result.health > old["health"] else "down"
        else:
            trend = old["trend"]
        return {
            "id": partner_id,
            "retention_customer_since": customer.first_invoice_date,
            "retention_last_invoice_date": customer.last_invoice_date,
            "retention_last_contact_date": customer.last_contact_date,
            "retention_revenue_12m": customer.revenue_12m,
            "retention_revenue_prev_12m": customer.revenue_prev_12m,
            "retention_revenue_lifetime": lifetime,
            # the repeat share of engine.metrics: after the first invoice against the rest,
            # each part counted when positive (0-100 %, credit notes cannot push it out)
            "retention_repeat_revenue_share": round(
                metrics.repeat_revenue_share(
                    invoice.get("repeat_revenue", 0.0),
                    lifetime - invoice.get("repeat_revenue", 0.0),
                )
                or 0.0,
                1,
            ),
            "retention_overdue_amount": customer.overdue_amount,
            "retention_overdue_days": customer.overdue_days,
            "retention_invoice_count": invoice.get("invoice_count", 0),
            "retention_credit_note_count": customer.credit_note_count_12m,
            "retention_project_open_count": len(customer.open_projects),
            "retention_project_done_count": done_projects,
            "retention_health_score": result.health,
            "retention_health_score_prev": prev,
            "retention_health_trend": trend,
            "retention_revenue_trend": metrics.revenue_trend(
                customer.revenue_12m, customer.revenue_prev_12m
            ),
            "retention_health_factors": json.dumps(
                {
                    f.name: {
                        "score": f.score,
                        "weight": f.weight,
                        "share": round(f.share, 2),
                        "points": round(f.points, 2),
                    }
                    for f in result.factors
                }
            )
            if customer.last_invoice_date
            else None,
            "retention_stage": result.stage,
            "retention_stage_date": (
                old["stage_date"] if old["stage"] == result.stage and old["stage_date"] else today
            ),
        }

    @api.model
    def _write_company_figures(self, company, rows):
        """One UPDATE merging this company's values into the jsonb columns of every row whose
        figures changed (the daily run leaves most rows as they are: no new row versions).
        The rows travel as one JSON document: cheaper to build and to parse than one SQL
        array literal per column."""
        if not rows:
            return
        key = str(company.id)
        assignments = []
        changes = []
        record_columns = [SQL("id int")]
        for column, cast, nullable in FIGURE_COLUMNS:
            name = SQL.identifier(column)
            value = SQL("jsonb_build_object(%s, v.%s)", key, name)
            if nullable:
                # drop the key instead of storing JSON null, so the ORM reads its fallback
                merged = SQL(
                    "(COALESCE(p.%s, '{}'::jsonb) - %s) || jsonb_strip_nulls(%s)", name, key, value
                )
            else:
                merged = SQL("COALESCE(p.%s, '{}'::jsonb) || %s", name, value)
            assignments.append(SQL("%s = %s", name, merged))
            # compare this company's value only: building the merged objects of every row
            # just to compare them cost more than the rest of the write
            changes.append(SQL("p.%s -> %s IS DISTINCT FROM to_jsonb(v.%s)", name, key, name))
            record_columns.append(SQL("%s %s", name, SQL(cast.removesuffix("[]"))))
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_partner p SET %(assignments)s
                  FROM jsonb_to_recordset(%(rows)s::jsonb) AS v(%(record_columns)s)
                 WHERE p.id = v.id AND (%(changes)s)
                """,
                assignments=SQL(", ").join(assignments),
                changes=SQL(" OR ").join(changes),
                rows=json.dumps(rows, default=str),
                record_columns=SQL(", ").join(record_columns),
            )
        )
