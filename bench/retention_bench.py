#!/usr/bin/env python3
"""Benchmark of the retention profile paths of customer_retention.

Builds a synthetic but valid dataset in a fresh database (customers and contacts, customer
invoices and credit notes over 5 years with their journal items, payments and reconciliations,
projects with status updates, tasks and ratings, and the messages Odoo posts on all of them),
then runs each heavy path and prints a table: rows, wall time, SQL queries, peak memory,
against the targets of the issue.

    python3 bench/retention_bench.py --config .build/odoo.conf            # 100,000 / 1,000,000
    python3 bench/retention_bench.py --config .build/odoo.conf --smoke    # 300 / 3,000

How the rows are made: a handful of real records are created with the ORM first (an invoice,
a credit note reversing it, a full and a partial payment, a project, messages...), then every
generated row is a copy of its template row with only the varying columns replaced (ids, dates,
amounts, names, links), in bulk ``INSERT ... SELECT``. A sample of the generated records is then
recomputed with Odoo's own compute methods (amounts, residuals, payment state, reconciliation)
and compared with what was stored: the run fails if they disagree.

See bench/README.md for what each path measures and the figures measured.
"""

import argparse
import json
import os
import re
import shlex
import sys
import time
from collections import defaultdict
from datetime import timedelta

import odoo
from odoo import Command, fields
from odoo.tools import SQL

from database import (
    clone_database,
    database_exists,
    drop_database,
    install_database,
    vacuum_analyze,
)
from measure import Measure, Result, log, machine_description, print_table

DEFAULT_DB = "customer_retention_bench"
SMOKE_SIZE = (300, 3000, 50)  # customers, invoices, naive subset


# ----------------------------------------------------------------------------------------
# Dataset
# ----------------------------------------------------------------------------------------
class DataBuilder:
    """Synthetic but valid customer history, copied from real ORM-made template rows."""

    N_MANAGERS = 5

    def __init__(self, env, customers, invoices, seed, today):
        self.env = env
        self.cr = env.cr
        self.n_customers = customers
        self.n_docs = invoices
        self.seed = seed
        self.today = today
        self.cutoff = fields.Datetime.now() - timedelta(hours=3)
        self.timings = []
        self.counts = {}
        self.tpl = {}
        self._columns = {}
        self.foreign_keys = {}  # (table, column) -> (parent table, parent column)
        self.fk_to_check = set()
        self.dropped_indexes = []
        self.replica = False

    # -- helpers ---------------------------------------------------------------------------
    def execute(self, query, params=None):
        # always a non-empty dict, so that %% is unescaped the same way in every query
        self.cr.execute(query, dict(params or {}, cutoff=self.cutoff))

    @staticmethod
    def stamp(expr):
        """A create/write timestamp from a date expression, never later than the cutoff (a
        while before the run: the history is in the past, and the refresh job's overlap
        window does not see it as a change)."""
        return f"LEAST(({expr})::timestamp, %(cutoff)s::timestamp)"

    def scalar(self, query, params=None):
        self.execute(query, params)
        return self.cr.fetchone()[0]

    def columns(self, table):
        if table not in self._columns:
            self.cr.execute(
                """
                SELECT column_name FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name = %s AND is_generated = 'NEVER'
                 ORDER BY ordinal_position
                """,
                (table,),
            )
            self._columns[table] = [row[0] for row in self.cr.fetchall()]
        return self._columns[table]

    def clone_insert(self, table, template_id, source, overrides, params=None):
        """INSERT into ``table`` one row per row of ``source`` (an SQL SELECT, aliased s), each
        a copy of the template row t with ``overrides`` (column -> SQL expression)."""
        columns = self.columns(table)
        unknown = set(overrides) - set(columns)
        if unknown:
            raise ValueError(f"{table}: no column {sorted(unknown)}")
        select = ", ".join(overrides.get(col, f't."{col}"') for col in columns)
        for col, expr in overrides.items():
            if (table, col) in self.foreign_keys and expr.strip().upper() != "NULL":
                self.fk_to_check.add((table, col))
        query = f"""
            INSERT INTO {table} ({", ".join(f'"{c}"' for c in columns)})
            SELECT {select}
              FROM ({source}) s
             CROSS JOIN (SELECT * FROM {table} WHERE id = %(template_id)s) t
        """
        self.execute(query, dict(params or {}, template_id=template_id))
        return self.cr.rowcount

    def step(self, label):
        builder = self

        class _Step:
            def __enter__(self):
                self.t0 = time.perf_counter()

            def __exit__(self, *exc):
                if not exc[0]:
                    wall = time.perf_counter() - self.t0
                    builder.timings.append((label, wall))
                    log(f"  {label}: {wall:.1f} s")

        return _Step()

    # -- bulk loading ----------------------------------------------------------------------
    BULK_TABLES = (
        "res_partner", "account_move", "account_move_line", "account_payment",
        "account_partial_reconcile", "account_full_reconcile", "project_project", "project_task",
        "project_update", "rating_rating", "mail_message", "mail_alias",
    )  # fmt: skip

    def bulk_begin(self):
        """The usual bulk-load recipe: secondary indexes dropped (rebuilt at the end, same
        definitions) and, for a superuser, foreign-key triggers off (the columns the
        generator sets are checked set-wise at the end instead). The end state is the same."""
        self.cr.execute(
            """
            SELECT k.conrelid::regclass::text, a.attname, k.confrelid::regclass::text, af.attname
              FROM pg_constraint k
              JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
              JOIN pg_attribute af ON af.attrelid = k.confrelid AND af.attnum = k.confkey[1]
             WHERE k.contype = 'f' AND cardinality(k.conkey) = 1
               AND k.conrelid::regclass::text = ANY(%s)
            """,
            (list(self.BULK_TABLES),),
        )
        self.foreign_keys = {(t, c): (pt, pc) for t, c, pt, pc in self.cr.fetchall()}
        self.cr.execute(
            """
            SELECT ic.relname, pg_get_indexdef(i.indexrelid)
              FROM pg_index i
              JOIN pg_class ic ON ic.oid = i.indexrelid
              JOIN pg_class c ON c.oid = i.indrelid
             WHERE c.relname = ANY(%s) AND c.relnamespace = 'public'::regnamespace
               AND NOT i.indisprimary
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
            """,
            (list(self.BULK_TABLES),),
        )
        self.dropped_indexes = self.cr.fetchall()
        for name, _definition in self.dropped_indexes:
            self.execute(f'DROP INDEX "{name}"')
        self.cr.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        self.replica = bool(self.cr.fetchone()[0])
        if self.replica:
            self.execute("SET session_replication_role = replica")

    def bulk_end(self):
        if self.replica:
            self.execute("SET session_replication_role = DEFAULT")
            self.replica = False
        with self.step(f"foreign keys of the generated columns ({len(self.fk_to_check)})"):
            bad = []
            for table, column in sorted(self.fk_to_check):
                parent, parent_column = self.foreign_keys[(table, column)]
                missing = self.scalar(
                    f"""
                    SELECT COUNT(*) FROM {table} c
                     WHERE c."{column}" IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM {parent} p WHERE p."{parent_column}" = c."{column}")
                    """
                )
                if missing:
                    bad.append(f"{table}.{column}: {missing} rows point to no {parent}")
            if bad:
                raise RuntimeError("generated rows break foreign keys: " + "; ".join(bad))
        with self.step(f"rebuild of {len(self.dropped_indexes)} indexes"):
            self.execute("SET maintenance_work_mem = '512MB'")
            for _name, definition in self.dropped_indexes:
                self.execute(definition)
            self.execute("RESET maintenance_work_mem")
        self.dropped_indexes = []

    # -- templates -------------------------------------------------------------------------
    def ensure_chart(self):
        company = self.env.company
        if not company.chart_template:
            self.env["account.chart.template"].try_loading(
                "generic_coa", company, install_demo=False
            )
        return company

    def make_templates(self):
        """A few real records made with the ORM: the shapes every generated row copies."""
        from odoo import Command

        env = self.env
        company = self.ensure_chart()
        journal = env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        managers = env["res.users"]
        for index in range(1, self.N_MANAGERS + 1):
            login = f"bench_manager_{index}"
            managers |= env["res.users"].search([("login", "=", login)]) or env["res.users"].create(
                {"name": f"Account Manager {index}", "login": login}
            )
        partner_model = env["res.partner"]
        customer = partner_model.create(
            {
                "name": "Template Customer",
                "is_company": True,
                "customer_rank": 1,
                "user_id": managers[0].id,  # salesperson, hence account manager
            }
        )
        contact = partner_model.create(
            {"name": "Template Contact", "parent_id": customer.id, "email": "tpl@example.com"}
        )
        day = self.today - timedelta(days=400)

        def invoice(move_type, amount, reversed_entry=None):
            move = env["account.move"].create(
                {
                    "move_type": move_type,
                    "partner_id": contact.id,
                    "journal_id": journal.id,
                    "invoice_date": day,
                    "date": day,
                    "invoice_date_due": day,
                    "reversed_entry_id": reversed_entry.id if reversed_entry else False,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Consulting",
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [],
                            }
                        )
                    ],
                }
            )
            move.action_post()
            return move

        def pay(move, amount=None):
            values = {"payment_date": day}
            if amount:
                values["amount"] = amount
            return (
                env["account.payment.register"]
                .with_context(active_model="account.move", active_ids=move.ids)
                .create(values)
                ._create_payments()
            )

        inv_paid = invoice("out_invoice", 1000.0)
        refund = invoice("out_refund", 100.0, reversed_entry=inv_paid)
        payment = pay(inv_paid)
        inv_sent = invoice("out_invoice", 500.0)
        inv_sent.message_post(
            body="Invoice sent", message_type="comment", subtype_xmlid="mail.mt_comment",
            author_id=managers[0].partner_id.id,
        )  # fmt: skip
        project = env["project.project"].create(
            {"name": "Template Project", "partner_id": customer.id}
        )
        task = env["project.task"].create(
            {"name": "Template Task", "project_id": project.id, "partner_id": customer.id}
        )
        update = env["project.update"].create(
            {"name": "Status", "project_id": project.id, "status": "on_track"}
        )
        rating = env["rating.rating"].create(
            {
                "res_model_id": env["ir.model"]._get_id("project.task"),
                "res_id": task.id,
                "parent_res_model_id": env["ir.model"]._get_id("project.project"),
                "parent_res_id": project.id,
                "partner_id": contact.id,
                "rated_partner_id": managers[0].partner_id.id,
                "rating": 5,
                "consumed": True,
            }
        )
        email_in = customer.message_post(
            body="Question from the customer", message_type="email",
            subtype_xmlid="mail.mt_comment", author_id=contact.id,
        )  # fmt: skip
        reply = customer.message_post(
            body="Our answer", message_type="comment", subtype_xmlid="mail.mt_comment",
            author_id=managers[0].partner_id.id,
        )  # fmt: skip
        note = customer.message_post(
            body="Internal note", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        activity = customer.activity_schedule("mail.mail_activity_data_call", summary="Call")
        activity.action_feedback(feedback="Called them")
        env.flush_all()

        def message(model, res_id, where=""):
            self.cr.execute(
                f"SELECT id FROM mail_message WHERE model = %s AND res_id = %s {where} "
                "ORDER BY id LIMIT 1",
                (model, res_id),
            )
            row = self.cr.fetchone()
            if not row:
                raise RuntimeError(f"no template message on {model} {res_id} {where}")
            return row[0]

        def line(move, display_type):
            return move.line_ids.filtered(lambda line: line.display_type == display_type)[:1].id

        pay_move = payment.move_id
        self.cr.execute(
            "SELECT id FROM account_move_line WHERE move_id = %s AND account_id = %s",
            (pay_move.id, payment.outstanding_account_id.id),
        )
        liquidity_line = self.cr.fetchone()[0]
        self.cr.execute(
            "SELECT id FROM account_move_line WHERE move_id = %s AND account_id = %s",
            (pay_move.id, payment.destination_account_id.id),
        )
        counterpart_line = self.cr.fetchone()[0]
        self.cr.execute(
            "SELECT id FROM account_partial_reconcile WHERE credit_move_id = %s",
            (counterpart_line,),
        )
        partial = self.cr.fetchone()[0]
        activity_type = env.ref("mail.mail_activity_data_call")
        self.tpl = {
            "company": company.id,
            "currency": company.currency_id.id,
            "sale_journal": journal.id,
            "managers": managers.ids,
            "manager_partners": managers.partner_id.ids,
            "customer": customer.id,
            "contact": contact.id,
            "invoice": inv_paid.id,
            "invoice_product_line": line(inv_paid, "product"),
            "invoice_term_line": line(inv_paid, "payment_term"),
            "refund": refund.id,
            "refund_product_line": line(refund, "product"),
            "refund_term_line": line(refund, "payment_term"),
            "payment": payment.id,
            "payment_move": pay_move.id,
            "payment_liquidity_line": liquidity_line,
            "payment_counterpart_line": counterpart_line,
            "partial": partial,
            "full": inv_paid.line_ids.full_reconcile_id.id,
            "project": project.id,
            "alias": project.alias_id.id,
            "task": task.id,
            "update": update.id,
            "rating": rating.id,
            "msg_partner_created": message("res.partner", customer.id, "AND message_type = 'notification' AND mail_activity_type_id IS NULL"),
            "msg_invoice_created": message("account.move", inv_paid.id),
            "msg_refund_created": message("account.move", refund.id),
            "msg_invoice_sent": message("account.move", inv_sent.id, "AND message_type = 'comment'"),
            "msg_payment_created": message("account.payment", payment.id),
            "msg_payment_move_created": message("account.move", pay_move.id),
            "msg_project_created": message("project.project", project.id),
            "msg_task_created": message("project.task", task.id),
            "msg_email_in": email_in.id,
            "msg_reply": reply.id,
            "msg_note": note.id,
            "msg_call": message("res.partner", customer.id, "AND mail_activity_type_id IS NOT NULL"),
            "activity_type_call": activity_type.id,
            "inv_prefix": self._prefix_pattern(inv_paid),
            "ref_prefix": self._prefix_pattern(refund),
            "pay_prefix": self._prefix_pattern(pay_move),
            "pay_journal": pay_move.journal_id.id,
        }  # fmt: skip
        self.cr.commit()

    @staticmethod
    def _prefix_pattern(move):
        """'INV/2025/' -> 'INV/%s/' (the year of the move replaced by a placeholder)."""
        prefix = move.sequence_prefix
        year = str(move.date.year)
        if year not in prefix:
            raise RuntimeError(f"unexpected sequence prefix {prefix!r} for {move.name}")
        return prefix.replace(year, "{year}")

    # -- generation ------------------------------------------------------------------------
    def generate(self):
        log(f"generating {self.n_customers:,} customers, {self.n_docs:,} invoices and credit notes")
        t0 = time.perf_counter()
        with self.step("ORM templates"):
            self.make_templates()
        self.execute("SELECT setseed(%(seed)s)", {"seed": self.seed})
        self.bulk_begin()
        with self.step("customers and contacts"):
            self._gen_partners()
        with self.step("invoices and credit notes (staging)"):
            self._gen_staging_invoices()
        with self.step("payments (staging)"):
            self.stage_payments()
        with self.step("account_move + account_move_line (invoices, credit notes)"):
            self._gen_moves()
        with self.step("payments and reconciliations"):
            self._gen_payments(staged=True)
        with self.step("projects, updates, tasks, ratings"):
            self._gen_projects()
        with self.step("messages"):
            self._gen_messages()
        self.bulk_end()
        self.cr.commit()
        with self.step("VACUUM ANALYZE"):
            vacuum_analyze(
                self.cr.dbname,
                [
                    "res_partner", "account_move", "account_move_line", "account_payment",
                    "account_partial_reconcile", "account_full_reconcile", "project_project",
                    "project_task", "project_update", "rating_rating", "mail_message", "mail_alias",
                ],
            )  # fmt: skip
        self.env.invalidate_all()
        self.total = time.perf_counter() - t0
        return self.total

    def _gen_partners(self):
        n_managers = len(self.tpl["managers"])
        self.execute(
            """
            CREATE TEMP TABLE bench_customer ON COMMIT PRESERVE ROWS AS
            WITH r AS MATERIALIZED (
                SELECT g AS idx, random() AS r_start, random() AS r_kind, random() AS r_end,
                       random() AS r_w, random() AS r_base, random() AS r_bad, random() AS r_mgr,
                       random() AS r_contacts, random() AS r_proj, random() AS r_msgs
                  FROM generate_series(1, %(n)s) g
            ), k AS (
                SELECT r.*, floor(r_start * 1825)::int AS start_ago,
                       CASE WHEN r_kind < 0.05 THEN 'prospect'
                            WHEN r_kind < 0.20 AND r_start > 0.25 THEN 'churned'
                            WHEN r_kind < 0.30 THEN 'slipping'
                            ELSE 'active' END AS kind
                  FROM r
            )
            SELECT idx, nextval('res_partner_id_seq')::int AS id,
                   'Customer ' || lpad(idx::text, GREATEST(6, length(idx::text)), '0') AS name, kind, start_ago,
                   LEAST(start_ago, CASE kind
                        WHEN 'churned' THEN 366 + floor(r_end * (start_ago - 366))::int
                        WHEN 'slipping' THEN 100 + floor(r_end * 200)::int
                        ELSE floor(r_end * 20)::int END) AS end_ago,
                   CASE WHEN kind = 'prospect' THEN 0.0 ELSE -ln(1 - r_w) END AS intensity,
                   round(exp(5.5 + 2.0 * r_base)::numeric, 0) AS base_amount,
                   r_bad < 0.10 AS bad_payer,
                   (%(managers)s::int[])[1 + floor(r_mgr * %(n_managers)s)::int] AS manager_id,
                   (%(manager_partners)s::int[])[1 + floor(r_mgr * %(n_managers)s)::int]
                       AS manager_partner_id,
                   floor(r_contacts * 3)::int AS n_contacts,
                   CASE WHEN kind <> 'prospect' AND r_proj < 0.30
                        THEN 1 + floor(r_proj / 0.10)::int ELSE 0 END AS n_projects,
                   floor(r_msgs * 8)::int AS n_messages
              FROM k
            """,
            {
                "n": self.n_customers,
                "managers": self.tpl["managers"],
                "manager_partners": self.tpl["manager_partners"],
                "n_managers": n_managers,
            },
        )
        self.execute("ALTER TABLE bench_customer ADD PRIMARY KEY (idx)")
        self.execute(
            """
            CREATE TEMP TABLE bench_contact ON COMMIT PRESERVE ROWS AS
            SELECT nextval('res_partner_id_seq')::int AS id, c.idx, c.id AS parent_id, k,
                   c.manager_id,
                   c.name AS parent_name, format('Contact %%s-%%s', c.idx, k) AS name,
                   c.start_ago
              FROM bench_customer c, generate_series(1, c.n_contacts) k
            """
        )
        self.execute("CREATE INDEX ON bench_contact (idx, k)")
        today = self.today
        retention_columns = [c for c in self.columns("res_partner") if c.startswith("retention_")]
        overrides = dict.fromkeys(retention_columns, "NULL")
        overrides.update(
            {
                "id": "s.id",
                "name": "s.name",
                "complete_name": "s.name",
                "commercial_partner_id": "s.id",
                "commercial_company_name": "s.name",
                "email": "lower(replace(s.name, ' ', '.')) || '@example.com'",
                "email_normalized": "lower(replace(s.name, ' ', '.')) || '@example.com'",
                "user_id": "s.manager_id",
                "retention_account_manager_id": "s.manager_id",
                "create_date": "(%(today)s::date - s.start_ago - 10)::timestamp + interval '9 hours'",
                "write_date": "(%(today)s::date - s.start_ago - 10)::timestamp + interval '9 hours'",
            }
        )
        self.counts["customers"] = self.clone_insert(
            "res_partner", self.tpl["customer"], "SELECT * FROM bench_customer", overrides,
            {"today": today},
        )  # fmt: skip
        overrides.update(
            {
                "id": "s.id",
                "name": "s.name",
                "complete_name": "s.parent_name || ', ' || s.name",
                "parent_id": "s.parent_id",
                "commercial_partner_id": "s.parent_id",
                "commercial_company_name": "s.parent_name",
                "email": "lower(replace(s.name, ' ', '.')) || '@example.com'",
                "email_normalized": "lower(replace(s.name, ' ', '.')) || '@example.com'",
                "user_id": "s.manager_id",  # res.partner._compute_user_id: the parent's
                "retention_account_manager_id": "NULL",
            }
        )
        self.counts["contacts"] = self.clone_insert(
            "res_partner", self.tpl["contact"], "SELECT * FROM bench_contact", overrides,
            {"today": today},
        )  # fmt: skip

    def _gen_staging_invoices(self):
        n_refunds = round(self.n_docs * 0.07)
        n_invoices = self.n_docs - n_refunds
        # invoices per customer: proportional to intensity x active span, rounded so the total
        # is exactly n_invoices
        self.execute(
            """
            ALTER TABLE bench_customer ADD COLUMN n_inv int;
            WITH w AS (
                SELECT idx, intensity * (start_ago - end_ago + 30) AS weight FROM bench_customer
            ), q AS (
                SELECT idx, %(n)s * weight / NULLIF(SUM(weight) OVER (), 0) AS exact FROM w
            ), f AS (
                SELECT idx, floor(COALESCE(exact, 0))::int AS base,
                       COALESCE(exact, 0) - floor(COALESCE(exact, 0)) AS frac FROM q
            ), rk AS (
                SELECT idx, base, ROW_NUMBER() OVER (ORDER BY frac DESC, idx) AS rn,
                       %(n)s - SUM(base) OVER () AS missing
                  FROM f
            )
            UPDATE bench_customer c SET n_inv = rk.base + (rk.rn <= rk.missing)::int
              FROM rk WHERE rk.idx = c.idx;
            """,
            {"n": n_invoices},
        )
        # one row per invoice: date spread over the customer's active span, amount around the
        # customer's usual size, due 30 days later, paid 10-50 days after the invoice date
        # (bad payers later, or never, or half), 55% sent by email; n_refunds of the paid
        # ones get a credit note for 10-50% of their amount, the rest being paid
        prefix, seq = self._numbering("g.inv_date", "g.inv_date, g.idx", self.tpl["inv_prefix"],
                                      self.tpl["sale_journal"])  # fmt: skip
        self.execute(
            f"""
            CREATE TEMP TABLE bench_inv ON COMMIT PRESERVE ROWS AS
            WITH d AS MATERIALIZED (
                SELECT c.idx, c.id AS cust_id, c.name AS cust_name, c.bad_payer, c.manager_id,
                       c.manager_partner_id,
                       (%(today)s::date - c.start_ago
                            + floor((c.start_ago - c.end_ago) * (k - random()) / c.n_inv)::int)
                           AS inv_date,
                       round((c.base_amount * (0.5 + random()))::numeric, 2) AS amount,
                       random() AS r_pay, 10 + floor(random() * 41)::int AS delay,
                       random() < 0.55 AS sent, random() < 0.7 AS to_contact,
                       random() AS r_ref, random() AS r_ref_amount, random() AS r_ref_day
                  FROM bench_customer c, generate_series(1, c.n_inv) k
            ), e AS (
                SELECT d.*,
                       CASE WHEN d.to_contact AND ct.id IS NOT NULL THEN ct.id ELSE d.cust_id END
                           AS partner_id,
                       CASE WHEN d.to_contact AND ct.id IS NOT NULL
                            THEN d.cust_name || ', ' || ct.name ELSE d.cust_name END
                           AS display_name,
                       d.inv_date + CASE WHEN d.bad_payer THEN d.delay + 30 ELSE d.delay END
                           AS pay_date,
                       CASE WHEN d.bad_payer AND d.r_pay < 0.25 THEN 'never'
                            WHEN d.bad_payer AND d.r_pay < 0.35 THEN 'half'
                            WHEN d.r_pay < 0.01 THEN 'never'
                            WHEN d.r_pay < 0.02 THEN 'half'
                            ELSE 'full' END AS pay_kind
                  FROM d
                  LEFT JOIN bench_contact ct ON ct.idx = d.idx AND ct.k = 1
            ), f AS (
                SELECT e.*, e.inv_date + 30 AS due_date,
                       CASE WHEN e.pay_kind = 'never' OR e.pay_date > %(today)s THEN 'not_paid'
                            WHEN e.pay_kind = 'half' THEN 'partial'
                            ELSE 'paid' END AS payment_state
                  FROM e
            ), g AS (
                SELECT f.*,
                       CASE WHEN f.payment_state = 'paid'
                             AND ROW_NUMBER() OVER (PARTITION BY f.payment_state = 'paid'
                                                    ORDER BY f.r_ref) <= %(n_refunds)s
                            THEN round(f.amount * (0.1 + 0.4 * f.r_ref_amount)::numeric, 2)
                            ELSE 0 END AS refunded
                  FROM f
            ), h AS (
                SELECT nextval('account_move_id_seq')::int AS id,
                       nextval('account_move_line_id_seq')::int AS product_line_id,
                       nextval('account_move_line_id_seq')::int AS term_line_id,
                       g.*,
                       CASE g.payment_state WHEN 'paid' THEN g.amount - g.refunded
                                            WHEN 'partial' THEN round(g.amount / 2, 2)
                                            ELSE 0 END AS paid,
                       CASE WHEN g.payment_state = 'paid'
                            THEN nextval('account_full_reconcile_id_seq')::int END AS full_id,
                       {prefix} AS prefix, {seq} AS seq
                  FROM g
            )
            SELECT h.*, {self._name_sql("h")} AS name FROM h
            """,
            {"today": self.today, "n_refunds": n_refunds},
        )
        self.execute("ALTER TABLE bench_inv ADD PRIMARY KEY (id)")
        # the credit notes: between the invoice and its payment, reconciled with the invoice
        # like Odoo does for a reversal
        prefix, seq = self._numbering("r.ref_date", "r.ref_date, r.inv_id", self.tpl["ref_prefix"],
                                      self.tpl["sale_journal"])  # fmt: skip
        self.execute(
            f"""
            CREATE TEMP TABLE bench_ref ON COMMIT PRESERVE ROWS AS
            WITH r AS (
                SELECT nextval('account_move_id_seq')::int AS id,
                       nextval('account_move_line_id_seq')::int AS product_line_id,
                       nextval('account_move_line_id_seq')::int AS term_line_id,
                       nextval('account_partial_reconcile_id_seq')::int AS partial_id,
                       i.id AS inv_id, i.term_line_id AS inv_term_line_id, i.idx, i.cust_id,
                       i.cust_name, i.partner_id, i.display_name, i.manager_id,
                       i.name AS inv_name, i.full_id, i.inv_date,
                       i.inv_date + floor(i.r_ref_day * (i.pay_date - i.inv_date + 1))::int
                           AS ref_date,
                       i.refunded AS amount
                  FROM bench_inv i WHERE i.refunded > 0
            ), s AS (
                SELECT r.*, {prefix} AS prefix, {seq} AS seq FROM r
            )
            SELECT s.*, {self._name_sql("s")} AS name FROM s
            """
        )
        self.execute("ALTER TABLE bench_ref ADD PRIMARY KEY (id)")
        self.counts["invoices"] = self.scalar("SELECT COUNT(*) FROM bench_inv")
        self.counts["credit notes"] = self.scalar("SELECT COUNT(*) FROM bench_ref")

    def _numbering(self, date_expr, order_expr, pattern, journal_id):
        """SQL of the sequence prefix and number of generated moves, like Odoo's sequence:
        the year in the prefix, numbers per prefix following the ones already used in that
        journal (the templates')."""
        self.cr.execute(
            "SELECT sequence_prefix, MAX(sequence_number) FROM account_move "
            "WHERE journal_id = %s AND sequence_prefix IS NOT NULL GROUP BY sequence_prefix",
            (journal_id,),
        )
        offsets = json.dumps(dict(self.cr.fetchall()))
        for text in (pattern, offsets):
            if "'" in text or "%" in text:
                raise ValueError(f"unexpected sequence data {text!r}")
        prefix = f"replace('{pattern}', '{{year}}', extract(year FROM {date_expr})::int::text)"
        seq = (
            f"(ROW_NUMBER() OVER (PARTITION BY extract(year FROM {date_expr}) ORDER BY {order_expr})"
            f" + COALESCE(('{offsets}'::jsonb ->> {prefix})::int, 0))::int"
        )
        return prefix, seq

    @staticmethod
    def _name_sql(alias):
        return f"{alias}.prefix || lpad({alias}.seq::text, GREATEST(5, length({alias}.seq::text)), '0')"

    def _gen_moves(self):
        tpl = self.tpl
        ts = self.stamp("s.{col} + interval '10 hours'")
        common = {
            "partner_id": "s.partner_id",
            "commercial_partner_id": "s.cust_id",
            "partner_shipping_id": "s.partner_id",
            "invoice_user_id": "s.manager_id",
            "invoice_partner_display_name": "s.display_name",
            "name": "s.name",
            "sequence_prefix": "s.prefix",
            "sequence_number": "s.seq",
            "amount_untaxed": "s.amount",
            "amount_total": "s.amount",
            "is_manually_modified": "FALSE",
            "access_token": "NULL",
        }
        inv = dict(
            common,
            id="s.id",
            date="s.inv_date",
            invoice_date="s.inv_date",
            invoice_date_due="s.due_date",
            payment_reference="s.name",
            payment_state="s.payment_state",
            amount_residual="s.amount - s.refunded - s.paid",
            amount_untaxed_signed="s.amount",
            amount_untaxed_in_currency_signed="s.amount",
            amount_total_signed="s.amount",
            amount_total_in_currency_signed="s.amount",
            amount_residual_signed="s.amount - s.refunded - s.paid",
            is_move_sent="s.sent",
            create_date=ts.format(col="inv_date"),
            write_date=self.stamp(
                "CASE WHEN s.payment_state = 'not_paid' THEN s.inv_date ELSE s.pay_date END"
                " + interval '10 hours'"
            ),
        )
        self.counts["account_move (invoices)"] = self.clone_insert(
            "account_move", tpl["invoice"], "SELECT * FROM bench_inv", inv
        )
        ref = dict(
            common,
            id="s.id",
            date="s.ref_date",
            invoice_date="s.ref_date",
            invoice_date_due="s.ref_date",
            reversed_entry_id="s.inv_id",
            payment_state="'paid'",
            amount_residual="0",
            amount_untaxed_signed="-s.amount",
            amount_untaxed_in_currency_signed="-s.amount",
            amount_total_signed="-s.amount",
            amount_total_in_currency_signed="-s.amount",
            amount_residual_signed="0",
            is_move_sent="FALSE",
            create_date=ts.format(col="ref_date"),
            write_date=ts.format(col="ref_date"),
        )
        self.counts["account_move (credit notes)"] = self.clone_insert(
            "account_move", tpl["refund"], "SELECT * FROM bench_ref", ref
        )
        self.clone_insert(
            "account_full_reconcile",
            tpl["full"],
            "SELECT * FROM bench_inv WHERE full_id IS NOT NULL",
            {
                "id": "s.full_id",
                "create_date": ts.format(col="pay_date"),
                "write_date": ts.format(col="pay_date"),
            },
        )
        line_common = {
            "move_name": "s.name",
            "partner_id": "s.cust_id",
        }
        # invoice lines: income (credit) and receivable (debit)
        self.clone_insert(
            "account_move_line",
            tpl["invoice_product_line"],
            "SELECT * FROM bench_inv",
            dict(
                line_common,
                id="s.product_line_id",
                move_id="s.id",
                date="s.inv_date",
                invoice_date="s.inv_date",
                credit="s.amount",
                debit="0",
                balance="-s.amount",
                amount_currency="-s.amount",
                price_unit="s.amount",
                price_subtotal="s.amount",
                price_total="s.amount",
                create_date=ts.format(col="inv_date"),
                write_date=ts.format(col="inv_date"),
            ),
        )
        self.clone_insert(
            "account_move_line",
            tpl["invoice_term_line"],
            "SELECT i.*, p.partial_id AS pay_partial_id FROM bench_inv i "
            "LEFT JOIN bench_pay p ON p.inv_id = i.id",
            dict(
                line_common,
                id="s.term_line_id",
                move_id="s.id",
                name="s.name",
                date="s.inv_date",
                invoice_date="s.inv_date",
                date_maturity="s.due_date",
                debit="s.amount",
                credit="0",
                balance="s.amount",
                amount_currency="s.amount",
                amount_residual="s.amount - s.refunded - s.paid",
                amount_residual_currency="s.amount - s.refunded - s.paid",
                reconciled="s.payment_state = 'paid'",
                full_reconcile_id="s.full_id",
                matching_number=(
                    "CASE s.payment_state WHEN 'paid' THEN s.full_id::text"
                    " WHEN 'partial' THEN 'P' || s.pay_partial_id END"
                ),
                create_date=ts.format(col="inv_date"),
                write_date=self.stamp(
                    "CASE WHEN s.payment_state = 'not_paid' THEN s.inv_date ELSE s.pay_date END"
                    " + interval '10 hours'"
                ),
            ),
        )
        # credit note lines: income (debit) and receivable (credit), reconciled with the invoice
        self.clone_insert(
            "account_move_line",
            tpl["refund_product_line"],
            "SELECT * FROM bench_ref",
            dict(
                line_common,
                id="s.product_line_id",
                move_id="s.id",
                date="s.ref_date",
                invoice_date="s.ref_date",
                debit="s.amount",
                credit="0",
                balance="s.amount",
                amount_currency="s.amount",
                price_unit="s.amount",
                price_subtotal="s.amount",
                price_total="s.amount",
                create_date=ts.format(col="ref_date"),
                write_date=ts.format(col="ref_date"),
            ),
        )
        self.clone_insert(
            "account_move_line",
            tpl["refund_term_line"],
            "SELECT * FROM bench_ref",
            dict(
                line_common,
                id="s.term_line_id",
                move_id="s.id",
                date="s.ref_date",
                invoice_date="s.ref_date",
                date_maturity="s.ref_date",
                debit="0",
                credit="s.amount",
                balance="-s.amount",
                amount_currency="-s.amount",
                amount_residual="0",
                amount_residual_currency="0",
                reconciled="TRUE",
                full_reconcile_id="s.full_id",
                matching_number="s.full_id::text",
                create_date=ts.format(col="ref_date"),
                write_date=ts.format(col="ref_date"),
            ),
        )
        self.clone_insert(
            "account_partial_reconcile",
            tpl["partial"],
            "SELECT r.*, GREATEST(r.ref_date, r.inv_date) AS max_date FROM bench_ref r",
            {
                "id": "s.partial_id",
                "debit_move_id": "s.inv_term_line_id",
                "credit_move_id": "s.term_line_id",
                "full_reconcile_id": "s.full_id",
                "max_date": "s.max_date",
                "amount": "s.amount",
                "debit_amount_currency": "s.amount",
                "credit_amount_currency": "s.amount",
                "create_date": ts.format(col="ref_date"),
                "write_date": ts.format(col="ref_date"),
            },
        )
        self.counts["account_move_line"] = self.scalar("SELECT COUNT(*) FROM account_move_line")

    def stage_payments(self, source="bench_inv", stage="bench_pay"):
        """The payments to make: one per paid or half-paid invoice of ``source``."""
        prefix, seq = self._numbering("p.pay_date", "p.pay_date, p.inv_id", self.tpl["pay_prefix"],
                                      self.tpl["pay_journal"])  # fmt: skip
        self.execute(
            f"""
            DROP TABLE IF EXISTS {stage};
            CREATE TEMP TABLE {stage} ON COMMIT PRESERVE ROWS AS
            WITH p AS (
                SELECT nextval('account_payment_id_seq')::int AS pay_id,
                       nextval('account_move_id_seq')::int AS id,
                       nextval('account_move_line_id_seq')::int AS liquidity_line_id,
                       nextval('account_move_line_id_seq')::int AS counterpart_line_id,
                       nextval('account_partial_reconcile_id_seq')::int AS partial_id,
                       i.id AS inv_id, i.term_line_id AS inv_term_line_id, i.cust_id,
                       i.cust_name, i.manager_id, i.name AS inv_name, i.pay_date,
                       i.paid AS amount, i.payment_state = 'paid' AS is_full, i.full_id
                  FROM {source} i
                 WHERE i.payment_state IN ('paid', 'partial') AND i.paid > 0
            ), q AS (
                SELECT p.*, {prefix} AS prefix, {seq} AS seq FROM p
            )
            SELECT q.*, {self._name_sql("q")} AS name FROM q
            """
        )
        self.execute(f"ALTER TABLE {stage} ADD PRIMARY KEY (id)")
        self.execute(f"CREATE INDEX ON {stage} (inv_id)")

    def _gen_payments(self, source="bench_inv", stage="bench_pay", stamp=None, staged=False):
        """A payment per paid or half-paid invoice of ``source``: account_payment, its journal
        entry (outstanding receipts / receivable), the partial reconciliation with the invoice
        and, when fully paid, the full reconciliation. Also used by the incremental path."""
        tpl = self.tpl
        if not staged:
            self.stage_payments(source, stage)
        ts = stamp or self.stamp("s.pay_date + interval '15 hours'")
        match = "CASE WHEN s.is_full THEN s.full_id::text ELSE 'P' || s.partial_id END"
        self.clone_insert(
            "account_full_reconcile",
            tpl["full"],
            f"""SELECT * FROM {stage} p WHERE is_full AND NOT EXISTS (
                    SELECT 1 FROM account_full_reconcile f WHERE f.id = p.full_id)""",
            {"id": "s.full_id", "create_date": ts, "write_date": ts},
        )
        # payment and entry point to each other: with foreign-key triggers on, the payment
        # first, linked once both exist
        self.clone_insert(
            "account_payment",
            tpl["payment"],
            f"SELECT * FROM {stage}",
            {
                "id": "s.pay_id",
                "move_id": "s.id" if self.replica else "NULL",
                "partner_id": "s.cust_id",
                "name": "s.name",
                "state": "CASE WHEN s.is_full THEN 'paid' ELSE 'in_process' END",
                "memo": "s.inv_name",
                "date": "s.pay_date",
                "amount": "s.amount",
                "amount_company_currency_signed": "s.amount",
                "is_reconciled": "TRUE",
                "is_matched": "FALSE",
                "create_date": ts,
                "write_date": ts,
            },
        )
        self.clone_insert(
            "account_move",
            tpl["payment_move"],
            f"SELECT * FROM {stage}",
            {
                "id": "s.id",
                "origin_payment_id": "s.pay_id",
                "partner_id": "s.cust_id",
                "commercial_partner_id": "s.cust_id",
                "invoice_partner_display_name": "s.cust_name",
                "name": "s.name",
                "sequence_prefix": "s.prefix",
                "sequence_number": "s.seq",
                "ref": "s.inv_name",
                "date": "s.pay_date",
                "invoice_date_due": "s.pay_date",
                "amount_total": "s.amount",
                "amount_total_signed": "s.amount",
                "amount_total_in_currency_signed": "s.amount",
                "create_date": ts,
                "write_date": ts,
            },
        )
        if not self.replica:
            self.execute(
                f"UPDATE account_payment p SET move_id = s.id FROM {stage} s WHERE p.id = s.pay_id"
            )
        pay_line = {
            "move_id": "s.id",
            "move_name": "s.name",
            "partner_id": "s.cust_id",
            "payment_id": "s.pay_id",
            "ref": "s.inv_name",
            "name": "'Manual Payment: ' || s.inv_name",
            "date": "s.pay_date",
            "date_maturity": "s.pay_date",
            "create_date": ts,
            "write_date": ts,
        }
        self.clone_insert(
            "account_move_line",
            tpl["payment_liquidity_line"],
            f"SELECT * FROM {stage}",
            dict(
                pay_line,
                id="s.liquidity_line_id",
                debit="s.amount",
                credit="0",
                balance="s.amount",
                amount_currency="s.amount",
                amount_residual="s.amount",
                amount_residual_currency="s.amount",
                price_subtotal="s.amount",
                price_total="s.amount",
            ),
        )
        self.clone_insert(
            "account_move_line",
            tpl["payment_counterpart_line"],
            f"SELECT * FROM {stage}",
            dict(
                pay_line,
                id="s.counterpart_line_id",
                debit="0",
                credit="s.amount",
                balance="-s.amount",
                amount_currency="-s.amount",
                amount_residual="0",
                amount_residual_currency="0",
                price_subtotal="-s.amount",
                price_total="-s.amount",
                reconciled="TRUE",  # fully used, even by a partial payment
                full_reconcile_id="CASE WHEN s.is_full THEN s.full_id END",
                matching_number=match,
            ),
        )
        self.clone_insert(
            "account_partial_reconcile",
            tpl["partial"],
            f"SELECT * FROM {stage}",
            {
                "id": "s.partial_id",
                "debit_move_id": "s.inv_term_line_id",
                "credit_move_id": "s.counterpart_line_id",
                "full_reconcile_id": "CASE WHEN s.is_full THEN s.full_id END",
                "max_date": "s.pay_date",
                "amount": "s.amount",
                "debit_amount_currency": "s.amount",
                "credit_amount_currency": "s.amount",
                "create_date": ts,
                "write_date": ts,
            },
        )
        # the invoice's receivable line shows its matching number (set at insert when the
        # invoices are generated)
        if stage == "bench_pay":
            return self._count_payments(stage)
        self.execute(
            f"""
            UPDATE account_move_line l
               SET matching_number = {match.replace("s.", "p.")}
              FROM {stage} p
             WHERE l.id = p.inv_term_line_id
            """
        )
        return self._count_payments(stage)

    def _count_payments(self, stage):
        rows = self.scalar(f"SELECT COUNT(*) FROM {stage}")
        self.counts.setdefault("payments", 0)
        self.counts["payments"] += rows
        return rows

    def _gen_payment_messages(self, stage, when):
        total = 0
        for template, res_id in (("msg_payment_created", "s.pay_id"),
                                 ("msg_payment_move_created", "s.id")):  # fmt: skip
            total += self.clone_insert(
                "mail_message", self.tpl[template], f"SELECT * FROM {stage}",
                {
                    "id": "nextval('mail_message_id_seq')",
                    "message_id": "'<bench.' || md5(random()::text) || '@example.com>'",
                    "res_id": res_id, "record_name": "s.name",
                    "date": when, "create_date": when, "write_date": when,
                },
            )  # fmt: skip
        return total

    def pay_open_invoices(self, n, today):
        """What registering payments does to ``n`` open invoices: a payment each (entry,
        reconciliation, messages), the invoice and its receivable line paid, written now.
        Returns the number of invoices and the ids of their customers."""
        self.execute(
            """
            DROP TABLE IF EXISTS bench_change;
            CREATE TEMP TABLE bench_change ON COMMIT PRESERVE ROWS AS
            SELECT x.*, nextval('account_full_reconcile_id_seq')::int AS full_id
              FROM (
                SELECT m.id, l.id AS term_line_id, m.commercial_partner_id AS cust_id,
                       p.name AS cust_name, m.invoice_user_id AS manager_id, m.name,
                       %(today)s::date AS pay_date, m.amount_residual AS paid,
                       'paid'::varchar AS payment_state
                  FROM account_move m
                  JOIN account_move_line l ON l.move_id = m.id AND l.display_type = 'payment_term'
                  JOIN res_partner p ON p.id = m.commercial_partner_id
                 WHERE m.state = 'posted' AND m.move_type = 'out_invoice'
                   AND m.payment_state IN ('not_paid', 'partial')
                 ORDER BY md5(m.id::text) LIMIT %(n)s
              ) x
            """,
            {"today": today, "n": n},
        )
        self._gen_payments("bench_change", "bench_pay_change", stamp="now() at time zone 'UTC'")
        self._gen_payment_messages("bench_pay_change", "now() at time zone 'UTC'")
        self.execute(
            """
            -- earlier partial payments join the full reconciliation
            UPDATE account_payment pay SET state = 'paid', write_date = now() at time zone 'UTC'
              FROM account_partial_reconcile pr
              JOIN bench_change c ON pr.debit_move_id = c.term_line_id
              JOIN account_move_line l ON l.id = pr.credit_move_id
             WHERE pay.id = l.payment_id AND pay.state = 'in_process';
            UPDATE account_move_line l
               SET full_reconcile_id = c.full_id, reconciled = TRUE,
                   matching_number = c.full_id::text, write_date = now() at time zone 'UTC'
              FROM account_partial_reconcile pr
              JOIN bench_change c ON pr.debit_move_id = c.term_line_id
             WHERE l.id = pr.credit_move_id AND l.full_reconcile_id IS NULL;
            UPDATE account_partial_reconcile pr SET full_reconcile_id = c.full_id
              FROM bench_change c
             WHERE pr.debit_move_id = c.term_line_id AND pr.full_reconcile_id IS NULL;
            UPDATE account_move_line l
               SET amount_residual = 0, amount_residual_currency = 0, reconciled = TRUE,
                   full_reconcile_id = c.full_id, matching_number = c.full_id::text,
                   write_date = now() at time zone 'UTC'
              FROM bench_change c
             WHERE l.id = c.term_line_id;
            UPDATE account_move m
               SET payment_state = 'paid', amount_residual = 0, amount_residual_signed = 0,
                   write_date = now() at time zone 'UTC', write_uid = 1
              FROM bench_change c
             WHERE m.id = c.id;
            """
        )
        self.cr.execute("SELECT COUNT(*), ARRAY_AGG(DISTINCT cust_id) FROM bench_change")
        count, customers = self.cr.fetchone()
        return count, customers or []

    def _gen_projects(self):
        tpl = self.tpl
        self.execute(
            """
            CREATE TEMP TABLE bench_project ON COMMIT PRESERVE ROWS AS
            WITH p AS MATERIALIZED (
                SELECT c.idx, c.id AS cust_id, c.name AS cust_name, c.kind, c.start_ago,
                       c.end_ago, k, random() AS r_closed, random() AS r_status,
                       random() AS r_date, random() AS r_tasks
                  FROM bench_customer c, generate_series(1, c.n_projects) k
            )
            SELECT nextval('project_project_id_seq')::int AS id,
                   nextval('mail_alias_id_seq')::int AS alias_id, p.*,
                   (%(today)s::date - p.start_ago + floor(p.r_date * (p.start_ago - p.end_ago))::int)
                       AS start_date,
                   CASE WHEN p.kind = 'churned' OR p.r_closed < 0.35 THEN 'archived'
                        WHEN p.r_closed < 0.45 THEN 'done'
                        ELSE 'open' END AS closing,
                   CASE WHEN p.r_status < 0.10 THEN NULL
                        WHEN p.r_status < 0.60 THEN 'on_track'
                        WHEN p.r_status < 0.80 THEN 'at_risk'
                        WHEN p.r_status < 0.90 THEN 'off_track'
                        ELSE 'on_hold' END AS status,
                   %(today)s::date - floor(random() * 90)::int AS update_date,
                   floor(p.r_tasks * 7)::int AS n_tasks
              FROM p
            """,
            {"today": self.today},
        )
        self.execute(
            """
            UPDATE bench_project SET status = 'done' WHERE closing = 'done';
            UPDATE bench_project SET status = NULL, n_tasks = 0 WHERE closing = 'archived';
            ALTER TABLE bench_project ADD COLUMN update_id int;
            UPDATE bench_project SET update_id = nextval('project_update_id_seq')
             WHERE status IS NOT NULL;
            """
        )
        ts = self.stamp("s.start_date + interval '11 hours'")
        self.clone_insert(
            "mail_alias",
            tpl["alias"],
            "SELECT * FROM bench_project",
            {
                "id": "s.alias_id",
                "alias_parent_thread_id": "s.id",
                "alias_defaults": "format('{''project_id'': %%s}', s.id)",
                "alias_name": "NULL",
                "create_date": ts,
                "write_date": ts,
            },
        )
        self.counts["projects"] = self.clone_insert(
            "project_project",
            tpl["project"],
            "SELECT * FROM bench_project",
            {
                "id": "s.id",
                "alias_id": "s.alias_id",
                "name": "jsonb_build_object('en_US', s.cust_name || ' - project ' || s.k)",
                "partner_id": "s.cust_id",
                "active": "s.closing <> 'archived'",
                # with foreign-key triggers on, linked once the updates exist
                "last_update_id": "s.update_id" if self.replica else "NULL",
                "last_update_status": "COALESCE(s.status, 'to_define')",
                "retention_is_closed": "s.closing <> 'open'",
                "retention_date_closed": (
                    "CASE WHEN s.closing <> 'open' THEN"
                    " LEAST(s.start_date + 120, %(today)s::date) END"
                ),
                "date_start": "s.start_date",
                "access_token": "NULL",
                "create_date": ts,
                "write_date": ts,
            },
            {"today": self.today},
        )
        self.clone_insert(
            "project_update",
            tpl["update"],
            "SELECT * FROM bench_project WHERE update_id IS NOT NULL",
            {
                "id": "s.update_id",
                "project_id": "s.id",
                "status": "s.status",
                "date": "s.update_date",
                "create_date": self.stamp("s.update_date + interval '12 hours'"),
                "write_date": self.stamp("s.update_date + interval '12 hours'"),
            },
        )
        if not self.replica:
            self.execute(
                """
                UPDATE project_project p SET last_update_id = b.update_id
                  FROM bench_project b WHERE p.id = b.id AND b.update_id IS NOT NULL
                """
            )
        self.execute(
            """
            CREATE TEMP TABLE bench_task ON COMMIT PRESERVE ROWS AS
            SELECT nextval('project_task_id_seq')::int AS id, p.id AS project_id, p.cust_id,
                   p.idx, g.k, p.start_date,
                   random() < 0.3 AS done,
                   %(today)s::date - 30 + floor(random() * 90)::int AS deadline,
                   random() AS r_rating
              FROM bench_project p, generate_series(1, p.n_tasks) AS g(k)
            """,
            {"today": self.today},
        )
        self.counts["tasks"] = self.clone_insert(
            "project_task",
            tpl["task"],
            "SELECT * FROM bench_task",
            {
                "id": "s.id",
                "project_id": "s.project_id",
                "partner_id": "s.cust_id",
                "name": "'Task ' || s.k",
                "state": "CASE WHEN s.done THEN '1_done' ELSE '01_in_progress' END",
                "date_deadline": "(s.deadline + interval '17 hours')::timestamp",
                "access_token": "NULL",
                "create_date": ts,
                "write_date": ts,
            },
        )
        self.counts["ratings"] = self.clone_insert(
            "rating_rating",
            tpl["rating"],
            """SELECT t.*, COALESCE(ct.id, t.cust_id) AS rater_id,
                      (ARRAY[1, 3, 5, 5])[1 + floor(t.r_rating * 40)::int %% 4] AS value
                 FROM bench_task t
                 LEFT JOIN bench_contact ct ON ct.idx = t.idx AND ct.k = 1
                WHERE t.done AND t.r_rating < 0.5""",
            {
                "res_id": "s.id",
                "parent_res_id": "s.project_id",
                "partner_id": "s.rater_id",
                "rating": "s.value",
                "rating_text": ("CASE s.value WHEN 5 THEN 'top' WHEN 3 THEN 'ok' ELSE 'ko' END"),
                "res_name": "'Task ' || s.k",
                "access_token": "md5(s.id::text || 'rating')",
                "id": "nextval('rating_rating_id_seq')",
                "create_date": self.stamp("s.deadline - 5 + interval '10 hours'"),
                # no two ratings of a customer at the same instant (see README: ties)
                "write_date": self.stamp(
                    "LEAST(s.deadline, %(today)s::date) + interval '8 hours'"
                    " + random() * interval '10 hours'"
                )
                + " - random() * interval '1 hour'",
            },
            {"today": self.today},
        )

    def _gen_messages(self):
        """The chatter Odoo keeps: creation notifications of every record, invoices sent by
        email, payments, and the conversation with each customer (emails in, replies out,
        internal notes, calls logged as done activities)."""
        tpl = self.tpl
        base = {
            "id": "nextval('mail_message_id_seq')",
            "message_id": "'<bench.' || md5(random()::text) || '@example.com>'",
        }

        def at(expr, hour):
            return self.stamp(f"{expr} + interval '{hour} hours'")

        def clone(template, source, res_id, when, extra=None):
            values = dict(base, res_id=res_id, date=when, create_date=when, write_date=when)
            values.update(extra or {})
            return self.clone_insert("mail_message", template, source, values)

        total = 0
        partner_created = at("(%(today)s::date - s.start_ago - 10)", 9)
        for source in (
            "SELECT id, start_ago, name FROM bench_customer",
            "SELECT id, start_ago, name FROM bench_contact",
        ):
            total += self.clone_insert(
                "mail_message", tpl["msg_partner_created"], source,
                dict(base, res_id="s.id", date=partner_created, create_date=partner_created,
                     write_date=partner_created),
                {"today": self.today},
            )  # fmt: skip
        total += clone(tpl["msg_invoice_created"], "SELECT * FROM bench_inv", "s.id",
                       at("s.inv_date", 10), {"record_name": "s.name"})  # fmt: skip
        total += clone(tpl["msg_invoice_sent"], "SELECT * FROM bench_inv WHERE sent", "s.id",
                       at("s.inv_date", 11),
                       {"record_name": "s.name", "author_id": "s.manager_partner_id",
                        "body": "'<p>Invoice ' || s.name || ' sent</p>'"})  # fmt: skip
        total += clone(tpl["msg_refund_created"], "SELECT * FROM bench_ref", "s.id",
                       at("s.ref_date", 10), {"record_name": "s.name"})  # fmt: skip
        total += self._gen_payment_messages("bench_pay", at("s.pay_date", 15))
        total += clone(tpl["msg_project_created"], "SELECT * FROM bench_project", "s.id",
                       at("s.start_date", 11))  # fmt: skip
        total += clone(tpl["msg_task_created"], "SELECT * FROM bench_task", "s.id",
                       at("s.start_date", 11), {"record_name": "'Task ' || s.k"})  # fmt: skip
        # the conversation with the customer, over their active period and a bit after
        self.execute(
            """
            CREATE TEMP TABLE bench_talk ON COMMIT PRESERVE ROWS AS
            SELECT c.id AS cust_id, c.name, c.manager_partner_id, ct.id AS contact_id, g.k,
                   random() AS r_kind,
                   %(today)s::date - GREATEST(0, c.end_ago - 60
                        + floor(random() * (c.start_ago - c.end_ago + 60))::int) AS day
              FROM bench_customer c
              LEFT JOIN bench_contact ct ON ct.idx = c.idx AND ct.k = 1,
                   generate_series(1, c.n_messages) AS g(k)
            """,
            {"today": self.today},
        )
        talk = {
            "record_name": "s.name",
            "body": "'<p>Message ' || s.k || '</p>'",
        }
        total += clone(tpl["msg_email_in"],
                       "SELECT * FROM bench_talk WHERE r_kind < 0.35", "s.cust_id",
                       at("s.day", 9),
                       dict(talk, author_id="COALESCE(s.contact_id, s.cust_id)",
                            email_from="lower(replace(s.name, ' ', '.')) || '@example.com'"))  # fmt: skip
        total += clone(tpl["msg_reply"],
                       "SELECT * FROM bench_talk WHERE r_kind >= 0.35 AND r_kind < 0.65",
                       "s.cust_id", at("s.day", 14),
                       dict(talk, author_id="s.manager_partner_id"))  # fmt: skip
        total += clone(tpl["msg_note"],
                       "SELECT * FROM bench_talk WHERE r_kind >= 0.65 AND r_kind < 0.85",
                       "s.cust_id", at("s.day", 16), talk)  # fmt: skip
        total += clone(tpl["msg_call"], "SELECT * FROM bench_talk WHERE r_kind >= 0.85",
                       "s.cust_id", at("s.day", 10),
                       dict(talk, author_id="s.manager_partner_id"))  # fmt: skip
        self.counts["messages"] = total

    # -- validation ------------------------------------------------------------------------
    def validate(self, sample_size=200, change=False):
        """Recompute a sample of generated records with Odoo's own compute methods, in a
        cursor that is rolled back, and compare with what was stored. ``change``: the
        invoices paid by the incremental path and their payments instead."""
        moves = (
            "SELECT id FROM bench_change UNION ALL SELECT id FROM bench_pay_change"
            if change
            else "SELECT id FROM bench_inv UNION ALL SELECT id FROM bench_ref "
            "UNION ALL SELECT id FROM bench_pay"
        )
        payments = "bench_pay_change" if change else "bench_pay"
        checks = {
            "account.move": (
                f"SELECT id FROM ({moves}) x ORDER BY md5(id::text) LIMIT %(n)s",
                [
                    "amount_untaxed", "amount_total", "amount_residual", "amount_untaxed_signed",
                    "amount_total_signed", "amount_residual_signed", "payment_state",
                    "commercial_partner_id",
                ],
            ),
            "account.move.line": (
                f"SELECT id FROM account_move_line WHERE move_id IN ({moves}) "
                "ORDER BY md5(id::text) LIMIT %(n)s",
                ["amount_residual", "amount_residual_currency", "reconciled"],
            ),
            "account.payment": (
                f"SELECT pay_id FROM {payments} ORDER BY md5(pay_id::text) LIMIT %(n)s",
                ["is_reconciled"],  # state depends on its own previous value
            ),
        }  # fmt: skip
        if not change:
            checks["project.project"] = (
                "SELECT id FROM bench_project ORDER BY md5(id::text) LIMIT %(n)s",
                ["retention_is_closed", "last_update_status"],
            )
        problems = []
        checked = 0
        registry = self.env.registry
        ids_by_model = {}
        for model, (query, _names) in checks.items():
            self.cr.execute(query, {"n": sample_size})
            ids_by_model[model] = [row[0] for row in self.cr.fetchall()]
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            for model, (_query, names) in checks.items():
                records = env[model].browse(ids_by_model[model])
                stored = {
                    name: {rec.id: rec[name] for rec in records} for name in names
                }  # read from the database
                env.invalidate_all()
                for name in names:
                    field = records._fields[name]
                    if not field.compute:
                        continue
                    env.add_to_compute(field, records)
                for name in names:
                    for rec in records:
                        value = rec[name]
                        before = stored[name][rec.id]
                        if isinstance(value, float):
                            same = abs(value - before) < 0.005
                        else:
                            same = value == before
                        if not same:
                            problems.append(
                                f"{model}({rec.id}).{name}: stored {before!r}, Odoo computes {value!r}"
                            )
                checked += len(records)
            cr.rollback()
        return checked, problems

    def drop_staging(self):
        for table in ("bench_customer", "bench_contact", "bench_inv", "bench_ref", "bench_pay",
                      "bench_project", "bench_task", "bench_talk", "bench_change",
                      "bench_pay_change"):  # fmt: skip
            self.execute(f"DROP TABLE IF EXISTS {table}")


# ----------------------------------------------------------------------------------------
# The yardstick: a straightforward per-customer ORM implementation (kept in the bench only)
# ----------------------------------------------------------------------------------------
COMPARED = (
    "retention_customer_since", "retention_last_invoice_date", "retention_last_contact_date",
    "retention_revenue_12m", "retention_revenue_prev_12m", "retention_revenue_lifetime",
    "retention_repeat_revenue_share", "retention_overdue_amount", "retention_overdue_days",
    "retention_invoice_count", "retention_credit_note_count", "retention_project_open_count",
    "retention_project_done_count", "retention_health_score", "retention_stage",
)  # fmt: skip


def naive_compute(env, partner_ids, today):
    """For each customer: ORM searches of its invoices, messages, projects, tasks and ratings,
    the figures summed in Python, the engine's score, and an ORM write per company.
    Returns {(company_id, partner_id): values} for the comparison with the builder."""
    from dateutil.relativedelta import relativedelta

    from odoo.addons.customer_retention.engine.health import (
        CustomerFacts,
        ProjectFacts,
        evaluate,
    )

    partners_model = env["res.partner"].with_context(active_test=False)
    moves_model = env["account.move"]
    messages_model = env["mail.message"]
    projects_model = env["project.project"].with_context(active_test=False)
    tasks_model = env["project.task"]
    ratings_model = env["rating.rating"]
    companies = env["res.company"].search([])
    start_12m = today - relativedelta(months=12)
    start_24m = today - relativedelta(months=24)
    now = fields.Datetime.now()
    contact_types = env["mail.activity.type"].search([("retention_counts_as_contact", "=", True)])
    real = [
        "|",
        "&",
        "&",
        ("message_type", "in", ("email", "comment", "email_outgoing")),
        ("is_internal", "=", False),
        "|",
        ("subtype_id", "=", False),
        ("subtype_id.internal", "=", False),
        ("mail_activity_type_id", "in", contact_types.ids),
    ]

    def last_message_date(domain):
        message = messages_model.search(domain + real, order="date desc", limit=1)
        return message.date.date() if message else None

    computed = {}
    for partner in partners_model.browse(partner_ids):
        people = partners_model.search([("commercial_partner_id", "=", partner.id)])
        moves = moves_model.search(
            [
                ("commercial_partner_id", "=", partner.id),
                ("move_type", "in", ("out_invoice", "out_refund")),
            ]
        )
        projects = projects_model.search([("partner_id", "in", people.ids)])
        # contacts: on the customer and its people, authored by them, on projects, invoices
        contact_dates = defaultdict(list)
        contact_dates[None].append(
            last_message_date([("model", "=", "res.partner"), ("res_id", "in", people.ids)])
        )
        contact_dates[None].append(last_message_date([("author_id", "in", people.ids)]))
        for project in projects:
            contact_dates[project.company_id.id or None].append(
                last_message_date([("model", "=", "project.project"), ("res_id", "=", project.id)])
            )
        for company_moves in moves.grouped("company_id").values():
            contact_dates[company_moves.company_id.id].append(
                last_message_date(
                    [("model", "=", "account.move"), ("res_id", "in", company_moves.ids)]
                )
            )
        rating = ratings_model.search(
            [("partner_id", "in", people.ids), ("consumed", "=", True), ("rating", ">=", 1)],
            order="write_date desc, id desc",
            limit=1,
        )
        satisfaction = (rating.rating - 1) * 25 if rating else None
        posted = moves.filtered(lambda m: m.state == "posted")
        for company in companies:
            if partner.company_id and partner.company_id != company:
                continue
            rules = company._retention_stage_rules()
            invoices = posted.filtered(lambda m, c=company: m.company_id == c)
            out = invoices.filtered(lambda m: m.move_type == "out_invoice").sorted(
                lambda m: (m.invoice_date, m.id)
            )
            dates = [m.invoice_date for m in out]
            first, last = (dates[0], dates[-1]) if dates else (None, None)
            winback = None
            for before, after in zip(dates, dates[1:], strict=False):
                if (after - before).days > rules.churn_days:
                    winback = after
            revenue_12m = revenue_prev = lifetime = repeat = overdue_amount = 0.0
            overdue_days = count_12m = refunds_12m = 0
            for move in invoices:
                amount = move.amount_untaxed_signed
                lifetime += amount
                if first and move.invoice_date > first:
                    repeat += amount
                if move.invoice_date > start_12m:
                    revenue_12m += amount
                    if move.move_type == "out_invoice":
                        count_12m += 1
                    else:
                        refunds_12m += 1
                elif move.invoice_date > start_24m:
                    revenue_prev += amount
                if (
                    move.move_type == "out_invoice"
                    and move.invoice_date_due < today
                    and move.payment_state in ("not_paid", "partial")
                ):
                    overdue_amount += move.amount_residual_signed
                    overdue_days = max(overdue_days, (today - move.invoice_date_due).days)
            open_projects, done = [], 0
            for project in projects:
                if project.company_id and project.company_id != company:
                    continue
                if not (project.active or project.retention_is_closed):
                    continue
                if project.retention_is_closed:
                    done += 1
                    continue
                task_domain = [
                    ("project_id", "=", project.id),
                    ("state", "not in", ("1_done", "1_canceled")),
                ]
                update = project.last_update_id
                status = project.last_update_status
                open_projects.append(
                    ProjectFacts(
                        status=status if status and status != "to_define" else None,
                        days_since_update=(today - update.date).days if update.date else None,
                        open_task_count=tasks_model.search_count(task_domain),
                        overdue_task_count=tasks_model.search_count(
                            task_domain + [("date_deadline", "<", now)]
                        ),
                    )
                )
            seen = [d for d in contact_dates[None] + contact_dates[company.id] if d]
            facts = CustomerFacts(
                first_invoice_date=first,
                last_invoice_date=last,
                invoice_date_count=len(set(dates)),
                last_winback_date=winback,
                revenue_12m=revenue_12m,
                revenue_prev_12m=revenue_prev,
                invoice_count_12m=count_12m,
                credit_note_count_12m=refunds_12m,
                overdue_amount=overdue_amount,
                overdue_days=overdue_days,
                last_contact_date=max(seen) if seen else None,
                satisfaction=satisfaction,
                open_projects=tuple(open_projects),
            )
            result = evaluate(facts, company._retention_weights(), rules, today)
            in_company = partner.with_company(company)
            old_health, old_stage = in_company.retention_health_score, in_company.retention_stage
            values = {
                "retention_customer_since": first,
                "retention_last_invoice_date": last,
                "retention_last_contact_date": facts.last_contact_date,
                "retention_revenue_12m": revenue_12m,
                "retention_revenue_prev_12m": revenue_prev,
                "retention_revenue_lifetime": lifetime,
                "retention_repeat_revenue_share": (
                    round(100.0 * repeat / lifetime, 1) if lifetime > 0 else 0.0
                ),
                "retention_overdue_amount": overdue_amount,
                "retention_overdue_days": overdue_days,
                "retention_invoice_count": len(out),
                "retention_credit_note_count": refunds_12m,
                "retention_project_open_count": len(open_projects),
                "retention_project_done_count": done,
                "retention_health_score": result.health,
                "retention_stage": result.stage,
            }
            if old_health != result.health:
                values["retention_health_score_prev"] = old_health
                values["retention_health_trend"] = "up" if result.health > old_health else "down"
            if old_stage != result.stage:
                values["retention_stage_date"] = today
            in_company.write(values)
            computed[(company.id, partner.id)] = values
    env.flush_all()
    return computed


def compare_figures(cr, expected):
    """Mismatches between the figures stored (by the builder) and the naive ones."""
    by_company = defaultdict(list)
    for company_id, partner_id in expected:
        by_company[company_id].append(partner_id)
    mismatches = []
    for company_id, partner_ids in by_company.items():
        columns = ", ".join(f"{name}->>%(key)s" for name in COMPARED)
        cr.execute(
            f"SELECT id, {columns} FROM res_partner WHERE id = ANY(%(ids)s)",
            {"key": str(company_id), "ids": partner_ids},
        )
        for row in cr.fetchall():
            stored = dict(zip(COMPARED, row[1:], strict=False))
            naive = expected[(company_id, row[0])]
            for name in COMPARED:
                want, got = naive.get(name), stored[name]
                if isinstance(want, float):
                    same = abs(want - float(got or 0)) < 0.01
                elif isinstance(want, int):
                    same = want == int(got or 0)
                elif want in (None, False):
                    same = got is None
                else:
                    same = str(want) == got
                if not same:
                    mismatches.append(
                        f"partner {row[0]} company {company_id} {name}: naive {want!r}, builder {got!r}"
                    )
    return mismatches


# ----------------------------------------------------------------------------------------
# The paths
# ----------------------------------------------------------------------------------------
BUILDER_STEPS = (
    "_mark_all_customers_dirty", "_claim_dirty_partners", "_invoice_facts",
    "_last_contact_dates", "_project_facts", "_latest_satisfaction", "_read_current_values",
    "_partner_companies", "_evaluate_company", "_write_company_figures", "_unqueue",
    "_mark_changed_customers_dirty", "_process_dirty_batch",
)  # fmt: skip


class StepTimer:
    """Wraps the builder's steps to see where a path spends its time (a few calls per batch,
    the overhead is negligible)."""

    def __init__(self, env):
        self.cls = type(env["retention.profile.builder"])
        self.totals = defaultdict(float)
        self.calls = defaultdict(int)
        self.saved = {}
        self.processed = 0

    def __enter__(self):
        for name in BUILDER_STEPS:
            original = getattr(self.cls, name, None)
            if original is None:
                continue
            self.saved[name] = self.cls.__dict__.get(name)

            def wrapper(model, *args, _original=original, _name=name, **kwargs):
                t0 = time.perf_counter()
                try:
                    result = _original(model, *args, **kwargs)
                    if _name == "_process_dirty_batch":
                        self.processed += result or 0
                    return result
                finally:
                    self.totals[_name] += time.perf_counter() - t0
                    self.calls[_name] += 1

            setattr(self.cls, name, wrapper)
        return self

    def __exit__(self, *exc):
        for name, original in self.saved.items():
            if original is None:
                delattr(self.cls, name)
            else:
                setattr(self.cls, name, original)
        return False

    def summary(self):
        parts = sorted(
            ((k, v) for k, v in self.totals.items() if k != "_process_dirty_batch"),
            key=lambda kv: -kv[1],
        )
        return ", ".join(f"{name} {secs:.2f} s/{self.calls[name]}" for name, secs in parts)


FLOOR_QUERY = """
    SELECT company_id, commercial_partner_id,
           MIN(invoice_date) FILTER (WHERE move_type = 'out_invoice'),
           MAX(invoice_date) FILTER (WHERE move_type = 'out_invoice'),
           COUNT(DISTINCT invoice_date) FILTER (WHERE move_type = 'out_invoice'),
           COUNT(*) FILTER (WHERE move_type = 'out_invoice'),
           COUNT(*) FILTER (WHERE move_type = 'out_invoice' AND invoice_date > %(start_12m)s),
           COUNT(*) FILTER (WHERE move_type = 'out_refund' AND invoice_date > %(start_12m)s),
           SUM(amount_untaxed_signed),
           SUM(amount_untaxed_signed) FILTER (WHERE invoice_date > %(start_12m)s),
           SUM(amount_untaxed_signed) FILTER (WHERE invoice_date > %(start_24m)s
                                                AND invoice_date <= %(start_12m)s),
           SUM(amount_residual_signed) FILTER (WHERE move_type = 'out_invoice'
                AND invoice_date_due < %(today)s AND payment_state IN ('not_paid', 'partial')),
           MAX(%(today)s - invoice_date_due) FILTER (WHERE move_type = 'out_invoice'
                AND invoice_date_due < %(today)s AND payment_state IN ('not_paid', 'partial'))
      FROM account_move
     WHERE state = 'posted' AND move_type IN ('out_invoice', 'out_refund')
     GROUP BY company_id, commercial_partner_id
"""

LIST_SPECIFICATION = {
    "retention_currency_id": {"fields": {}},
    "display_name": {},
    "retention_stage": {},
    "retention_health_score": {},
    "retention_health_trend": {},
    "retention_revenue_12m": {},
    "retention_revenue_prev_12m": {},
    "retention_revenue_trend": {},
    "retention_overdue_amount": {},
    "retention_customer_since": {},
    "retention_last_invoice_date": {},
    "retention_last_contact_date": {},
    "retention_next_review_date": {},
    "retention_project_open_count": {},
    "retention_account_manager_id": {"fields": {"display_name": {}}},
    "country_id": {"fields": {"display_name": {}}},
}


class Bench:
    def __init__(self, env, args, today):
        self.env = env
        self.cr = env.cr
        self.args = args
        self.today = today
        self.builder = env["retention.profile.builder"]
        self.results = []
        self.notes = []
        self.failures = []
        self.values = {}

    def batch_size(self):
        if self.args.batch_size:
            return self.args.batch_size
        from odoo.addons.customer_retention.models import retention_profile_builder

        return getattr(retention_profile_builder, "BATCH_SIZE", 2000)

    def full_recompute(self, label="1a. full recompute, first run"):
        """Every customer marked, then batches processed and committed like the daily job
        (without its time budget)."""
        size = self.batch_size()
        batches = []
        with StepTimer(self.env) as steps, Measure(self.cr) as m:
            marked = self.builder._mark_all_customers_dirty()
            self.cr.commit()
            done = 0
            while True:
                t0 = time.perf_counter()
                count = self.builder._process_dirty_batch(size)
                if not count:
                    break
                self.cr.commit()
                done += count
                batches.append(time.perf_counter() - t0)
        self.values.setdefault("full_first", m.wall)
        self.values["full"] = m.wall  # the last one: the daily run
        # the builder's own read of the invoice rows, to set beside the floor
        self.values["invoice_read"] = steps.totals.get("_invoice_facts", 0.0)
        self.results.append(
            Result(
                label,
                done,
                m,
                "<= 60 s, < 1024 MB",
                m.wall <= 60 and m.peak_mb < 1024,
                f"{marked:,} marked, {len(batches)} batches of {size}; batch time "
                f"min {min(batches or [0]):.2f} / max {max(batches or [0]):.2f} s; "
                f"steps: {steps.summary()}",
            )
        )

    def floor(self):
        start_12m = self.today.replace(year=self.today.year - 1)
        start_24m = self.today.replace(year=self.today.year - 2)
        params = {"today": self.today, "start_12m": start_12m, "start_24m": start_24m}
        self.cr.execute(
            "SELECT COUNT(*) FROM account_move WHERE state = 'posted' "
            "AND move_type IN ('out_invoice', 'out_refund')"
        )
        invoice_rows = self.cr.fetchone()[0]
        self.cr.execute(FLOOR_QUERY, params)  # warm, like the recompute's caches are
        self.cr.fetchall()
        with Measure(self.cr) as m:
            self.cr.execute(FLOOR_QUERY, params)
            groups = len(self.cr.fetchall())
        ratio = self.values["full"] / m.wall if m.wall else None
        first_ratio = self.values["full_first"] / m.wall if m.wall else None
        self.values["floor"] = m.wall
        self.results.append(
            Result(
                "4. floor: one grouped query over the invoices",
                invoice_rows,
                m,
                "1b <= 5x floor",
                ratio is not None and ratio <= 5,
                f"{groups:,} (company, customer) groups; daily full recompute (1b) / floor = "
                f"{ratio:.1f}x (first run 1a: {first_ratio:.1f}x); the builder's own read of "
                f"the same invoice rows in 1b (_invoice_facts, all batches): "
                f"{self.values['invoice_read']:.2f} s = "
                f"{self.values['invoice_read'] / m.wall:.1f}x the floor",
            )
        )

    def naive_vs_builder(self):
        n = self.args.naive_subset
        self.cr.execute(
            """
            SELECT id FROM res_partner
             WHERE id = commercial_partner_id AND customer_rank > 0 AND retention_stage IS NOT NULL
             ORDER BY md5(id::text) LIMIT %s
            """,
            (n,),
        )
        subset = [row[0] for row in self.cr.fetchall()]
        if not subset:
            self.failures.append("no customer for the naive comparison")
            return
        self.env.invalidate_all()
        with Measure(self.cr) as naive_m:
            expected = naive_compute(self.env, subset, self.today)
        self.cr.commit()
        self.env.invalidate_all()
        with Measure(self.cr) as set_m:
            self.builder._compute_partners(subset)
        self.cr.commit()
        mismatches = compare_figures(self.cr, expected)
        speedup = naive_m.wall / set_m.wall if set_m.wall else None
        self.results.append(
            Result(
                "3a. naive per-customer ORM (yardstick)",
                len(subset),
                naive_m,
                "",
                None,
                f"{naive_m.wall / len(subset) * 1000:.1f} ms and "
                f"{naive_m.queries / len(subset):.0f} queries per customer",
            )
        )
        self.results.append(
            Result(
                "3b. builder on the same subset",
                len(subset),
                set_m,
                ">= 20x faster than 3a",
                speedup is not None and speedup >= 20,
                f"speed-up {speedup:.1f}x; figures compared on {len(expected)} "
                f"(company, customer) pairs x {len(COMPARED)} fields: "
                f"{len(mismatches)} mismatch(es)",
            )
        )
        if mismatches:
            self.failures.append(
                f"{len(mismatches)} figure(s) differ between the naive version and the builder: "
                + "; ".join(mismatches[:10])
            )

    def incremental(self, data):
        n = self.args.changes
        # the first call only sets the watermark
        self.builder._cron_refresh_changed()
        self.cr.commit()
        # steady state: the job runs while nothing changed
        with StepTimer(self.env) as idle_steps, Measure(self.cr) as idle:
            self.builder._cron_refresh_changed()
        self.cr.commit()
        self.results.append(
            Result(
                "2a. refresh job, nothing changed",
                idle_steps.processed,
                idle,
                "",
                None,
                "the scan for changes since the previous run (from the oldest transaction "
                f"then running); steps: {idle_steps.summary()}",
            )
        )
        changed, customers = data.pay_open_invoices(n, self.today)
        self.cr.commit()
        with StepTimer(self.env) as steps, Measure(self.cr) as m:
            self.builder._cron_refresh_changed()
        self.cr.commit()
        self.cr.execute(
            "SELECT COUNT(*) FROM retention_profile_queue WHERE partner_id = ANY(%s)",
            (customers,),
        )
        left = self.cr.fetchone()[0]
        if left:
            self.failures.append(f"incremental refresh left {left} changed customers dirty")
        self.results.append(
            Result(
                f"2b. refresh job after {changed:,} invoices paid",
                steps.processed,
                m,
                "< 5 s",
                m.wall < 5,
                f"{changed:,} invoices of {len(customers):,} customers paid (payment, "
                f"reconciliation, messages) before the run; steps: {steps.summary()}",
            )
        )

    def customers_list(self):
        """The Customers list: at-risk filter, retention columns, 80 then 400 rows."""
        admin = self.env.ref("base.user_admin")
        company = self.env.company
        env = self.env(
            user=admin.id,
            su=False,
            context={
                "lang": "en_US",
                "tz": "UTC",
                "uid": admin.id,
                "allowed_company_ids": [company.id],
                "bin_size": True,
            },
        )
        partners = env["res.partner"]
        domain = [("retention_stage", "!=", False), ("retention_stage", "=", "at_risk")]
        partners.web_search_read(domain, LIST_SPECIFICATION, limit=80)  # warm the caches
        counts = {}
        measures = {}
        for limit in (80, 400):
            env.invalidate_all()
            with Measure(self.cr) as m:
                result = partners.web_search_read(domain, LIST_SPECIFICATION, limit=limit)
            counts[limit] = (len(result["records"]), result["length"])
            measures[limit] = m
        equal = measures[80].queries == measures[400].queries
        for limit in (80, 400):
            rows, length = counts[limit]
            self.results.append(
                Result(
                    f"5. customers list, at risk, limit {limit}",
                    rows,
                    measures[limit],
                    "same queries as 80" if limit == 400 else "constant queries",
                    equal,
                    f"{length:,} customers at risk" if limit == 80 else "",
                )
            )
        if not equal:
            self.failures.append(
                f"customers list: {measures[80].queries} queries for 80 rows, "
                f"{measures[400].queries} for 400"
            )

    def analytics_backfill(self):
        """Retention analytics (issue #7): retention.snapshot._backfill() rebuilds the monthly
        snapshots of every customer over the whole history (5 years here), one set-based
        statement per company, as the install and the Settings button do."""
        model = "retention.snapshot"
        if model not in self.env:
            self.results.append(
                Result(
                    "6a. analytics backfill, 5 years",
                    target="<= 120 s (not built)",
                    note=f"not built: no {model} model in this branch (retention analytics)",
                )
            )
            return
        snapshots = self.env[model].sudo()
        with Measure(self.cr) as m:
            rows = snapshots._backfill()
        self.cr.commit()
        self.cr.execute(
            "SELECT COUNT(*), COUNT(DISTINCT partner_id), MIN(month), MAX(month) "
            "FROM retention_snapshot"
        )
        count, partners, first, last = self.cr.fetchone()
        self.cr.execute("SELECT COUNT(*) FROM retention_metric_period")
        periods = self.cr.fetchone()[0]
        if not count:
            self.failures.append("analytics backfill: no snapshot written")
        self.results.append(
            Result(
                "6a. analytics backfill, 5 years",
                rows,
                m,
                "<= 120 s",
                m.wall <= 120,
                f"{count:,} monthly snapshots of {partners:,} customers, {first} to {last}, "
                f"then {periods:,} rows of the metric report (month, quarter, year periods)",
            )
        )

    def dashboard(self):
        """The Retention dashboard (the app's landing screen) as the administrator opens it:
        KPIs of the month against the month before, the 12-month curve, customers at risk,
        reviews, renewals. No target in issue #8: measured to show what a user waits for."""
        admin = self.env.ref("base.user_admin")
        env = self.env(user=admin.id, su=False)
        dashboard = env["retention.dashboard"]
        env.invalidate_all()
        with Measure(self.cr) as m:
            data = dashboard.get_dashboard_data("month")
        self.results.append(
            Result(
                "7. dashboard, month",
                len(data["history"]),
                m,
                "(none)",
                None,
                f"{len(data['history'])} periods on the curve, {len(data['at_risk'])} customers "
                "at risk listed; the metric report's rows are stored (built by 6a)",
            )
        )

    def followups(self):
        """N due follow-up events: an 'invoice overdue' rule scheduling an activity on each
        overdue invoice, its start date set so that exactly the N latest events are due; then
        the scheduled job is run again and again, as ir.cron reruns a job that reports
        remaining work, until no log is due. Each call gets an ir.cron.progress record, as the
        cron runner gives it, so the progress it reports is read back."""
        env, cr = self.env, self.cr
        n = self.args.followups
        rules = env["retention.followup.rule"].sudo()
        rules.search([]).write({"active": False})  # only the bench's rule
        rule = rules.create(
            {
                "name": "Bench: invoice overdue",
                "trigger": "invoice_overdue",
                "days": 15,
                "date_from": self.today - timedelta(days=5 * 366),
                "action_ids": [
                    Command.create(
                        {
                            "action_type": "activity",
                            "activity_type_id": env.ref("mail.mail_activity_data_todo").id,
                            "summary": "Chase the overdue invoice",
                            "assignee": "account_manager",
                        }
                    )
                ],
            }
        )
        due_dates = sorted((row[3] for row in rule._event_rows(self.today)), reverse=True)
        if not due_dates:
            self.failures.append("follow-ups: no overdue invoice in the generated data")
            return
        # the N-th latest due date: events due on it or later (ties included)
        rule.date_from = due_dates[min(n, len(due_dates)) - 1]
        expected = sum(1 for day in due_dates if day >= rule.date_from)
        cr.execute("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM mail_activity")
        activities_before, last_activity_id = cr.fetchone()
        cr.commit()
        cron = env.ref("customer_retention.ir_cron_retention_followups")
        calls, reported = 0, []
        with Measure(cr) as m:
            while True:
                progress = (
                    env["ir.cron.progress"]
                    .sudo()
                    .create({"cron_id": cron.id, "done": 0, "remaining": 0})
                )
                env["retention.followup.rule"].with_context(
                    ir_cron_progress_id=progress.id
                )._cron_run_followups()
                calls += 1
                reported.append((progress.done, progress.remaining))
                cr.commit()
                if not progress.remaining or calls > 1000:
                    break
        # a second worker, or the next run, finds nothing to do
        again = rules._detect_events()
        cr.execute(
            """
            SELECT COUNT(*), COUNT(*) FILTER (WHERE state = 'done'),
                   COUNT(DISTINCT res_id)
              FROM retention_followup_log WHERE rule_id = %s
            """,
            (rule.id,),
        )
        logs, done, records = cr.fetchone()
        cr.execute(
            """
            SELECT COUNT(*), COUNT(DISTINCT a.res_id)
              FROM mail_activity a
              JOIN retention_followup_log l
                ON l.res_id = a.res_id AND l.res_model = a.res_model AND l.rule_id = %s
             WHERE a.id > %s
            """,
            (rule.id, last_activity_id),
        )
        activities, activity_records = cr.fetchone()
        cr.execute("SELECT COUNT(*) FROM mail_activity")
        new_activities = cr.fetchone()[0] - activities_before
        problems = []
        if not (logs == done == records == expected):
            problems.append(
                f"{expected} events expected, {logs} logs on {records} invoices, {done} done"
            )
        if not (activities == activity_records == new_activities == expected):
            problems.append(
                f"{expected} events, {new_activities} new activities, {activities} on the "
                f"logged invoices ({activity_records} distinct)"
            )
        if again:
            problems.append(f"a rerun of the detection added {again} logs")
        if reported[-1][1] or sum(d for d, _r in reported) != expected:
            problems.append(f"progress reported {reported} for {expected} events")
        if problems:
            self.failures.append("follow-ups: " + "; ".join(problems))
        self.results.append(
            Result(
                "6b. follow-up processing (detect + execute)",
                expected,
                m,
                "<= 60 s per 10,000" + (" (prorated)" if expected != 10_000 else ""),
                m.wall <= 60 * expected / 10_000,
                f"{expected:,} overdue invoices -> {logs:,} logs, {activities:,} activities "
                f"(one each: {'yes' if not problems else 'NO'}); {calls} job run(s), progress "
                f"(done, remaining) reported: {reported[:4]}{' ...' if len(reported) > 4 else ''}; "
                f"{m.wall / max(expected, 1) * 1000:.1f} ms and "
                f"{m.queries / max(expected, 1):.0f} queries per event",
            )
        )


# ----------------------------------------------------------------------------------------
# EXPLAIN of the heavy queries
# ----------------------------------------------------------------------------------------
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


def explain_heavy_queries(bench, path):
    """The builder's queries for one batch (the first ``batch_size`` customers, like the
    job's first batch), the refresh job's scan for changes, and the customers list."""
    env, cr = bench.env, bench.cr
    builder = bench.builder
    size = bench.batch_size()
    # a batch from the middle of the id range: the job takes batches in id order, and a plan
    # can be cheap for the first batch and not for later ones
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
    batch = [row[0] for row in cr.fetchall()]
    with open(path, "w", encoding="utf-8") as out:
        print(
            f"EXPLAIN (ANALYZE, BUFFERS), database {cr.dbname}, {machine_description()}", file=out
        )
        cr.execute(
            "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname = ANY(%s) "
            "ORDER BY relname",
            (["account_move", "account_move_line", "res_partner", "mail_message",
              "project_project", "project_task", "rating_rating"],),
        )  # fmt: skip
        for name, rows in cr.fetchall():
            print(f"  {name}: {rows:,} rows", file=out)
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
        domain = [("retention_stage", "!=", False), ("retention_stage", "=", "at_risk")]
        with QueryCapture(cr) as capture:
            list_env["res.partner"].web_search_read(domain, LIST_SPECIFICATION, limit=80)
        explain_statements(cr, "customers list (at risk, 80)",
                           [q for q in capture.statements if "retention_stage" in q], out)  # fmt: skip
        cr.rollback()
    log(f"EXPLAIN output written to {path}")


# ----------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------
TEMPLATES_PARAM = "customer_retention.bench_templates"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", required=True, help="Odoo configuration file")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument(
        "--invoices",
        type=int,
        default=1_000_000,
        help="customer invoices and credit notes (7%% credit notes)",
    )
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument(
        "--keep-db", action="store_true", help="do not drop the database at the end"
    )
    parser.add_argument(
        "--naive-subset",
        type=int,
        default=500,
        help="customers computed by the naive ORM yardstick and the builder",
    )
    parser.add_argument(
        "--changes", type=int, default=1000, help="invoices paid before the incremental refresh"
    )
    parser.add_argument(
        "--followups",
        type=int,
        default=10_000,
        help="due follow-up events processed by the follow-up job",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="small run for the test suite: {:,} customers, {:,} invoices, naive subset {}".format(
            *SMOKE_SIZE
        ),
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=0,
        help="batch size of the full recompute (default: the builder's)",
    )
    parser.add_argument("--seed", type=float, default=0.42)
    parser.add_argument(
        "--from-template",
        metavar="DB",
        help="clone this database (module installed, no demo) instead of installing",
    )
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="development: keep the existing --db as it is (no install, no data)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a time or memory target is missed too"
    )
    parser.add_argument(
        "--explain",
        metavar="FILE",
        help="after the paths, write EXPLAIN (ANALYZE, BUFFERS) of the heavy "
        "queries (one builder batch, the refresh scan, the list) to FILE",
    )
    parser.add_argument(
        "--skip", default="", help="development: comma-separated paths not to run (naive, list...)"
    )
    parser.add_argument("--log-level", default="warn")
    args = parser.parse_args(argv)  # fmt: skip
    if args.smoke:
        args.customers, args.invoices, args.naive_subset = SMOKE_SIZE
        # the smoke data has about 200 open invoices: leave some for the follow-ups
        args.changes = min(args.changes, 60)
        args.followups = min(args.followups, 100)
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    config = os.path.abspath(args.config)
    odoo.tools.config.parse_config(["-c", config, f"--log-level={args.log_level}"])
    command = " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])
    print(f"command: {command}")
    print(f"machine: {machine_description()}")
    print(f"sizes:   {args.customers:,} customers, {args.invoices:,} invoices and credit notes, "
          f"naive subset {args.naive_subset}, {args.changes} changed invoices; db {args.db}")  # fmt: skip

    install_time = None
    if not args.reuse_db:
        drop_database(args.db)
        if args.from_template:
            log(f"cloning {args.from_template}")
            clone_database(args.from_template, args.db)
        else:
            install_time = install_database(config, args.db, os.path.dirname(config))
            log(f"install: {install_time:.0f} s")
    elif not database_exists(args.db):
        sys.exit(f"--reuse-db: database {args.db} does not exist")

    registry = odoo.modules.registry.Registry(args.db)
    exit_code = 0
    try:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            today = fields.Date.context_today(env["retention.profile.builder"])
            data = DataBuilder(env, args.customers, args.invoices, args.seed, today)
            bench = Bench(env, args, today)
            params = env["ir.config_parameter"].sudo()
            if args.reuse_db:
                data.tpl = json.loads(params.get_param(TEMPLATES_PARAM) or "{}")
                if not data.tpl:
                    sys.exit("--reuse-db: no bench data in this database")
            else:
                data.generate()
                params.set_param(TEMPLATES_PARAM, json.dumps(data.tpl))
                cr.commit()
                checked, problems = data.validate()
                log(f"validation: {checked} generated records recomputed by Odoo, "
                    f"{len(problems)} difference(s)")  # fmt: skip
                if problems:
                    bench.failures.append("generated data differs from what Odoo computes: "
                                          + "; ".join(problems[:10]))  # fmt: skip
                print(f"generation: {data.total:.0f} s in all (not measured below)")
                for name, count in data.counts.items():
                    print(f"  {name:<32} {count:>12,}")
            cr.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            print(f"database size: {cr.fetchone()[0]}")

            skip = {name.strip() for name in args.skip.split(",") if name.strip()}
            if "full" not in skip:
                log("path 1: full recompute")
                bench.full_recompute()
                log("path 1b: full recompute again (the daily job: figures and flags exist)")
                bench.full_recompute("1b. full recompute, daily (figures exist)")
                log("path 4: floor")
                bench.floor()
            if "naive" not in skip:
                log("path 3: naive ORM yardstick vs builder")
                bench.naive_vs_builder()
            if "incremental" not in skip:
                log("path 2: incremental refresh")
                bench.incremental(data)
                if not args.reuse_db:
                    checked, problems = data.validate(change=True)
                    if problems:
                        bench.failures.append("paid invoices differ from what Odoo computes: "
                                              + "; ".join(problems[:10]))  # fmt: skip
            if "list" not in skip:
                log("path 5: customers list")
                bench.customers_list()
            if "analytics" not in skip:
                log("path 6a: analytics backfill")
                bench.analytics_backfill()
            if "followups" not in skip:
                log("path 6b: follow-up processing")
                bench.followups()
            if "dashboard" not in skip:
                log("path 7: dashboard")
                bench.dashboard()
            data.drop_staging()
            cr.commit()
            if args.explain:
                explain_heavy_queries(bench, args.explain)

        print()
        print(f"command: {command}")
        print(f"machine: {machine_description()}")
        print(f"sizes:   {args.customers:,} customers, {args.invoices:,} invoices and credit "
              f"notes; peak MB = peak RSS of this Odoo process during the path (VmHWM)")  # fmt: skip
        print_table(bench.results)
        missed = [r.path for r in bench.results if r.met is False]
        if bench.failures:
            exit_code = 1
            print("\nFAILED:")
            for failure in bench.failures:
                print(f"  - {failure}")
        if missed:
            print("\ntargets missed: " + ", ".join(missed))
            if args.strict:
                exit_code = 1
    finally:
        odoo.modules.registry.Registry.delete(args.db)
        odoo.sql_db.close_db(args.db)
        if not args.keep_db:
            drop_database(args.db)
            log(f"dropped {args.db}")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
