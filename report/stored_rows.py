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
    """Delete the rows of ``table`` meeting ``condition`` (SQL) and insert those ``query``
    gives, in the order of ``columns``; one big statement each, from the snapshots (flushed
    first). Returns the number of rows inserted."""
    env["retention.snapshot"].flush_model()
    # no JIT compilation (the cost estimate is huge, the gain nil), room to sort in memory
    env.cr.execute("SET LOCAL jit = off")
    env.cr.execute("SET LOCAL work_mem = '256MB'")
    env.cr.execute(SQL("DELETE FROM %s WHERE %s", SQL.identifier(table), condition))
    env.cr.execute(
        SQL(
            "INSERT INTO %s (%s) %s",
            SQL.identifier(table),
            SQL(", ").join(SQL.identifier(name) for name, _sql_type in columns),
            query,
        )
    )
    return env.cr.rowcount


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
