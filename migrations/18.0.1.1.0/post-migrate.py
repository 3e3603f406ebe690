"""18.0.1.1.0 adds retention analytics and customer feedback, and changes the health engine.

- Analytics need history from day one: the install hook does not run on an upgrade, so the
  monthly snapshots are rebuilt from the invoice history here.
- Figures computed by the earlier engine are refreshed by the next run of the refresh job
  instead of waiting for the daily recompute.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["retention.snapshot"]._backfill()
    env["retention.profile.builder"]._mark_all_customers_dirty()
    env.ref("customer_retention.ir_cron_retention_refresh_changed")._trigger()
