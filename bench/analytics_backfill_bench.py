"""Time the monthly-snapshot backfill and one daily-job month on a large synthetic history.

Run in `odoo shell` on a throwaway database where customer_retention is installed:

    BENCH_CUSTOMERS=100000 BENCH_INVOICES=1000000 python3 -m odoo shell \
        -c .build/odoo.conf -d DB --no-http < bench/analytics_backfill_bench.py

It copies one template customer and one posted invoice with bulk INSERT ... SELECT (only the
columns the snapshots read vary: partner, dates, untaxed amount; every tenth row a credit note),
spread over 5 years, commits, ANALYZEs, then times retention.snapshot._backfill() and the
rebuild of the current month as the daily job does it. It prints one line per step.
"""

import os
import time

from odoo import Command, fields

customers = int(os.environ.get("BENCH_CUSTOMERS", 100000))
invoices = int(os.environ.get("BENCH_INVOICES", 1000000))
env = env  # noqa: F821, PLW0127 (given by odoo shell)
cr = env.cr
company = env.company
if not company.chart_template:
    env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
journal = env["account.journal"].search(
    [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
)
template_partner = env["res.partner"].create({"name": "Bench template", "is_company": True})
template_move = env["account.move"].create(
    {
        "move_type": "out_invoice",
        "partner_id": template_partner.id,
        "journal_id": journal.id,
        "invoice_date": fields.Date.today(),
        "invoice_line_ids": [
            Command.create({"name": "x", "quantity": 1, "price_unit": 100, "tax_ids": []})
        ],
    }
)
template_move.action_post()
env.flush_all()


def columns(table, skip):
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
        [table],
    )
    return [c for (c,) in cr.fetchall() if c not in skip]


started = time.monotonic()
partner_cols = columns("res_partner", {"id", "name", "complete_name", "commercial_partner_id"})
cr.execute(
    f"""
    INSERT INTO res_partner (name, complete_name, {", ".join(partner_cols)})
    SELECT 'Bench ' || n, 'Bench ' || n, {", ".join(partner_cols)}
      FROM res_partner, generate_series(1, %s) AS n
     WHERE id = %s
    """,
    [customers, template_partner.id],
)
cr.execute(
    "UPDATE res_partner SET commercial_partner_id = id WHERE name LIKE 'Bench %%' "
    "AND commercial_partner_id IS NULL"
)
cr.execute(
    "SELECT MIN(id) FROM res_partner WHERE name LIKE 'Bench %%' AND id <> %s", [template_partner.id]
)
first_partner = cr.fetchone()[0]
move_skip = {
    "id",
    "name",
    "partner_id",
    "commercial_partner_id",
    "invoice_date",
    "date",
    "move_type",
    "amount_untaxed_signed",
    "sequence_number",
}
move_cols = columns("account_move", move_skip)
cr.execute(
    f"""
    INSERT INTO account_move (name, partner_id, commercial_partner_id, invoice_date, date,
                              move_type, amount_untaxed_signed, sequence_number,
                              {", ".join(move_cols)})
    SELECT 'BENCH/' || n, p, p, d, d,
           CASE WHEN n %% 10 = 0 THEN 'out_refund' ELSE 'out_invoice' END,
           CASE WHEN n %% 10 = 0 THEN -50 ELSE 100 + (n %% 37) * 10 END, n,
           {", ".join(move_cols)}
      FROM account_move m,
           LATERAL (SELECT n, %(first)s + (hashint4(n) & 2147483647) %% %(customers)s AS p,
                           CURRENT_DATE - ((hashint4(n * 7) & 2147483647) %% 1825) AS d
                      FROM generate_series(1, %(invoices)s) AS n) g
     WHERE m.id = %(move)s
    """,
    {
        "first": first_partner,
        "customers": customers,
        "invoices": invoices,
        "move": template_move.id,
    },
)
cr.commit()
print(
    f"BENCH generated {customers} customers, {invoices} invoices "
    f"in {time.monotonic() - started:.1f} s"
)
cr.execute("ANALYZE account_move")
cr.execute("ANALYZE res_partner")
cr.commit()
env.invalidate_all()

Snapshot = env["retention.snapshot"]
started = time.monotonic()
rows = Snapshot._backfill(company)
cr.commit()
print(f"BENCH backfill: {rows} snapshot rows in {time.monotonic() - started:.1f} s")
started = time.monotonic()
month = fields.Date.today().replace(day=1)
rows = Snapshot._rebuild(company, month, month)
cr.commit()
print(f"BENCH daily job, one (company, month): {rows} rows in {time.monotonic() - started:.1f} s")
started = time.monotonic()
rows = Snapshot._backfill(company)
cr.commit()
print(
    f"BENCH backfill again (idempotent upsert): {rows} rows in {time.monotonic() - started:.1f} s"
)
started = time.monotonic()
env["retention.dashboard"].get_dashboard_data("month", company.id)
print(f"BENCH dashboard (month, 12 periods): {time.monotonic() - started:.1f} s")
started = time.monotonic()
env["retention.cohort.report"].search_count([("granularity", "=", "month")])
print(f"BENCH cohort rows count: {time.monotonic() - started:.1f} s")
