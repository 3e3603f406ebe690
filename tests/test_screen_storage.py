"""What keeps the screens fast at 100,000 customers (issue #21): each column of the Customers
kanban reads an index of the company's stage instead of every partner, a customer's form reads
its invoices through an index, and the daily rebuild
of the reports' stored rows writes only the rows that changed."""

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from .common import TODAY, RetentionAnalyticsCase, RetentionCase

STAGE_INDEX = "res_partner_retention_stage_company_%s_idx"


@tagged("post_install", "-at_install")
class TestKanbanStageIndex(RetentionCase):
    """PostgreSQL uses an expression index when a query holds the same expression: the plan
    of a kanban column's search must hold the index's first expression, compared to the
    stage, whatever plan this small database gets (an index made in a transaction may only
    be used by the transactions after it)."""

    def index_definition(self, company):
        """The index's definition and its first expression, as PostgreSQL prints them."""
        name = STAGE_INDEX % company.id
        self.env.cr.execute(
            "SELECT pg_get_indexdef(c.oid), pg_get_indexdef(c.oid, 1, true) "
            "FROM pg_class c WHERE c.relname = %s",
            [name],
        )
        return self.env.cr.fetchone()

    def column_plan(self, company):
        """The plan of one kanban column's search in ``company``: the action's domain and the
        column's stage, 40 cards in res.partner's order."""
        partners = self.env["res.partner"].with_company(company)
        query = partners._search(
            [("retention_stage", "!=", False), ("retention_stage", "=", "active")], limit=40
        )
        sql = query.select()
        self.env.cr.execute(f"EXPLAIN {sql.code}", sql.params)
        return "\n".join(row[0] for row in self.env.cr.fetchall())

    def assert_index_serves_the_columns(self, company):
        definition = self.index_definition(company)
        self.assertTrue(definition, f"an index for {company.name}")
        self.assertTrue(definition[0].endswith("complete_name, id DESC)"), definition[0])
        self.assertIn(f"'{company.id}'", definition[1])
        self.assertIn(f"{definition[1]} = 'active'::text", self.column_plan(company))

    def test_every_company_has_the_index_a_column_search_uses(self):
        self.assert_index_serves_the_columns(self.company)

    def stage_null_share(self):
        """What PostgreSQL's statistics say of the company's stages: the share of partners
        without one (the index's expression)."""
        self.env.cr.execute(
            "SELECT null_frac FROM pg_stats WHERE tablename = %s", [STAGE_INDEX % self.company.id]
        )
        return self.env.cr.fetchone()[0]

    def test_the_daily_recompute_refreshes_the_statistics(self):
        """Statistics taken before the stages were written (at install, on a new company)
        say every partner is without one: the plans of the kanban's columns read every
        partner until the daily job, having written every stage, analyses the table."""
        self.make_invoice(self.customer, "2026-05-01", 100)
        key = str(self.company.id)
        self.env.cr.execute("UPDATE res_partner SET retention_stage = retention_stage - %s", [key])
        self.env.cr.execute("ANALYZE res_partner")
        self.assertEqual(self.stage_null_share(), 1.0)
        self.env["res.partner"].invalidate_model(["retention_stage"])
        self.env["retention.profile.builder"]._cron_recompute_all()
        self.assertTrue(self.customer.with_company(self.company).retention_stage)
        self.assertLess(self.stage_null_share(), 1.0)
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("customer_retention.last_analyze_mark"),
            str(fields.Date.context_today(self.env.user)),
        )

    def test_a_new_company_gets_its_index(self):
        company = self.env["res.company"].create({"name": "Kanban Index Co"})
        self.assert_index_serves_the_columns(company)
        # the other company's index does not serve this one
        self.assertNotIn(
            f"{self.index_definition(self.company)[1]} = 'active'::text",
            self.column_plan(company),
        )


@tagged("post_install", "-at_install")
class TestCustomerInvoiceIndex(RetentionCase):
    """One index serves the builder's read of a customer's invoices and the read of Odoo's
    days_sales_outstanding in the customer's form (all sale types, receipts too): without it
    the form scanned every move (0.27 s at 1,000,000 invoices). Sequential scans are turned
    off, so that the plan says whether the index can serve the query at all."""

    INDEX = "account_move_retention_sale_customer_idx"

    def plan(self, move_types):
        query = self.env["account.move"]._search(
            [
                ("state", "not in", ["draft", "cancel"]),
                ("move_type", "in", move_types),
                ("company_id", "=", self.company.id),
                ("commercial_partner_id", "in", self.customer.ids),
            ]
        )
        sql = query.select()
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        self.env.cr.execute(f"EXPLAIN {sql.code}", sql.params)
        return "\n".join(row[0] for row in self.env.cr.fetchall())

    def test_the_form_and_the_builder_read_the_index(self):
        sale_types = self.env["account.move"].get_sale_types(include_receipts=True)
        self.assertIn(self.INDEX, self.plan(sale_types), "days_sales_outstanding")
        self.assertIn(self.INDEX, self.plan(["out_invoice", "out_refund"]), "the builder")

    def test_the_index_it_replaced_is_gone(self):
        self.env.cr.execute(
            "SELECT relname FROM pg_class WHERE relname = 'account_move_retention_customer_idx'"
        )
        self.assertFalse(self.env.cr.fetchall())


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestStoredRowsWriteOnlyChanges(RetentionAnalyticsCase):
    TABLES = ("retention_metric_period", "retention_cohort_period")

    def row_versions(self, table):
        """{id: (partner, physical place)}: a row written again moves."""
        self.env.cr.execute(
            f"SELECT id, partner_id, ctid::text FROM {table} WHERE company_id = %s",  # noqa: S608
            [self.company.id],
        )
        return {row_id: (partner, place) for row_id, partner, place in self.env.cr.fetchall()}

    def stored(self, table):
        self.env.cr.execute(
            f"SELECT * FROM {table} WHERE company_id = %s ORDER BY id",  # noqa: S608
            [self.company.id],
        )
        return self.env.cr.fetchall()

    def rebuild_all(self):
        self.env.cr.execute(
            "SELECT MIN(month) FROM retention_snapshot WHERE company_id = %s", [self.company.id]
        )
        self.Snapshot._rebuild_reports(self.company, self.env.cr.fetchone()[0], all_cohorts=True)

    def test_the_same_snapshots_write_no_row(self):
        versions = {table: self.row_versions(table) for table in self.TABLES}
        self.assertTrue(all(versions.values()))
        self.rebuild_all()
        for table in self.TABLES:
            self.assertEqual(self.row_versions(table), versions[table], table)

    def test_an_invoice_rewrites_its_customers_rows_only(self):
        """A new invoice of A this month: the daily job rewrites A's rows of the running
        periods, no other row, and the rows are those a full rebuild gives."""
        versions = {table: self.row_versions(table) for table in self.TABLES}
        self.make_invoice(self.a, "2026-06-10", 250)
        self.Snapshot._cron_update_snapshots()
        for table in self.TABLES:
            after = self.row_versions(table)
            moved = {
                row_id for row_id, place in after.items() if versions[table].get(row_id) != place
            }
            self.assertTrue(moved, table)
            self.assertEqual({after[row_id][0] for row_id in moved}, {self.a.id}, table)
            self.assertEqual(after.keys(), versions[table].keys(), table)
        incremental = {table: self.stored(table) for table in self.TABLES}
        self.rebuild_all()
        for table in self.TABLES:
            self.assertEqual(self.stored(table), incremental[table], table)

    def test_rows_of_a_customer_gone_from_the_snapshots_are_deleted(self):
        self.env.cr.execute(
            "DELETE FROM retention_snapshot WHERE company_id = %s AND partner_id = %s",
            [self.company.id, self.f.id],
        )
        others = {
            table: {k: v for k, v in self.row_versions(table).items() if v[0] != self.f.id}
            for table in self.TABLES
        }
        self.rebuild_all()
        for table in self.TABLES:
            after = self.row_versions(table)
            self.assertNotIn(self.f.id, {partner for partner, _place in after.values()}, table)
            # the cohort F was alone in is gone; the others' rows stay where they were
            self.assertEqual(after, others[table], table)
