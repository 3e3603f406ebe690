"""The benchmark's dataset: a synthetic but valid customer history, copied from real ORM-made
template rows.

5 years of history for N customers (companies, 0-2 contacts each, account managers): customer
invoices and credit notes with their journal items, payments and reconciliations, projects with
status updates, tasks and ratings, and the chatter Odoo keeps on all of them. A handful of real
records are made with the ORM first (an invoice, a credit note reversing it, a full and a
partial payment, a project, messages...), then every generated row is a copy of its template
row with only the varying columns replaced (ids, dates, amounts, names, links), in bulk
``INSERT ... SELECT``. The staging tables (``bench_*``, temporary) hold what varies.
"""

import json
import time
from contextlib import contextmanager
from datetime import timedelta
from functools import partial

from odoo import Command, fields

from database import fetch_value, vacuum_analyze
from measure import log

# SQL expressions of the columns that vary, over the staging row ``s``
EMAIL_OF_NAME = "lower(replace(s.name, ' ', '.')) || '@example.com'"
NEW_MESSAGE = {
    "id": "nextval('mail_message_id_seq')",
    "message_id": "'<bench.' || md5(random()::text) || '@example.com>'",
}
SIGNED_TOTALS = (
    "amount_untaxed_signed", "amount_untaxed_in_currency_signed", "amount_total_signed",
    "amount_total_in_currency_signed",
)  # fmt: skip
PRICES = ("price_unit", "price_subtotal", "price_total")
RECONCILED_AMOUNTS = ("amount", "debit_amount_currency", "credit_amount_currency")
STAGING_TABLES = (
    "bench_customer", "bench_contact", "bench_inv", "bench_ref", "bench_pay", "bench_project",
    "bench_task", "bench_talk", "bench_change", "bench_pay_change",
)  # fmt: skip


def stamps(expr):
    """create_date and write_date of generated rows."""
    return {"create_date": expr, "write_date": expr}


def entry_side(side, amount="s.amount"):
    """debit, credit, balance and amount_currency of a journal item of ``amount`` on ``side``
    ('debit' or 'credit')."""
    if side == "debit":
        return {"debit": amount, "credit": "0", "balance": amount, "amount_currency": amount}
    return {
        "debit": "0",
        "credit": amount,
        "balance": f"-{amount}",
        "amount_currency": f"-{amount}",
    }


def residual(expr):
    return {"amount_residual": expr, "amount_residual_currency": expr}


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

    @contextmanager
    def step(self, label):
        """Times a step of the generation and logs it (a step that fails is not logged)."""
        t0 = time.perf_counter()
        yield
        wall = time.perf_counter() - t0
        self.timings.append((label, wall))
        log(f"  {label}: {wall:.1f} s")

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
        self.replica = bool(
            fetch_value(self.cr, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        )
        if self.replica:
            self.execute("SET session_replication_role = replica")

    def bulk_end(self):
        if self.replica:
            self.execute("SET session_replication_role = DEFAULT")
            self.replica = False
        with self.step(f"foreign keys of the generated columns ({len(self.fk_to_check)})"):
            bad = [problem for key in sorted(self.fk_to_check) if (problem := self._dangling(*key))]
            if bad:
                raise RuntimeError("generated rows break foreign keys: " + "; ".join(bad))
        with self.step(f"rebuild of {len(self.dropped_indexes)} indexes"):
            self.execute("SET maintenance_work_mem = '512MB'")
            for _name, definition in self.dropped_indexes:
                self.execute(definition)
            self.execute("RESET maintenance_work_mem")
        self.dropped_indexes = []

    def _dangling(self, table, column):
        """What the foreign key of ``table.column`` would have refused, as a sentence, or ''."""
        parent, parent_column = self.foreign_keys[(table, column)]
        missing = self.scalar(
            f"""
            SELECT COUNT(*) FROM {table} c
             WHERE c."{column}" IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM {parent} p WHERE p."{parent_column}" = c."{column}")
            """
        )
        return f"{table}.{column}: {missing} rows point to no {parent}" if missing else ""

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
        env = self.env
        company = self.ensure_chart()
        journal = env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        managers = self._account_managers()
        customer, contact = self._template_partners(managers[0])
        day = self.today - timedelta(days=400)
        inv_paid = self._template_invoice(journal, contact, day, "out_invoice", 1000.0)
        refund = self._template_invoice(journal, contact, day, "out_refund", 100.0, inv_paid)
        payment = self._template_payment(inv_paid, day)
        inv_sent = self._template_invoice(journal, contact, day, "out_invoice", 500.0)
        inv_sent.message_post(
            body="Invoice sent", message_type="comment", subtype_xmlid="mail.mt_comment",
            author_id=managers[0].partner_id.id,
        )  # fmt: skip
        project, task, update, rating = self._template_project(customer, contact, managers[0])
        email_in, reply, note = self._template_conversation(customer, contact, managers[0])
        env.flush_all()

        pay_move = payment.move_id
        liquidity_line = self._line_on_account(pay_move, payment.outstanding_account_id)
        counterpart_line = self._line_on_account(pay_move, payment.destination_account_id)
        partial = fetch_value(
            self.cr,
            "SELECT id FROM account_partial_reconcile WHERE credit_move_id = %s",
            (counterpart_line,),
        )
        activity_type = env.ref("mail.mail_activity_data_call")
        message = self._first_message
        line = self._first_line
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

    def _account_managers(self):
        users = self.env["res.users"]
        managers = users
        for index in range(1, self.N_MANAGERS + 1):
            login = f"bench_manager_{index}"
            managers |= users.search([("login", "=", login)]) or users.create(
                {"name": f"Account Manager {index}", "login": login}
            )
        return managers

    def _template_partners(self, manager):
        partners = self.env["res.partner"]
        customer = partners.create(
            {
                "name": "Template Customer",
                "is_company": True,
                "customer_rank": 1,
                "user_id": manager.id,  # salesperson, hence account manager
            }
        )
        contact = partners.create(
            {"name": "Template Contact", "parent_id": customer.id, "email": "tpl@example.com"}
        )
        return customer, contact

    def _template_invoice(self, journal, contact, day, move_type, amount, reversed_entry=None):
        move = self.env["account.move"].create(
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
                        {"name": "Consulting", "quantity": 1, "price_unit": amount, "tax_ids": []}
                    )
                ],
            }
        )
        move.action_post()
        return move

    def _template_payment(self, move, day):
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"payment_date": day})
            ._create_payments()
        )

    def _template_project(self, customer, contact, manager):
        env = self.env
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
                "rated_partner_id": manager.partner_id.id,
                "rating": 5,
                "consumed": True,
            }
        )
        return project, task, update, rating

    def _template_conversation(self, customer, contact, manager):
        """An email in, a reply, an internal note, and a call logged as a done activity."""
        email_in = customer.message_post(
            body="Question from the customer", message_type="email",
            subtype_xmlid="mail.mt_comment", author_id=contact.id,
        )  # fmt: skip
        reply = customer.message_post(
            body="Our answer", message_type="comment", subtype_xmlid="mail.mt_comment",
            author_id=manager.partner_id.id,
        )  # fmt: skip
        note = customer.message_post(
            body="Internal note", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        activity = customer.activity_schedule("mail.mail_activity_data_call", summary="Call")
        activity.action_feedback(feedback="Called them")
        return email_in, reply, note

    def _first_message(self, model, res_id, where=""):
        self.cr.execute(
            f"SELECT id FROM mail_message WHERE model = %s AND res_id = %s {where} "
            "ORDER BY id LIMIT 1",
            (model, res_id),
        )
        row = self.cr.fetchone()
        if not row:
            raise RuntimeError(f"no template message on {model} {res_id} {where}")
        return row[0]

    @staticmethod
    def _first_line(move, display_type):
        return move.line_ids.filtered(lambda line: line.display_type == display_type)[:1].id

    def _line_on_account(self, move, account):
        return fetch_value(
            self.cr,
            "SELECT id FROM account_move_line WHERE move_id = %s AND account_id = %s",
            (move.id, account.id),
        )

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
        for label, make in (
            ("customers and contacts", self._gen_partners),
            ("invoices and credit notes (staging)", self._gen_staging_invoices),
            ("payments (staging)", self.stage_payments),
            ("account_move + account_move_line (invoices, credit notes)", self._gen_moves),
            ("payments and reconciliations", partial(self._gen_payments, staged=True)),
            ("projects, updates, tasks, ratings", self._gen_projects),
            ("messages", self._gen_messages),
        ):
            with self.step(label):
                make()
        self.bulk_end()
        self.cr.commit()
        with self.step("VACUUM ANALYZE"):
            vacuum_analyze(self.cr.dbname, self.BULK_TABLES)
        self.env.invalidate_all()
        self.total = time.perf_counter() - t0
        return self.total

    def _gen_partners(self):
        self._stage_partners()
        self._clone_partners()

    def _stage_partners(self):
        """The customers, each with a profile (prospect, churned, slipping, active), an active
        span, a usual invoice size, an account manager, and how many contacts, projects and
        messages it has; their contacts."""
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

    def _clone_partners(self):
        retention_columns = [c for c in self.columns("res_partner") if c.startswith("retention_")]
        customer = dict(
            dict.fromkeys(retention_columns, "NULL"),
            id="s.id",
            name="s.name",
            complete_name="s.name",
            commercial_partner_id="s.id",
            commercial_company_name="s.name",
            email=EMAIL_OF_NAME,
            email_normalized=EMAIL_OF_NAME,
            user_id="s.manager_id",
            retention_account_manager_id="s.manager_id",
            **stamps("(%(today)s::date - s.start_ago - 10)::timestamp + interval '9 hours'"),
        )
        contact = dict(
            customer,
            complete_name="s.parent_name || ', ' || s.name",
            parent_id="s.parent_id",
            commercial_partner_id="s.parent_id",
            commercial_company_name="s.parent_name",
            user_id="s.manager_id",  # res.partner._compute_user_id: the parent's
            retention_account_manager_id="NULL",
        )
        today = {"today": self.today}
        self.counts["customers"] = self.clone_insert(
            "res_partner", self.tpl["customer"], "SELECT * FROM bench_customer", customer, today
        )
        self.counts["contacts"] = self.clone_insert(
            "res_partner", self.tpl["contact"], "SELECT * FROM bench_contact", contact, today
        )

    def _gen_staging_invoices(self):
        n_refunds = round(self.n_docs * 0.07)
        self._stage_invoice_counts(self.n_docs - n_refunds)
        self._stage_invoices(n_refunds)
        self._stage_credit_notes()
        self.counts["invoices"] = self.scalar("SELECT COUNT(*) FROM bench_inv")
        self.counts["credit notes"] = self.scalar("SELECT COUNT(*) FROM bench_ref")

    def _stage_invoice_counts(self, n_invoices):
        """Invoices per customer: proportional to intensity x active span, rounded so the total
        is exactly n_invoices."""
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

    def _stage_invoices(self, n_refunds):
        """One row per invoice: date spread over the customer's active span, amount around the
        customer's usual size, due 30 days later, paid 10-50 days after the invoice date (bad
        payers later, or never, or half), 55% sent by email; n_refunds of the paid ones get a
        credit note for 10-50% of their amount, the rest being paid."""
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

    def _stage_credit_notes(self):
        """The credit notes: between the invoice and its payment, reconciled with the invoice
        like Odoo does for a reversal."""
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
        """The invoices and credit notes (account_move), their income and receivable lines, and
        each credit note reconciled with its invoice."""
        self._clone_moves()
        self._clone_move_lines()
        self._clone_partial_reconciles(
            "SELECT r.*, GREATEST(r.ref_date, r.inv_date) AS max_date FROM bench_ref r",
            debit_line="s.inv_term_line_id",
            credit_line="s.term_line_id",
            full="s.full_id",
            max_date="s.max_date",
            ts=self._at_10("ref_date"),
        )
        self.counts["account_move_line"] = self.scalar("SELECT COUNT(*) FROM account_move_line")

    # the SQL of the varying columns of the invoices and credit notes and of their lines
    INVOICE_RESIDUAL = "s.amount - s.refunded - s.paid"
    MOVE_COLUMNS = {
        "id": "s.id",
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
    LINE_COLUMNS = {"move_id": "s.id", "move_name": "s.name", "partner_id": "s.cust_id"}
    PRODUCT_LINE_COLUMNS = dict(
        LINE_COLUMNS, id="s.product_line_id", **dict.fromkeys(PRICES, "s.amount")
    )
    TERM_LINE_COLUMNS = dict(LINE_COLUMNS, id="s.term_line_id", full_reconcile_id="s.full_id")

    def _at_10(self, col):
        return self.stamp(f"s.{col} + interval '10 hours'")

    def _dated(self, col, written=None):
        """The date columns of a move or line dated s.<col>, and its timestamps (10:00 that
        day; ``written``: a later write date)."""
        created = self._at_10(col)
        return {"date": f"s.{col}", "invoice_date": f"s.{col}", "create_date": created,
                "write_date": written or created}  # fmt: skip

    def _invoice_written(self):
        """An invoice is written last when it is paid."""
        return self.stamp(
            "CASE WHEN s.payment_state = 'not_paid' THEN s.inv_date ELSE s.pay_date END"
            " + interval '10 hours'"
        )

    def _clone_moves(self):
        tpl = self.tpl
        open_amount = self.INVOICE_RESIDUAL
        self.counts["account_move (invoices)"] = self.clone_insert(
            "account_move", tpl["invoice"], "SELECT * FROM bench_inv",
            dict(
                self.MOVE_COLUMNS, **self._dated("inv_date", self._invoice_written()),
                **dict.fromkeys(SIGNED_TOTALS, "s.amount"),
                invoice_date_due="s.due_date", payment_reference="s.name",
                payment_state="s.payment_state", amount_residual=open_amount,
                amount_residual_signed=open_amount, is_move_sent="s.sent",
            ),
        )  # fmt: skip
        self.counts["account_move (credit notes)"] = self.clone_insert(
            "account_move", tpl["refund"], "SELECT * FROM bench_ref",
            dict(
                self.MOVE_COLUMNS, **self._dated("ref_date"),
                **dict.fromkeys(SIGNED_TOTALS, "-s.amount"),
                invoice_date_due="s.ref_date", reversed_entry_id="s.inv_id",
                payment_state="'paid'", amount_residual="0", amount_residual_signed="0",
                is_move_sent="FALSE",
            ),
        )  # fmt: skip
        self._clone_full_reconciles(
            "SELECT * FROM bench_inv WHERE full_id IS NOT NULL", self._at_10("pay_date")
        )

    def _clone_move_lines(self):
        tpl = self.tpl
        # invoice lines: income (credit) and receivable (debit)
        self.clone_insert(
            "account_move_line", tpl["invoice_product_line"], "SELECT * FROM bench_inv",
            dict(self.PRODUCT_LINE_COLUMNS, **self._dated("inv_date"), **entry_side("credit")),
        )  # fmt: skip
        self.clone_insert(
            "account_move_line", tpl["invoice_term_line"],
            "SELECT i.*, p.partial_id AS pay_partial_id FROM bench_inv i "
            "LEFT JOIN bench_pay p ON p.inv_id = i.id",
            dict(
                self.TERM_LINE_COLUMNS, **self._dated("inv_date", self._invoice_written()),
                **entry_side("debit"), **residual(self.INVOICE_RESIDUAL),
                name="s.name", date_maturity="s.due_date",
                reconciled="s.payment_state = 'paid'",
                matching_number=(
                    "CASE s.payment_state WHEN 'paid' THEN s.full_id::text"
                    " WHEN 'partial' THEN 'P' || s.pay_partial_id END"
                ),
            ),
        )  # fmt: skip
        # credit note lines: income (debit) and receivable (credit), reconciled with the invoice
        self.clone_insert(
            "account_move_line", tpl["refund_product_line"], "SELECT * FROM bench_ref",
            dict(self.PRODUCT_LINE_COLUMNS, **self._dated("ref_date"), **entry_side("debit")),
        )  # fmt: skip
        self.clone_insert(
            "account_move_line", tpl["refund_term_line"], "SELECT * FROM bench_ref",
            dict(
                self.TERM_LINE_COLUMNS, **self._dated("ref_date"), **entry_side("credit"),
                **residual("0"), date_maturity="s.ref_date", reconciled="TRUE",
                matching_number="s.full_id::text",
            ),
        )  # fmt: skip

    def _clone_full_reconciles(self, source, ts):
        return self.clone_insert(
            "account_full_reconcile", self.tpl["full"], source, {"id": "s.full_id", **stamps(ts)}
        )

    def _clone_partial_reconciles(self, source, debit_line, credit_line, full, max_date, ts):
        values = {
            "id": "s.partial_id",
            "debit_move_id": debit_line,
            "credit_move_id": credit_line,
            "full_reconcile_id": full,
            "max_date": max_date,
            **dict.fromkeys(RECONCILED_AMOUNTS, "s.amount"),
            **stamps(ts),
        }
        return self.clone_insert("account_partial_reconcile", self.tpl["partial"], source, values)

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

    # a payment's reconciliation: full when the invoice is paid, else partial
    PAYMENT_FULL = "CASE WHEN s.is_full THEN s.full_id END"
    PAYMENT_MATCH = "CASE WHEN s.is_full THEN s.full_id::text ELSE 'P' || s.partial_id END"

    def _gen_payments(self, source="bench_inv", stage="bench_pay", stamp=None, staged=False):
        """A payment per paid or half-paid invoice of ``source``: account_payment, its journal
        entry (outstanding receipts / receivable), the partial reconciliation with the invoice
        and, when fully paid, the full reconciliation. Also used by the incremental path."""
        if not staged:
            self.stage_payments(source, stage)
        ts = stamp or self.stamp("s.pay_date + interval '15 hours'")
        self._clone_full_reconciles(
            f"""SELECT * FROM {stage} p WHERE is_full AND NOT EXISTS (
                    SELECT 1 FROM account_full_reconcile f WHERE f.id = p.full_id)""",
            ts,
        )
        self._clone_payments(stage, ts)
        self._clone_payment_lines(stage, ts)
        self._clone_partial_reconciles(
            f"SELECT * FROM {stage}",
            debit_line="s.inv_term_line_id",
            credit_line="s.counterpart_line_id",
            full=self.PAYMENT_FULL,
            max_date="s.pay_date",
            ts=ts,
        )
        # the invoice's receivable line shows its matching number (set at insert when the
        # invoices are generated)
        if stage != "bench_pay":
            self.execute(
                f"""
                UPDATE account_move_line l
                   SET matching_number = {self.PAYMENT_MATCH.replace("s.", "p.")}
                  FROM {stage} p
                 WHERE l.id = p.inv_term_line_id
                """
            )
        return self._count_payments(stage)

    def _clone_payments(self, stage, ts):
        """account_payment and its journal entry (account_move)."""
        tpl = self.tpl
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
                **stamps(ts),
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
                **stamps(ts),
            },
        )
        if not self.replica:
            self.execute(
                f"UPDATE account_payment p SET move_id = s.id FROM {stage} s WHERE p.id = s.pay_id"
            )

    def _clone_payment_lines(self, stage, ts):
        """The payment entry's lines: outstanding receipts (debit) and receivable (credit)."""
        tpl = self.tpl
        pay_line = {
            "move_id": "s.id",
            "move_name": "s.name",
            "partner_id": "s.cust_id",
            "payment_id": "s.pay_id",
            "ref": "s.inv_name",
            "name": "'Manual Payment: ' || s.inv_name",
            "date": "s.pay_date",
            "date_maturity": "s.pay_date",
            **stamps(ts),
        }
        self.clone_insert(
            "account_move_line", tpl["payment_liquidity_line"], f"SELECT * FROM {stage}",
            dict(
                pay_line, id="s.liquidity_line_id", **entry_side("debit"),
                **residual("s.amount"), price_subtotal="s.amount", price_total="s.amount",
            ),
        )  # fmt: skip
        self.clone_insert(
            "account_move_line", tpl["payment_counterpart_line"], f"SELECT * FROM {stage}",
            dict(
                pay_line, id="s.counterpart_line_id", **entry_side("credit"), **residual("0"),
                price_subtotal="-s.amount", price_total="-s.amount",
                reconciled="TRUE",  # fully used, even by a partial payment
                full_reconcile_id=self.PAYMENT_FULL, matching_number=self.PAYMENT_MATCH,
            ),
        )  # fmt: skip

    def _count_payments(self, stage):
        rows = self.scalar(f"SELECT COUNT(*) FROM {stage}")
        self.counts["payments"] = self.counts.get("payments", 0) + rows
        return rows

    def _clone_messages(self, template, source, res_id, when, extra=None, params=None):
        """mail_message rows copied from the template message ``template``, one per row of
        ``source``, on the record ``res_id``, dated ``when``."""
        values = dict(NEW_MESSAGE, res_id=res_id, **stamps(when), date=when)
        values.update(extra or {})
        return self.clone_insert("mail_message", self.tpl[template], source, values, params)

    def _gen_payment_messages(self, stage, when):
        return sum(
            self._clone_messages(template, f"SELECT * FROM {stage}", res_id, when,
                                 {"record_name": "s.name"})
            for template, res_id in (("msg_payment_created", "s.pay_id"),
                                     ("msg_payment_move_created", "s.id"))
        )  # fmt: skip

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
        self._stage_projects()
        ts = self.stamp("s.start_date + interval '11 hours'")
        self._clone_projects(ts)
        self._stage_tasks()
        self._clone_tasks_and_ratings(ts)

    def _stage_projects(self):
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

    def _clone_projects(self, ts):
        """Projects with their mail alias and their last status update."""
        tpl = self.tpl
        self.clone_insert(
            "mail_alias",
            tpl["alias"],
            "SELECT * FROM bench_project",
            {
                "id": "s.alias_id",
                "alias_parent_thread_id": "s.id",
                "alias_defaults": "format('{''project_id'': %%s}', s.id)",
                "alias_name": "NULL",
                **stamps(ts),
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
                **stamps(ts),
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
                **stamps(self.stamp("s.update_date + interval '12 hours'")),
            },
        )
        if not self.replica:
            self.execute(
                """
                UPDATE project_project p SET last_update_id = b.update_id
                  FROM bench_project b WHERE p.id = b.id AND b.update_id IS NOT NULL
                """
            )

    def _stage_tasks(self):
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

    def _clone_tasks_and_ratings(self, ts):
        tpl = self.tpl
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
                **stamps(ts),
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
        clone = self._clone_messages

        def at(expr, hour):
            return self.stamp(f"{expr} + interval '{hour} hours'")

        total = 0
        partner_created = at("(%(today)s::date - s.start_ago - 10)", 9)
        for source in (
            "SELECT id, start_ago, name FROM bench_customer",
            "SELECT id, start_ago, name FROM bench_contact",
        ):
            total += clone("msg_partner_created", source, "s.id", partner_created,
                           params={"today": self.today})  # fmt: skip
        total += clone("msg_invoice_created", "SELECT * FROM bench_inv", "s.id",
                       at("s.inv_date", 10), {"record_name": "s.name"})  # fmt: skip
        total += clone("msg_invoice_sent", "SELECT * FROM bench_inv WHERE sent", "s.id",
                       at("s.inv_date", 11),
                       {"record_name": "s.name", "author_id": "s.manager_partner_id",
                        "body": "'<p>Invoice ' || s.name || ' sent</p>'"})  # fmt: skip
        total += clone("msg_refund_created", "SELECT * FROM bench_ref", "s.id",
                       at("s.ref_date", 10), {"record_name": "s.name"})  # fmt: skip
        total += self._gen_payment_messages("bench_pay", at("s.pay_date", 15))
        total += clone("msg_project_created", "SELECT * FROM bench_project", "s.id",
                       at("s.start_date", 11))  # fmt: skip
        total += clone("msg_task_created", "SELECT * FROM bench_task", "s.id",
                       at("s.start_date", 11), {"record_name": "'Task ' || s.k"})  # fmt: skip
        total += self._gen_conversations(clone, at)
        self.counts["messages"] = total

    def _gen_conversations(self, clone, at):
        """The conversation with the customer, over their active period and a bit after."""
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
        from_manager = dict(talk, author_id="s.manager_partner_id")
        total = clone("msg_email_in", "SELECT * FROM bench_talk WHERE r_kind < 0.35",
                      "s.cust_id", at("s.day", 9),
                      dict(talk, author_id="COALESCE(s.contact_id, s.cust_id)",
                           email_from=EMAIL_OF_NAME))  # fmt: skip
        total += clone("msg_reply",
                       "SELECT * FROM bench_talk WHERE r_kind >= 0.35 AND r_kind < 0.65",
                       "s.cust_id", at("s.day", 14), from_manager)  # fmt: skip
        total += clone("msg_note",
                       "SELECT * FROM bench_talk WHERE r_kind >= 0.65 AND r_kind < 0.85",
                       "s.cust_id", at("s.day", 16), talk)  # fmt: skip
        total += clone("msg_call", "SELECT * FROM bench_talk WHERE r_kind >= 0.85",
                       "s.cust_id", at("s.day", 10), from_manager)  # fmt: skip
        return total

    # -- what the checks read ----------------------------------------------------------------
    def generated_samples(self, sample_size=200, change=False):
        """Ids of a sample of the generated records, by model: invoices, credit notes and
        payment entries, their journal items, payments and projects. ``change``: the invoices
        paid by the incremental path and their payments instead (no projects)."""
        moves = (
            "SELECT id FROM bench_change UNION ALL SELECT id FROM bench_pay_change"
            if change
            else "SELECT id FROM bench_inv UNION ALL SELECT id FROM bench_ref "
            "UNION ALL SELECT id FROM bench_pay"
        )
        payments = "bench_pay_change" if change else "bench_pay"
        queries = {
            "account.move": f"SELECT id FROM ({moves}) x ORDER BY md5(id::text) LIMIT %(n)s",
            "account.move.line": (
                f"SELECT id FROM account_move_line WHERE move_id IN ({moves}) "
                "ORDER BY md5(id::text) LIMIT %(n)s"
            ),
            "account.payment": (
                f"SELECT pay_id FROM {payments} ORDER BY md5(pay_id::text) LIMIT %(n)s"
            ),
        }
        if not change:
            queries["project.project"] = (
                "SELECT id FROM bench_project ORDER BY md5(id::text) LIMIT %(n)s"
            )
        samples = {}
        for model, query in queries.items():
            self.cr.execute(query, {"n": sample_size})
            samples[model] = [row[0] for row in self.cr.fetchall()]
        return samples

    def drop_staging(self):
        for table in STAGING_TABLES:
            self.execute(f"DROP TABLE IF EXISTS {table}")
