"""--explain FILE: EXPLAIN (ANALYZE, BUFFERS) of the heavy queries, captured as the module
sends them (one builder batch, the refresh job's scan for changes, the customers list)."""

import re
from datetime import timedelta

from odoo import fields
from odoo.tools import SQL

from measure import log, machine_description
from paths import AT_RISK_DOMAIN, LIST_SPECIFICATION

EXPLAINED_TABLES = [
    "account_move", "account_move_line", "res_partner", "mail_message", "project_project",
    "project_task", "rating_rating",
]  # fmt: skip


class QueryCapture:
    """Records the statements a block sends through this cursor (mogrified)."""

    def __init__(self, cr):
        self.cr = cr
        self.statements = []

    def __enter__(self):
        cr = self.cr
        original = cr.execute

        def execute(query, params=None, log_exceptions=True):
            if isinstance(query, SQL):
                code, args = query.code, query.params
            else:
                code, args = query, params
            self.statements.append(cr._obj.mogrify(code, args).decode())
            return original(query, params, log_exceptions)

        cr.execute = execute
        return self

    def __exit__(self, *exc):
        del self.cr.execute
        return False


def explain_statements(cr, title, statements, out, skip=()):
    """EXPLAIN (ANALYZE, BUFFERS) each statement in a savepoint that is rolled back."""
    for number, statement in enumerate(statements, start=1):
        head = " ".join(statement.split())[:160].rstrip()
        if re.match(r"\s*SET\b", statement, re.I):
            cr.execute(statement)  # e.g. SET LOCAL jit = off: the statements after it need it
            print(f"\n===== {title} #{number}: {head}", file=out)
            continue
        if not re.match(r"\s*(SELECT|WITH|UPDATE)\b", statement, re.I) or any(
            word in head for word in skip
        ):
            continue
        print(f"\n===== {title} #{number}: {head}", file=out)
        cr.execute("SAVEPOINT bench_explain")
        try:
            cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
            for (line,) in cr.fetchall():
                print(line.rstrip(), file=out)
        except Exception as error:  # noqa: BLE001 - report and go on
            print(f"(could not explain: {error})", file=out)
        finally:
            cr.execute("ROLLBACK TO SAVEPOINT bench_explain")


def _middle_batch(cr, size):
    """A batch from the middle of the id range: the job takes batches in id order, and a plan
    can be cheap for the first batch and not for later ones."""
    cr.execute(
        """
        WITH c AS (
            SELECT id FROM res_partner
             WHERE id = commercial_partner_id AND (customer_rank > 0 OR retention_stage IS NOT NULL)
        )
        SELECT id FROM c ORDER BY id OFFSET (SELECT COUNT(*) / 2 FROM c) LIMIT %s
        """,
        (size,),
    )
    return [row[0] for row in cr.fetchall()]


def _print_table_sizes(cr, out):
    cr.execute(
        "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname = ANY(%s) "
        "ORDER BY relname",
        (EXPLAINED_TABLES,),
    )
    for name, rows in cr.fetchall():
        print(f"  {name}: {rows:,} rows", file=out)


def explain_heavy_queries(bench, path):
    """The builder's queries for one batch of ``batch_size`` customers (from the middle of the
    ids), the refresh job's scan for changes, and the customers list."""
    env, cr = bench.env, bench.cr
    builder = bench.builder
    batch = _middle_batch(cr, bench.batch_size())
    with open(path, "w", encoding="utf-8") as out:
        print(
            f"EXPLAIN (ANALYZE, BUFFERS), database {cr.dbname}, {machine_description()}", file=out
        )
        _print_table_sizes(cr, out)
        env.invalidate_all()
        with QueryCapture(cr) as capture:
            builder._compute_partners(batch)
        cr.rollback()
        explain_statements(cr, f"builder, batch of {len(batch)} from the middle of the ids",
                           capture.statements, out,
                           skip=("res_company", "ir_config_parameter", "res_users"))  # fmt: skip
        since = fields.Datetime.now() - timedelta(hours=1)
        query = builder._changed_customers_query(since)
        explain_statements(cr, "refresh scan for changes since 1 hour",
                           [cr._obj.mogrify(query.code, query.params).decode()], out)  # fmt: skip
        admin = env.ref("base.user_admin")
        list_env = env(user=admin.id, su=False, context={"lang": "en_US", "tz": "UTC",
                       "allowed_company_ids": [env.company.id]})  # fmt: skip
        with QueryCapture(cr) as capture:
            list_env["res.partner"].web_search_read(AT_RISK_DOMAIN, LIST_SPECIFICATION, limit=80)
        explain_statements(cr, "customers list (at risk, 80)",
                           [q for q in capture.statements if "retention_stage" in q], out)  # fmt: skip
        cr.rollback()
    log(f"EXPLAIN output written to {path}")
