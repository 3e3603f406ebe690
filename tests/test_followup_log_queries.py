"""The follow-up log's list (bench path S7): its page costs the same number of queries for N
rows as for 4N, on invoices as on projects and customers, and names only the records the
reader may read."""

from freezegun import freeze_time
from lxml import etree

from odoo import fields
from odoo.tests import tagged

from odoo.addons.customer_retention.models.followups.retention_followup_action import (
    result_entry,
)

from .common import RETENTION_USER, TODAY, FollowupCase

#: Rows of the small page; the big one has four times as many.
N = 10


def list_spec(model):
    """The field specification the web client sends for the model's list view: every field
    of the arch, many2one and reference fields with their display name."""
    views = model.get_views([(False, "list")])
    fields = views["models"][model._name]["fields"]
    spec = {}
    for node in etree.fromstring(views["views"]["list"]["arch"]).iter("field"):
        name = node.get("name")
        if name in fields:
            relational = fields[name]["type"] in ("many2one", "reference")
            spec[name] = {"fields": {"display_name": {}}} if relational else {}
    return spec


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFollowupLogListQueries(FollowupCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule = cls.make_rule("first_invoice")
        invoices = cls.env["account.move"]
        for index in range(4 * N):
            invoices |= cls.make_invoice(cls.customer, "2026-06-01", 100 + index)
        projects = cls.env["project.project"].create(
            [
                {
                    "name": f"Audit {index}",
                    "partner_id": cls.customer.id,
                    "privacy_visibility": "employees",
                }
                for index in range(4 * N)
            ]
        )
        customers = cls.env["res.partner"].create(
            [{"name": f"Customer {index}", "is_company": True} for index in range(4 * N)]
        )
        cls.records = {
            "account.move": invoices,
            "project.project": projects,
            "res.partner": customers,
        }
        result = [
            result_entry(
                "activity",
                activity="Follow up",
                user="Ana Account",
                date=fields.Date.to_date(TODAY),
            )
        ]
        # sudo: logs are written by the module only
        cls.Log.sudo().create(
            [
                {
                    "rule_id": cls.rule.id,
                    "company_id": cls.company.id,
                    "partner_id": cls.customer.id,
                    "res_model": record._name,
                    "res_id": record.id,
                    "event_key": "first",
                    "state": "done",
                    "result_data": result,
                    "date_done": f"{TODAY} 08:00:00",
                }
                for records in cls.records.values()
                for record in records
            ]
        )
        cls.billing_user = cls.new_company_user("log_q_billing", "account.group_account_invoice")
        cls.retention_user = cls.new_company_user("log_q_user", f"base.group_user,{RETENTION_USER}")

    def load(self, user, model, limit):
        """The list's page of ``limit`` logs on ``model``, as ``user`` loads it, and the
        number of queries it took (caches of the records dropped first, as in a new
        request)."""
        logs = self.Log.with_user(user)
        spec = list_spec(logs)
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        page = logs.web_search_read([("res_model", "=", model)], spec, limit=limit)
        return page, self.env.cr.sql_log_count - before

    def test_list_spec_reads_the_record_names(self):
        self.assertIn("record_name", list_spec(self.Log))
        self.assertIn("result_display", list_spec(self.Log))

    def test_page_of_4n_rows_costs_the_queries_of_n(self):
        for user in (self.billing_user, self.retention_user):
            for model in self.records:
                with self.subTest(user=user.login, model=model):
                    self.load(user, model, N)  # warm the caches of access rules and views
                    small, small_queries = self.load(user, model, N)
                    big, big_queries = self.load(user, model, 4 * N)
                    self.assertEqual((len(small["records"]), len(big["records"])), (N, 4 * N))
                    self.assertEqual(big["length"], 4 * N)
                    self.assertEqual(
                        big_queries,
                        small_queries,
                        f"{4 * N} rows cost {big_queries} queries, {N} rows {small_queries}",
                    )

    def test_page_names_only_what_the_reader_may_read(self):
        invoices = self.records["account.move"]
        page, _queries = self.load(self.billing_user, "account.move", 4 * N)
        names = {row["id"]: row["record_name"] for row in page["records"]}
        logs = self.Log.browse(list(names))
        self.assertEqual(
            sorted(names[log.id] for log in logs),
            sorted(invoices.mapped("display_name")),
        )
        page, _queries = self.load(self.retention_user, "account.move", 4 * N)
        self.assertEqual(
            sorted(row["record_name"] for row in page["records"]),
            sorted(f"Invoice #{invoice.id}" for invoice in invoices),
        )
        for model in ("project.project", "res.partner"):
            page, _queries = self.load(self.retention_user, model, 4 * N)
            self.assertEqual(
                sorted(row["record_name"] for row in page["records"]),
                sorted(self.records[model].mapped("display_name")),
            )
        page, _queries = self.load(self.retention_user, "res.partner", N)
        self.assertTrue(
            all(row["result_display"].startswith("Activity Follow up") for row in page["records"])
        )
