from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..models.field_kinds import column
from ..models.profile.res_partner import MONEY_GROUPS, RETENTION_STAGES
from .stored_rows import create_rows_table, customer_rows_from, replace_rows

#: The table of the report's stored rows.
PERIOD_TABLE = "retention_metric_period"
#: The table of their sums per company and period (the dashboard without filters).
TOTAL_TABLE = "retention_metric_total"
#: The report's columns the dashboard sums: counts, then amounts.
TOTAL_COUNT_FIELDS = ["customers_start", "customers_end", "customers_gained", "customers_lost"]
TOTAL_MONEY_FIELDS = [
    "revenue_start",
    "revenue_end",
    "revenue_retained",
    "revenue_expansion",
    "revenue_contraction",
    "revenue_churned",
    "revenue_period",
    "revenue_repeat",
    "revenue_new",
    "revenue_at_risk",
    "revenue_lifetime",
]


def money_column(string, help_text):
    """A money column of the report: read-only, and read only by those who may see revenue."""
    return fields.Monetary(string=string, readonly=True, groups=MONEY_GROUPS, help=help_text)


PERIOD_TYPES = [("month", "Month"), ("quarter", "Quarter"), ("year", "Year")]
PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}

# One text per metric, shared by the fields' help, the dashboard and the README.
METRIC_HELP = {
    "customer_retention_rate": "Customer retention rate: (customers active at the end of the "
    "period - customers gained in the period) / customers active at the start. Gained = active "
    "at the end but not at the start: new customers and won-back ones.",
    "logo_churn_rate": "Logo churn rate: customers active at the start and no longer active at "
    "the end / customers active at the start.",
    "revenue_churn_rate": "Revenue churn: the 12-month revenue (at the start) of the customers "
    "lost in the period / the 12-month revenue of all customers active at the start.",
    "gross_revenue_retention": "Gross revenue retention: the 12-month revenue of the customers "
    "active at the start, minus what was lost to churn and contraction (at most their start "
    "revenue each) / their 12-month revenue at the start. Never above 100%.",
    "net_revenue_retention": "Net revenue retention: the same with expansion: the 12-month "
    "revenue at the end of the customers active at the start / their 12-month revenue at the "
    "start. Above 100% when existing customers grow.",
    "repeat_revenue_share": "Repeat revenue share: revenue invoiced in the period (net of "
    "credit notes) to customers first invoiced in an earlier period / that repeat revenue plus "
    "the revenue of the customers first invoiced in the period, each part counted when "
    "positive, so always within 0-100%. Credit notes dated before a customer's first invoice "
    "(or of a customer only refunded) count in neither part.",
    "revenue_at_risk": "Revenue at risk: the 12-month revenue of the customers in the 'At "
    "Risk' stage at the end of the period (known from the months the daily job ran, as it "
    "needs the health score).",
    "average_lifetime_value": "Average customer lifetime value: revenue invoiced from their "
    "first invoice to the end of the period, per customer active at the end.",
}

REPORT_HELP = (
    "One row per customer, company and period. A customer is active when its 12-month revenue "
    "(posted customer invoices minus credit notes, untaxed, in the company's currency) is above "
    "zero; a period starts at the end of the month before it. Filter one period type (Month, "
    "Quarter or Year) before reading the figures. The rates (%) average correctly over any "
    "grouping; the revenue columns are numerators: gross and net revenue retention and revenue "
    "churn divide them by the 12-month revenue at start, repeat revenue by the revenue in "
    "period, lifetime revenue by the customers at end (the dashboard shows the rates)."
)


class RetentionMetricReport(models.Model):
    """Customers per period: sums of these rows give the retention metrics. The rows are
    computed from retention.snapshot when the snapshots change (_rebuild_periods) and stored in
    retention_metric_period; the customer's account manager, country and industry are read
    at query time."""

    _name = "retention.metric.report"
    _description = "Retention metrics per period"
    _inherit = ["retention.report.dimensions"]
    _auto = False
    _order = "period_start desc, company_id, partner_id"
    _rec_name = "partner_id"

    period_type = fields.Selection(PERIOD_TYPES, readonly=True, help=REPORT_HELP)
    period_start = column(fields.Date, "Period")
    period_end = column(
        fields.Date,
        "Period End Month",
        "The month whose end closes the period (this month for the running period).",
    )
    first_invoice_month = column(fields.Date, "Cohort")
    stage_end = column(fields.Selection, "Stage at End", selection=RETENTION_STAGES)

    customers_start = column(
        fields.Integer, "Customers at Start", "Active at the start of the period."
    )
    customers_end = column(
        fields.Integer,
        "Customers at End",
        "Customers whose 12-month revenue (posted invoices minus credit notes) is above "
        "zero at the end of the period.",
    )
    customers_gained = fields.Integer(
        readonly=True,
        help="Active at the end, not at the start: new and won-back customers.",
    )
    customers_new = column(fields.Integer, "New Customers", "First invoiced in the period.")
    customers_won_back = column(
        fields.Integer,
        "Won-back Customers",
        "Gained in the period after having been invoiced before.",
    )
    customers_lost = fields.Integer(readonly=True, help="Active at the start, not at the end.")
    customers_retained = fields.Integer(readonly=True, help="Active at the start and at the end.")
    retention_rate = column(
        fields.Float,
        "Customer Retention Rate (%)",
        METRIC_HELP["customer_retention_rate"],
        aggregator="avg",
        digits=(5, 1),
    )
    churn_rate = column(
        fields.Float,
        "Logo Churn Rate (%)",
        METRIC_HELP["logo_churn_rate"],
        aggregator="avg",
        digits=(5, 1),
    )
    revenue_start = money_column(
        "12-month Revenue at Start",
        "Of the customers active at the start: the base of revenue retention and churn.",
    )
    revenue_end = money_column("12-month Revenue at End", "Of the customers active at the end.")
    revenue_retained = money_column(
        "Revenue Retained (gross)", METRIC_HELP["gross_revenue_retention"]
    )
    revenue_net_retained = money_column(
        "Revenue Retained (net)", METRIC_HELP["net_revenue_retention"]
    )
    revenue_expansion = money_column(
        "Expansion", "Growth of the 12-month revenue of customers active at the start and the end."
    )
    revenue_contraction = money_column(
        "Contraction",
        "Decrease of the 12-month revenue of customers active at the start and the end.",
    )
    revenue_churned = money_column("Churned Revenue", METRIC_HELP["revenue_churn_rate"])
    revenue_period = money_column(
        "Revenue in Period", "Invoiced in the period, net of credit notes."
    )
    revenue_repeat = money_column("Repeat Revenue", METRIC_HELP["repeat_revenue_share"])
    revenue_new = money_column(
        "New Revenue",
        "Invoiced in the period, net of credit notes, to customers whose first invoice is in "
        "the period (the other part of the repeat revenue share).",
    )
    revenue_at_risk = money_column("Revenue at Risk", METRIC_HELP["revenue_at_risk"])
    revenue_lifetime = money_column("Lifetime Revenue", METRIC_HELP["average_lifetime_value"])

    @property
    def _table_query(self):
        # the rows are stored (retention_metric_period); who the customer's account manager,
        # country and industry are is read now. Unused joins are removed by PostgreSQL.
        self.env["res.partner"].flush_model(
            ["retention_account_manager_id", "country_id", "industry_id"]
        )
        return SQL("%s %s WHERE %s", self._select(), self._from(), self._where())

    # ------------------------------------------------------------------
    # The report's query, in parts others override (as account.invoice.report does): a
    # module adding a column to the report extends _select (and _from for a join), a filter
    # extends _where.
    # ------------------------------------------------------------------
    @api.model
    def _select(self):
        return SQL(
            """
            SELECT m.*, c.currency_id,
                   -- new revenue (engine.metrics: the other part of the repeat revenue share):
                   -- the customer's first invoice is in the period
                   CASE WHEN m.first_invoice_month >= m.period_start
                         AND m.first_invoice_month <= m.period_end
                        THEN m.revenue_period ELSE 0 END AS revenue_new,
                   p.retention_account_manager_id AS account_manager_id,
                   p.country_id, p.industry_id
            """
        )

    @api.model
    def _from(self):
        return customer_rows_from(PERIOD_TABLE, "m", "c")

    @api.model
    def _where(self):
        """Which stored rows the report shows: all of them (a condition on ``m``, ``c``, ``p``)."""
        return SQL("TRUE")

    def init(self):
        """The rows are computed from the snapshots when they change (retention.snapshot) and
        stored here, so that reading the report or the dashboard sums stored rows instead of
        deriving every period of every customer from millions of snapshots at each read. No
        foreign keys, like the snapshots (bulk writes); customers with invoices cannot be
        deleted."""
        create_rows_table(
            self.env.cr,
            PERIOD_TABLE,
            self._period_columns(),
            "retention_metric_period_company_type_start_idx",
            ["company_id", "period_type", "period_start"],
        )
        self._init_totals()

    def _init_totals(self):
        """The table of the rows' sums per company and period, filled from the stored rows
        when it is new (an upgrade from a version without it)."""
        cr = self.env.cr
        cr.execute("SELECT to_regclass(%s)", [TOTAL_TABLE])
        existed = cr.fetchone()[0]
        create_rows_table(
            cr,
            TOTAL_TABLE,
            [
                ("company_id", "INTEGER NOT NULL"),
                ("period_type", "VARCHAR NOT NULL"),
                ("period_start", "DATE NOT NULL"),
            ]
            + [(name, "BIGINT") for name in TOTAL_COUNT_FIELDS]
            + [(name, "NUMERIC") for name in TOTAL_MONEY_FIELDS],
            "retention_metric_total_company_type_start_idx",
            ["company_id", "period_type", "period_start"],
        )
        if existed:
            return
        cr.execute(SQL("SELECT EXISTS (SELECT FROM %s)", SQL.identifier(PERIOD_TABLE)))
        if cr.fetchone()[0]:
            self._rebuild_totals(SQL("TRUE"))

    @api.model
    def _rebuild_periods(self, company, period_from):
        """Recompute this company's rows of the periods that end on or after the month of
        ``period_from`` (of each type: the month, the quarter and the year holding it, and
        every later one) up to the current one, from the snapshots: one DELETE and one INSERT.
        A period that ended before reads no snapshot of that month or later: it stays as it
        is. Returns the number of rows."""
        period_from = period_from.replace(day=1)
        current = fields.Date.context_today(self).replace(day=1)
        written = replace_rows(
            self.env,
            PERIOD_TABLE,
            self._period_columns(),
            SQL(
                "company_id = %s AND period_start >= date_trunc(period_type, %s::date)::date",
                company.id,
                period_from,
            ),
            self._metric_query(current, company.id, period_from),
        )
        self._rebuild_totals(
            SQL(
                "r.company_id = %s AND r.period_start >= date_trunc(r.period_type, %s::date)::date",
                company.id,
                period_from,
            )
        )
        self.invalidate_model()
        return written

    @api.model
    def _rebuild_totals(self, condition):
        """The sums per company and period of the report's rows that meet ``condition`` (on
        the report's row ``r``), written again: the report's own query adds them up, so that
        the dashboard reads the figures a grouped read of the report gives, without summing
        100,000 customers' rows at each opening (0.56 s at that size)."""
        sums = SQL(", ").join(
            SQL("SUM(r.%s)", SQL.identifier(name))
            for name in TOTAL_COUNT_FIELDS + TOTAL_MONEY_FIELDS
        )
        columns = SQL(", ").join(
            SQL.identifier(name)
            for name in ["company_id", "period_type", "period_start"]
            + TOTAL_COUNT_FIELDS
            + TOTAL_MONEY_FIELDS
        )
        self.env.cr.execute(
            SQL(
                "DELETE FROM %(total)s r WHERE %(condition)s",
                total=SQL.identifier(TOTAL_TABLE),
                condition=condition,
            )
        )
        self.env.cr.execute(
            SQL(
                """INSERT INTO %(total)s (%(columns)s)
                   SELECT r.company_id, r.period_type, r.period_start, %(sums)s
                     FROM (%(rows)s) r
                    WHERE %(condition)s
                    GROUP BY r.company_id, r.period_type, r.period_start""",
                total=SQL.identifier(TOTAL_TABLE),
                columns=columns,
                sums=sums,
                # the report's query without its flush of the customers' fields: the sums do
                # not read them (and init runs before other modules' columns exist)
                rows=SQL("%s %s WHERE %s", self._select(), self._from(), self._where()),
                condition=condition,
            )
        )

    @api.model
    def _company_totals(self, company, period_type, starts):
        """{period start: {column: sum}} of this company's rows of these periods, from the
        stored sums; a period without rows is left out (as in a grouped read)."""
        names = TOTAL_COUNT_FIELDS + TOTAL_MONEY_FIELDS
        self.env.cr.execute(
            SQL(
                "SELECT period_start, %s FROM %s WHERE company_id = %s AND period_type = %s"
                " AND period_start = ANY(%s)",
                SQL(", ").join(SQL.identifier(name) for name in names),
                SQL.identifier(TOTAL_TABLE),
                company.id,
                period_type,
                list(starts),
            )
        )
        return {
            start: dict(zip(names, values, strict=True))
            for start, *values in self.env.cr.fetchall()
        }

    # ------------------------------------------------------------------
    # The stored rows' query, in parts others override: per customer and period, what the
    # snapshots say. A snapshot closes the periods whose last (or current) month it is
    # (_period_contributions, first part) and opens the period that starts the month after it
    # (second part); _period_totals adds them up per customer and period; _period_select turns
    # them into the report's columns (_period_columns, in that order), _period_where keeps the
    # periods asked for.
    # ------------------------------------------------------------------
    @api.model
    def _metric_query(self, current, company_id, period_from):
        """The rows of the periods of one company that end on or after the month
        ``period_from`` up to the ``current`` month, from the snapshots those periods read
        (from the month before the year of ``period_from`` on)."""
        return SQL(
            """
            WITH contributions AS (%(contributions)s),
            periods AS (%(periods)s)
            %(select)s
              FROM periods r
             WHERE %(where)s
            """,
            contributions=self._period_contributions(company_id, period_from, current),
            periods=self._period_totals(),
            select=self._period_select(current),
            where=self._period_where(period_from, current),
        )

    @api.model
    def _period_columns(self):
        """The columns of retention_metric_period, in the order of _period_select."""
        return [
            ("id", "BIGINT PRIMARY KEY"),
            ("company_id", "INTEGER NOT NULL"),
            ("partner_id", "INTEGER NOT NULL"),
            ("period_type", "VARCHAR NOT NULL"),
            ("period_start", "DATE NOT NULL"),
            ("period_end", "DATE"),
            ("first_invoice_month", "DATE"),
            ("stage_end", "VARCHAR"),
            ("customers_start", "INTEGER"),
            ("customers_end", "INTEGER"),
            ("customers_gained", "INTEGER"),
            ("customers_new", "INTEGER"),
            ("customers_won_back", "INTEGER"),
            ("customers_lost", "INTEGER"),
            ("customers_retained", "INTEGER"),
            ("retention_rate", "NUMERIC"),
            ("churn_rate", "NUMERIC"),
            ("revenue_start", "NUMERIC"),
            ("revenue_end", "NUMERIC"),
            ("revenue_retained", "NUMERIC"),
            ("revenue_net_retained", "NUMERIC"),
            ("revenue_expansion", "NUMERIC"),
            ("revenue_contraction", "NUMERIC"),
            ("revenue_churned", "NUMERIC"),
            ("revenue_period", "NUMERIC"),
            ("revenue_repeat", "NUMERIC"),
            ("revenue_at_risk", "NUMERIC"),
            ("revenue_lifetime", "NUMERIC"),
        ]

    @api.model
    def _period_contributions(self, company_id, period_from, current):
        """What each snapshot of the company gives to the periods it closes and to the one it
        opens, for the periods rebuilt (those of each type from the one holding the month
        ``period_from`` on)."""
        return SQL(
            """
                -- a snapshot closes the periods whose last (or current) month it is ...
                SELECT s.company_id, s.partner_id, t.period_type,
                       date_trunc(t.period_type, s.month)::date AS period_start,
                       FALSE AS active_start, 0 AS rev_start,
                       s.is_active AND s.month = e.end_month AS active_end,
                       CASE WHEN s.month = e.end_month THEN s.revenue_12m ELSE 0 END AS rev_end,
                       CASE WHEN s.month = e.end_month THEN s.revenue_lifetime END AS lifetime,
                       CASE WHEN s.month = e.end_month THEN s.stage END AS stage_end,
                       s.revenue_month AS rev_period, s.first_invoice_month
                  FROM retention_snapshot s
                 CROSS JOIN (VALUES ('month', 1), ('quarter', 3), ('year', 12))
                       AS t(period_type, months)
                 CROSS JOIN LATERAL (
                       SELECT LEAST((date_trunc(t.period_type, s.month)
                                     + make_interval(months => t.months - 1))::date,
                                    %(current)s::date) AS end_month) e
                 WHERE s.company_id = %(company)s AND s.month >= %(read_from)s
                   AND s.month >= date_trunc(t.period_type, %(period_from)s::date)
                UNION ALL
                -- ... and opens the period that starts the month after it
                SELECT s.company_id, s.partner_id, t.period_type,
                       (s.month + interval '1 month')::date,
                       s.is_active, s.revenue_12m, FALSE, 0, NULL, NULL, 0, s.first_invoice_month
                  FROM retention_snapshot s
                 CROSS JOIN (VALUES ('month'), ('quarter'), ('year')) AS t(period_type)
                 WHERE s.company_id = %(company)s AND s.month >= %(read_from)s
                   AND s.month < %(current)s
                   AND date_trunc(t.period_type, s.month + interval '1 month')
                       = s.month + interval '1 month'
                   AND s.month + interval '1 month'
                       >= date_trunc(t.period_type, %(period_from)s::date)
            """,
            company=company_id,
            # the month before the first period rebuilt (the year's): it opens that period
            read_from=period_from.replace(month=1) - relativedelta(months=1),
            period_from=period_from,
            current=current,
        )

    @api.model
    def _period_totals(self):
        """The contributions added up: one row per customer and period."""
        return SQL(
            """
                SELECT company_id, partner_id, period_type, period_start,
                       BOOL_OR(active_start) AS active_start,
                       SUM(rev_start) AS rev_start,
                       BOOL_OR(active_end) AS active_end,
                       SUM(rev_end) AS rev_end,
                       MAX(lifetime) AS lifetime,
                       MAX(stage_end) AS stage_end,
                       SUM(rev_period) AS rev_period,
                       MAX(first_invoice_month) AS first_invoice_month
                  FROM contributions
                 GROUP BY company_id, partner_id, period_type, period_start
            """
        )

    @api.model
    def _period_select(self, current):
        """The columns of the stored rows (_period_columns) from a customer's period ``r``."""
        return SQL(
            """
            -- an id computed from the row's key (stable across rebuilds); assumes fewer than
            -- 1000 companies
            SELECT ((r.partner_id::bigint * 1000 + r.company_id) * 4
                    + CASE r.period_type WHEN 'month' THEN 1 WHEN 'quarter' THEN 2 ELSE 3 END)
                   * 10000
                   + (EXTRACT(YEAR FROM r.period_start)::int - 1900) * 12
                   + EXTRACT(MONTH FROM r.period_start)::int AS id,
                   r.company_id, r.partner_id,
                   r.period_type, r.period_start,
                   LEAST((r.period_start + make_interval(months => CASE r.period_type
                          WHEN 'month' THEN 0 WHEN 'quarter' THEN 2 ELSE 11 END))::date,
                         %(current)s::date) AS period_end,
                   r.first_invoice_month, r.stage_end,
                   r.active_start::int AS customers_start,
                   r.active_end::int AS customers_end,
                   (r.active_end AND NOT r.active_start)::int AS customers_gained,
                   (r.active_end AND NOT r.active_start
                    AND r.first_invoice_month >= r.period_start)::int AS customers_new,
                   (r.active_end AND NOT r.active_start
                    AND r.first_invoice_month < r.period_start)::int AS customers_won_back,
                   (r.active_start AND NOT r.active_end)::int AS customers_lost,
                   (r.active_start AND r.active_end)::int AS customers_retained,
                   CASE WHEN r.active_start THEN 100.0 * r.active_end::int END
                       AS retention_rate,
                   CASE WHEN r.active_start THEN 100.0 * (NOT r.active_end)::int END
                       AS churn_rate,
                   CASE WHEN r.active_start THEN GREATEST(r.rev_start, 0) ELSE 0 END
                       AS revenue_start,
                   CASE WHEN r.active_end THEN r.rev_end ELSE 0 END AS revenue_end,
                   CASE WHEN r.active_start AND r.active_end
                        THEN LEAST(GREATEST(r.rev_start, 0), GREATEST(r.rev_end, 0))
                        ELSE 0 END AS revenue_retained,
                   CASE WHEN r.active_start AND r.active_end THEN GREATEST(r.rev_end, 0)
                        ELSE 0 END AS revenue_net_retained,
                   CASE WHEN r.active_start AND r.active_end
                        THEN GREATEST(r.rev_end - GREATEST(r.rev_start, 0), 0)
                        ELSE 0 END AS revenue_expansion,
                   CASE WHEN r.active_start AND r.active_end
                        THEN GREATEST(GREATEST(r.rev_start, 0) - GREATEST(r.rev_end, 0), 0)
                        ELSE 0 END AS revenue_contraction,
                   CASE WHEN r.active_start AND NOT r.active_end
                        THEN GREATEST(r.rev_start, 0) ELSE 0 END AS revenue_churned,
                   r.rev_period AS revenue_period,
                   CASE WHEN r.first_invoice_month < r.period_start THEN r.rev_period
                        ELSE 0 END AS revenue_repeat,
                   CASE WHEN r.active_end AND r.stage_end = 'at_risk' THEN r.rev_end
                        ELSE 0 END AS revenue_at_risk,
                   CASE WHEN r.active_end THEN r.lifetime ELSE 0 END AS revenue_lifetime
            """,
            current=current,
        )

    @api.model
    def _period_where(self, period_from, current):
        """The periods rebuilt: of each type, from the one holding the month ``period_from``
        to the ``current`` month."""
        return SQL(
            "r.period_start >= date_trunc(r.period_type, %(period_from)s::date)::date "
            "AND r.period_start <= %(current)s",
            period_from=period_from,
            current=current,
        )
