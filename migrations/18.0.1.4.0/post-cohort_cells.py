"""18.0.1.4.0: the cells of the cohort report are stored (retention_cohort_period) instead of
being derived from the snapshots at each read (issue #21: the pivot took 3.5 s at 100,000
customers). The table is created by the report's init(); its cells are built here from the
snapshots of every company, by the module's own entry point on purpose: they must follow the
rules of the release being installed. The daily snapshot job rebuilds them after."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cr.execute("SELECT DISTINCT company_id FROM retention_snapshot")
    cohorts = env["retention.cohort.report"]
    for company in env["res.company"].browse([row[0] for row in cr.fetchall()]).exists():
        cohorts._rebuild_cohorts(company)
