"""18.0.1.4.0: the stage of a snapshot month rebuilt from history is the stage rules as of the
month's last day, in days like the customers' stage (issue #16), no longer derived from the
revenue with the day windows turned into months. Every month that has snapshots is marked
for a rebuild: the daily job *Retention: update monthly snapshots* rebuilds them one
(company, month) at a time, committed, then the metric rows of their periods. Stages recorded
live (with their health score) are kept, as every rebuild keeps them."""

#: Frozen: the job table and its columns as this release has them.
MARK_ALL_MONTHS = """
    INSERT INTO retention_snapshot_job (company_id, month, create_uid, write_uid, create_date,
                                        write_date)
    SELECT DISTINCT s.company_id, s.month, 1, 1, now() AT TIME ZONE 'UTC',
           now() AT TIME ZONE 'UTC'
      FROM retention_snapshot s
      JOIN res_company c ON c.id = s.company_id
    ON CONFLICT (company_id, month) DO UPDATE SET done_on = NULL, metrics_done_on = NULL
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute("SELECT to_regclass('retention_snapshot_job'), to_regclass('retention_snapshot')")
    if None in cr.fetchone():
        return
    cr.execute(MARK_ALL_MONTHS)
