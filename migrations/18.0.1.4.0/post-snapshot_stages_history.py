"""18.0.1.4.0: the health history (issue #18). The snapshots of an older release have no
health score or factor scores for their past months (the factor columns are added empty by
the model's init), so an upgraded database would show no health chart and Score Check would
have nothing to test for up to two years. Each company whose snapshots hold no factor score
yet (its history was never built) is rebuilt by the module's one idempotent rebuild,
``retention.snapshot._backfill``, as an install does: snapshots, the health of every closed
month of the history window, the metric rows, and every month stamped done for the daily job.

The file name sorts after post-snapshot_stages.py, which Odoo runs first (same release,
sorted by name): that step marks every month for a rebuild by the daily job; the backfill
rebuilds them here and stamps them done, so the job has nothing left to redo. The module's
own entry point is called on purpose: the history must follow the rules of the release
being installed, not a frozen copy of its query."""

from odoo import SUPERUSER_ID, api

#: Frozen: the companies whose snapshots have no factor score (the columns of this release).
COMPANIES_WITHOUT_HISTORY = """
    SELECT c.id FROM res_company c
     WHERE NOT EXISTS (
           SELECT 1 FROM retention_snapshot s
            WHERE s.company_id = c.id
              AND (s.recency_score IS NOT NULL OR s.trend_score IS NOT NULL
                   OR s.payment_score IS NOT NULL OR s.engagement_score IS NOT NULL
                   OR s.satisfaction_score IS NOT NULL OR s.delivery_score IS NOT NULL))
     ORDER BY c.id
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute("SELECT to_regclass('retention_snapshot')")
    if cr.fetchone()[0] is None:
        return
    cr.execute(COMPANIES_WITHOUT_HISTORY)
    company_ids = [row[0] for row in cr.fetchall()]
    if not company_ids:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["retention.snapshot"]._backfill(env["res.company"].browse(company_ids))
