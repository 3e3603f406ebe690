"""18.0.1.2.0 reworks the storage of the refresh for large databases (issue #8).

- Customers waiting for a refresh are rows of retention.profile.queue instead of a flag on
  res_partner: the marks left by the previous release are moved, and the column dropped.
- The first-invoice and repeat-business flags of invoices are computed when read instead of
  stored on every invoice: their columns are dropped.
- The figures written by the builder are no longer indexed (Odoo indexes company-dependent
  fields unless told not to, and keeps an index it no longer expects): their indexes are
  dropped, the stage's is kept.
- The retention metric report's rows are stored (retention_metric_period) instead of being
  derived from the snapshots at each read: they are built here from the snapshots.
- Every customer is queued once, so that the next run of the refresh job computes the figures
  with the rewritten builder instead of waiting for the daily recompute.

Frozen: the columns, indexes and the queue are named here as literals (QUEUE_ALL_CUSTOMERS),
not through the module's constants or methods, which later releases may rename. The metric
rows are rebuilt by the module's own entry point on purpose: they must follow the rules of
the release being installed.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL
from odoo.tools.sql import column_exists, make_index_name, table_exists

#: The figure columns as they were in 18.0.1.2.0 (frozen: later releases may add or drop
#: figures, this migration must keep dropping the same indexes).
INDEXED_FIGURES_DROPPED = (
    "retention_customer_since",
    "retention_last_invoice_date",
    "retention_last_contact_date",
    "retention_revenue_12m",
    "retention_revenue_prev_12m",
    "retention_revenue_lifetime",
    "retention_repeat_revenue_share",
    "retention_overdue_amount",
    "retention_overdue_days",
    "retention_invoice_count",
    "retention_credit_note_count",
    "retention_project_open_count",
    "retention_project_done_count",
    "retention_health_score",
    "retention_health_score_prev",
    "retention_health_trend",
    "retention_revenue_trend",
    "retention_health_factors",
    "retention_stage_date",
)
#: Every customer (a commercial partner with a customer rank or figures) queued for the
#: refresh job, as the builder queued them in 18.0.1.2.0.
QUEUE_ALL_CUSTOMERS = """
    INSERT INTO retention_profile_queue (partner_id)
    SELECT id FROM res_partner
     WHERE id = commercial_partner_id AND (customer_rank > 0 OR retention_stage IS NOT NULL)
    ON CONFLICT (partner_id) DO NOTHING
"""


def migrate(cr, version):
    if not version:
        return
    if column_exists(cr, "res_partner", "retention_dirty"):
        cr.execute(
            """
            INSERT INTO retention_profile_queue (partner_id)
            SELECT id FROM res_partner WHERE retention_dirty
            ON CONFLICT (partner_id) DO NOTHING
            """
        )
        cr.execute("ALTER TABLE res_partner DROP COLUMN retention_dirty")
    for column in ("retention_is_first_invoice", "retention_is_repeat"):
        if column_exists(cr, "account_move", column):
            cr.execute(SQL("ALTER TABLE account_move DROP COLUMN %s", SQL.identifier(column)))
    for column in INDEXED_FIGURES_DROPPED:
        index = make_index_name("res_partner", column)
        cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(index)))
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["retention.snapshot"]._rebuild_all_metrics()
    if table_exists(cr, "retention_profile_queue"):
        env.flush_all()
        cr.execute(QUEUE_ALL_CUSTOMERS)
    env.ref("customer_retention.ir_cron_retention_refresh_changed")._trigger()
