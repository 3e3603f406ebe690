from datetime import date

from odoo import api, fields, models
from odoo.tools import SQL

from ..models.field_kinds import column
from ..models.profile.res_partner import MONEY_GROUPS
from .stored_rows import create_rows_table, customer_rows_from, replace_rows

#: The table of the report's stored cells.
CELL_TABLE = "retention_cohort_period"

COHORT_HELP = (
    "Customers grouped by the month (or quarter) of their first invoice: one row per customer "
    "of the cohort and per period since, from the cohort's own period (0) to today. Pick "
    "Monthly or Quarterly cohorts, then read each cell (cohort x periods later)."
)


class RetentionCohortReport(models.Model):
    """Cohorts of customers by first invoice, followed period by period: cells computed from
    retention.snapshot when the snapshots change (_rebuild_cohorts) and stored in
    retention_cohort_period; the customer's account manager, country and industry are read at
    query time."""

    _name = "retention.cohort.report"
    _description = "Retention cohorts"
    _inherit = ["retention.report.dimensions"]
    _auto = False
    _order = "cohort desc, period_offset"
    _rec_name = "partner_id"

    granularity = fields.Selection(
        [("month", "Monthly cohorts"), ("quarter", "Quarterly cohorts")],
        readonly=True,
        help=COHORT_HELP,
    )
    cohort = fields.Date(
        readonly=True, help="First day of the month or quarter of the customers' first invoice."
    )
    period = fields.Date(readonly=True, help="The month or quarter the figures are for.")
    period_offset = column(
        fields.Integer,
        "Periods Later",
        "Months (monthly cohorts) or quarters (quarterly cohorts) since the cohort's "
        "first period; 0 is the period of the first invoice.",
        aggregator=False,
    )
    cohort_size = column(
        fields.Integer,
        "Cohort Customers",
        "Customers first invoiced in the cohort's period.",
        aggregator="max",
    )
    active_count = column(
        fields.Integer,
        "Still Active",
        "Customers of the cohort active at the end of the period (12-month revenue above zero).",
    )
    active_share = column(
        fields.Float,
        "Still Active (%)",
        "Share of the cohort still active at the end of the period: still active / cohort "
        "customers (each row is 100 when active, 0 when not, and every customer of the cohort "
        "has one row per period, so the average is the share).",
        aggregator="avg",
        digits=(5, 1),
    )
    invoiced_share = column(
        fields.Float,
        "Invoiced in Period (%)",
        "Share of the cohort invoiced in the period (revenue net of credit notes above "
        "zero in that month or quarter). Period 0 is the cohort itself: 100 %. Unlike Still "
        "Active, which holds for 12 months after any invoice, it falls as soon as customers "
        "stop buying.",
        aggregator="avg",
        digits=(5, 1),
    )
    revenue = fields.Monetary(
        readonly=True,
        groups=MONEY_GROUPS,
        help="Invoiced to the cohort's customers in the period, net of credit notes.",
    )
    revenue_retained_share = column(
        fields.Float,
        "Revenue Retained (%)",
        "Revenue of the cohort in the period / its revenue in its first period (0). Each "
        "row carries its revenue x cohort customers / first-period revenue, so the average over "
        "one cohort's cell is the share; read it per cohort, not on totals.",
        money=True,
        aggregator="avg",
        digits=(5, 1),
    )

    @property
    def _table_query(self):
        # the rows are stored (retention_cohort_period); who the customer's account manager,
        # country and industry are is read now. Unused joins are removed by PostgreSQL.
        self.env["res.partner"].flush_model(
            ["retention_account_manager_id", "country_id", "industry_id"]
        )
        return SQL("%s %s WHERE %s", self._select(), self._from(), self._where())

    def init(self):
        """The cells are computed from the snapshots when they change (_rebuild_cohorts) and
        stored here, like the metric report's rows: the pivot sums stored rows instead of
        deriving every period of every customer from millions of snapshots at each of its
        read_group calls (3.5 s at 100,000 customers, issue #21). No foreign keys, like the
        snapshots (bulk writes); customers with invoices cannot be deleted."""
        create_rows_table(
            self.env.cr,
            CELL_TABLE,
            self._cell_columns(),
            "retention_cohort_period_company_granularity_idx",
            ["company_id", "granularity"],
        )

    @api.model
    def _rebuild_cohorts(self, company, period_from=None):
        """Recompute this company's cells from its snapshots: all of them, or those of the
        periods from the one holding ``period_from`` on (the snapshots of earlier months did
        not change: neither did those periods' cells, nor the size and first revenue of the
        cohorts before it). One DELETE and one INSERT. Returns the number of rows."""
        condition = SQL("company_id = %s", company.id)
        if period_from:
            condition = SQL(
                "%s AND period >= date_trunc(granularity, %s::date)::date",
                condition,
                period_from,
            )
        written = replace_rows(
            self.env,
            CELL_TABLE,
            self._cell_columns(),
            condition,
            self._cohort_query(fields.Date.context_today(self), company.id, period_from),
        )
        self.invalidate_model()
        return written

    # ------------------------------------------------------------------
    # The report reads the stored cells, in parts others override (as account.invoice.report
    # does): _select/_from/_where; a module adding a column extends _select (and _from for a
    # join), a filter extends _where. The stored cells' query has its own parts: _with builds
    # them (a customer per cohort period), _cell_select gives their columns (_cell_columns).
    # ------------------------------------------------------------------
    @api.model
    def _select(self):
        return SQL(
            """
            SELECT s.*, co.currency_id, p.retention_account_manager_id AS account_manager_id,
                   p.country_id, p.industry_id
            """
        )

    @api.model
    def _from(self):
        return customer_rows_from(CELL_TABLE, "s", "co")

    @api.model
    def _where(self):
        """Which cells the report shows: all of them (a condition on ``s``, ``co``, ``p``)."""
        return SQL("TRUE")

    @api.model
    def _cell_columns(self):
        """The columns of retention_cohort_period, in the order of _cell_select."""
        return [
            ("id", "BIGINT PRIMARY KEY"),
            ("company_id", "INTEGER NOT NULL"),
            ("partner_id", "INTEGER NOT NULL"),
            ("granularity", "VARCHAR NOT NULL"),
            ("cohort", "DATE NOT NULL"),
            ("period", "DATE NOT NULL"),
            ("period_offset", "INTEGER"),
            ("cohort_size", "INTEGER"),
            ("active_count", "INTEGER"),
            ("active_share", "NUMERIC"),
            ("invoiced_share", "NUMERIC"),
            ("revenue", "NUMERIC"),
            ("revenue_retained_share", "NUMERIC"),
        ]

    @api.model
    def _cohort_query(self, today, company_id, period_from=None):
        """The stored cells of one company up to the month of ``today`` (from the period of
        ``period_from`` on, when given)."""
        current = today.replace(day=1)
        return SQL(
            "%s %s FROM sized s",
            self._with(current, company_id, period_from),
            self._cell_select(),
        )

    @api.model
    def _with(self, current, company_id, period_from=None):
        """The cohort's customers of one company, one row per customer, granularity and
        period since its first invoice (or since the period of ``period_from``) up to the
        ``current`` month, with what the snapshots say of it. A cohort that started before
        ``period_from`` takes its first revenue from its stored period-0 cells."""
        return SQL(
            """
            WITH members AS (
                SELECT company_id, partner_id, MIN(first_invoice_month) AS first_month
                  FROM retention_snapshot
                 WHERE company_id = %(company)s AND first_invoice_month IS NOT NULL
                 GROUP BY company_id, partner_id
            ),
            kinds AS (
                SELECT * FROM (VALUES ('month', 1), ('quarter', 3)) AS k(granularity, months)
            ),
            grid AS (
                SELECT m.company_id, m.partner_id, k.granularity, k.months,
                       date_trunc(k.granularity, m.first_month)::date AS cohort,
                       g.period::date AS period
                  FROM members m
                 CROSS JOIN kinds k
                 CROSS JOIN LATERAL generate_series(
                       GREATEST(date_trunc(k.granularity, m.first_month),
                                date_trunc(k.granularity, %(period_from)s::date)),
                       date_trunc(k.granularity, %(current)s::date),
                       make_interval(months => k.months)) AS g(period)
            ),
            per_period AS (
                -- a customer's month is its snapshot; its quarter, its three snapshots
                SELECT s.company_id, s.partner_id, 'month' AS granularity, s.month AS period,
                       s.revenue_month AS revenue, s.is_active AS active
                  FROM retention_snapshot s
                 WHERE s.company_id = %(company)s
                   AND s.month >= date_trunc('month', %(period_from)s::date)
                UNION ALL
                SELECT s.company_id, s.partner_id, 'quarter',
                       date_trunc('quarter', s.month)::date,
                       SUM(s.revenue_month),
                       BOOL_OR(s.is_active AND s.month = LEAST(
                           (date_trunc('quarter', s.month) + interval '2 months')::date,
                           %(current)s::date))
                  FROM retention_snapshot s
                 WHERE s.company_id = %(company)s
                   AND s.month >= date_trunc('quarter', %(period_from)s::date)
                 GROUP BY 1, 2, 3, 4
            ),
            stored_first AS (
                -- the first revenue of the cohorts older than the periods rebuilt
                SELECT granularity, cohort, SUM(revenue) AS revenue
                  FROM retention_cohort_period
                 WHERE company_id = %(company)s AND period_offset = 0
                   AND cohort < date_trunc(granularity, %(period_from)s::date)
                 GROUP BY 1, 2
            ),
            cells AS (
                SELECT g.company_id, g.partner_id, g.granularity, g.cohort, g.period,
                       ((EXTRACT(YEAR FROM g.period) * 12 + EXTRACT(MONTH FROM g.period))
                        - (EXTRACT(YEAR FROM g.cohort) * 12 + EXTRACT(MONTH FROM g.cohort)))::int
                           / g.months AS period_offset,
                       COALESCE(pp.active, FALSE) AS active,
                       COALESCE(pp.revenue, 0) AS revenue
                  FROM grid g
                  LEFT JOIN per_period pp
                    ON pp.company_id = g.company_id AND pp.partner_id = g.partner_id
                   AND pp.granularity = g.granularity AND pp.period = g.period
            ),
            -- a cell's cohort size and its cohort's first revenue: grouped, then joined back
            -- (hash joins on a few thousand groups, where windows sorted every cell)
            sizes AS (
                SELECT granularity, cohort, period, COUNT(*) AS cohort_size
                  FROM cells GROUP BY 1, 2, 3
            ),
            firsts AS (
                SELECT granularity, cohort, SUM(revenue) AS revenue
                  FROM cells WHERE period_offset = 0 GROUP BY 1, 2
            ),
            sized AS (
                SELECT c.*, z.cohort_size, COALESCE(f.revenue, sf.revenue) AS first_revenue
                  FROM cells c
                  JOIN sizes z
                    ON z.granularity = c.granularity AND z.cohort = c.cohort
                   AND z.period = c.period
                  LEFT JOIN firsts f ON f.granularity = c.granularity AND f.cohort = c.cohort
                  LEFT JOIN stored_first sf
                    ON sf.granularity = c.granularity AND sf.cohort = c.cohort
            )
            """,
            current=current,
            company=company_id,
            # every period from the first one when the cells are all rebuilt
            period_from=period_from or date(1900, 1, 1),
        )

    @api.model
    def _cell_select(self):
        """The columns of the stored cells (_cell_columns) from a customer's cell ``s``."""
        return SQL(
            """
            -- an id computed from the row's key (a customer has one cohort per granularity);
            -- assumes fewer than 1000 companies
            SELECT ((s.partner_id::bigint * 1000 + s.company_id) * 2
                    + CASE s.granularity WHEN 'month' THEN 0 ELSE 1 END) * 10000
                   + (EXTRACT(YEAR FROM s.period)::int - 1900) * 12
                   + EXTRACT(MONTH FROM s.period)::int AS id,
                   s.company_id, s.partner_id, s.granularity, s.cohort, s.period,
                   s.period_offset, s.cohort_size,
                   -- period 0 is the cohort itself (first invoiced then): all of it, even when
                   -- earlier credit notes keep the 12-month revenue at or below zero
                   (s.active OR s.period_offset = 0)::int AS active_count,
                   100.0 * (s.active OR s.period_offset = 0)::int AS active_share,
                   100.0 * (s.revenue > 0 OR s.period_offset = 0)::int AS invoiced_share,
                   s.revenue,
                   CASE WHEN s.first_revenue > 0
                        THEN 100.0 * s.revenue * s.cohort_size / s.first_revenue
                   END AS revenue_retained_share
            """
        )
