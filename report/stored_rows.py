"""What the reports whose rows are stored share (the metric report's retention_metric_period,
the cohort report's retention_cohort_period): the table made from the report's columns, a
company's rows replaced from the report's query, and the joins that read who the customer is
(account manager, country, industry) when the report is read."""

from odoo.tools import SQL


def create_rows_table(cr, table, columns, index, index_columns):
    """The table of ``columns`` [(name, SQL type)] and its ``index`` on ``index_columns``, when
    missing. No foreign keys, like the snapshots (bulk writes); customers with invoices cannot
    be deleted."""
    cr.execute(
        SQL(
            "CREATE TABLE IF NOT EXISTS %s (%s)",
            SQL.identifier(table),
            SQL(", ".join(f"{name} {sql_type}" for name, sql_type in columns)),
        )
    )
    cr.execute(
        SQL(
            "CREATE INDEX IF NOT EXISTS %s ON %s (%s)",
            SQL.identifier(index),
            SQL.identifier(table),
            SQL(", ").join(SQL.identifier(name) for name in index_columns),
        )
    )


def replace_rows(env, table, columns, condition, query):
    """Make the rows of ``table`` meeting ``condition`` (SQL) those ``query`` gives, in the
    order of ``columns`` (from the snapshots, flushed first); returns the number of rows the
    query gives. Only what changed is written: the query's rows go to a temporary table, the
    stored rows that are no longer among them (same id, same values) are deleted and the
    missing ones inserted. A day's rebuild of the running periods recomputes some 250,000
    rows at 100,000 customers, of which few change (a stage, an invoice): writing all of them
    again cost the daily job most of its time and left as many dead rows in the tables the
    dashboard reads (issue #18, #21)."""
    env["retention.snapshot"].flush_model()
    # no JIT compilation (the cost estimate is huge, the gain nil), room to sort in memory
    env.cr.execute("SET LOCAL jit = off")
    env.cr.execute("SET LOCAL work_mem = '256MB'")
    names = [name for name, _sql_type in columns]
    stored, new = SQL.identifier(table), SQL.identifier(f"{table}_new")
    listed = SQL(", ").join(SQL.identifier(name) for name in names)

    def values(alias):
        return SQL(", ").join(SQL.identifier(alias, name) for name in names if name != "id")

    env.cr.execute(SQL("SELECT EXISTS (SELECT FROM %s WHERE %s)", stored, condition))
    if not env.cr.fetchone()[0]:
        # nothing stored yet (an install, a backfill of new periods): nothing to compare
        env.cr.execute(SQL("INSERT INTO %s (%s) %s", stored, listed, query))
        return env.cr.rowcount
    env.cr.execute(SQL("DROP TABLE IF EXISTS %s", new))
    env.cr.execute(SQL("CREATE TEMPORARY TABLE %s (LIKE %s) ON COMMIT DROP", new, stored))
    env.cr.execute(SQL("INSERT INTO %s (%s) %s", new, listed, query))
    computed = env.cr.rowcount
    env.cr.execute(SQL("ANALYZE %s", new))
    env.cr.execute(
        SQL(
            """
            DELETE FROM %(stored)s t
             WHERE %(condition)s
               AND NOT EXISTS (SELECT 1 FROM %(new)s n
                                WHERE n.id = t.id AND (%(n)s) IS NOT DISTINCT FROM (%(t)s))
            """,
            stored=stored,
            new=new,
            condition=condition,
            n=values("n"),
            t=values("t"),
        )
    )
    env.cr.execute(
        SQL(
            """
            INSERT INTO %(stored)s (%(listed)s)
            SELECT %(listed)s FROM %(new)s n
             WHERE NOT EXISTS (SELECT 1 FROM %(stored)s t WHERE t.id = n.id AND %(condition)s)
            """,
            stored=stored,
            new=new,
            listed=listed,
            condition=condition,
        )
    )
    env.cr.execute(SQL("DROP TABLE %s", new))
    return computed


def customer_rows_from(table, rows, company):
    """The FROM clause of a report reading stored rows ``table`` (alias ``rows``) with their
    company (alias ``company``) and customer (alias ``p``); left joins, so that PostgreSQL
    removes those a query does not use."""
    return SQL(
        "FROM %(table)s %(rows)s "
        "LEFT JOIN res_company %(company)s ON %(company)s.id = %(rows)s.company_id "
        "LEFT JOIN res_partner p ON p.id = %(rows)s.partner_id",
        table=SQL.identifier(table),
        rows=SQL.identifier(rows),
        company=SQL.identifier(company),
    )
