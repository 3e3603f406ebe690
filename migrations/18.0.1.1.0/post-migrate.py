"""18.0.1.1.0: figures computed by the earlier engine are refreshed by the next run of the
refresh job (the health engine changed), instead of waiting for the daily recompute."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["retention.profile.builder"]._mark_all_customers_dirty()
    env.ref("customer_retention.ir_cron_retention_refresh_changed")._trigger()
