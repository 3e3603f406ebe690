"""18.0.1.1.0 adds retention analytics and customer feedback, and changes the health engine.

- Analytics need history from day one: the install hook does not run on an upgrade, so the
  monthly snapshots are rebuilt from the invoice history here.
- Figures computed by the earlier engine are refreshed by the next run of the refresh job
  instead of waiting for the daily recompute. Every customer is queued for it by the
  18.0.1.2.0 step, which always runs after this one (an upgrade from before 18.0.1.1.0 goes
  through both); this step used to queue them itself, through a builder method since renamed.

The snapshots are rebuilt by the module's own entry point on purpose: they must follow the
rules of the release being installed, not a frozen copy of the 18.0.1.1.0 query.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["retention.snapshot"]._backfill()
    env.ref("customer_retention.ir_cron_retention_refresh_changed")._trigger()
