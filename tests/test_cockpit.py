"""The account manager's cockpit (issue #19): the main reason in words on customers."""

import json
from datetime import date

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import RETENTION_USER, TODAY, RetentionCase


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestMainReason(RetentionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # bought monthly for a year, paid, but for one invoice due 45 days ago
        for month in range(13):  # 2025-06 .. 2026-06
            day = date(2025, 6, 1) + relativedelta(months=month)
            invoice = cls.make_invoice(cls.customer, day, 1000)
            cls.pay(invoice, day)
        cls.make_invoice(cls.customer, "2026-05-01", 6000, due="2026-05-01")
        cls.customer.message_post(body="Call notes", message_type="comment")
        # bought monthly too, all paid, but nobody spoke to them since last autumn
        cls.silent = cls.env["res.partner"].create(
            {"name": "Kutaisi Print House", "is_company": True, "customer_rank": 1}
        )
        for month in range(1, 7):
            invoice = cls.make_invoice(cls.silent, f"2026-{month:02d}-01", 500)
            cls.pay(invoice, f"2026-{month:02d}-02")
        cls.seller = cls.new_company_user("reason_seller", f"base.group_user,{RETENTION_USER}")

    def recompute_both(self):
        self.recompute(self.customer | self.silent)
        (self.customer | self.silent).invalidate_recordset()

    def test_overdue_invoice_is_the_reason_in_words(self):
        self.recompute_both()
        data = json.loads(self.customer.retention_main_reason_data)
        self.assertEqual(data["factor"], "payment")
        self.assertEqual(data["code"], "invoice_overdue")
        self.assertEqual(data["params"], {"days": 45})
        self.assertEqual(self.customer.retention_main_reason, "invoice 45 days overdue")

    def test_money_reason_hidden_without_invoicing_rights(self):
        self.recompute_both()
        customer = self.customer.with_user(self.seller)
        self.assertFalse(customer.retention_main_reason)
        with self.assertRaises(AccessError):
            customer.read(["retention_main_reason_data"])
        # the search does not reveal it either
        found = (
            self.env["res.partner"]
            .with_user(self.seller)
            .search([("retention_main_reason", "ilike", "overdue")])
        )
        self.assertNotIn(self.customer, found)

    def test_search_and_list(self):
        self.recompute_both()
        Partner = self.env["res.partner"]
        self.assertIn(
            self.customer, Partner.search([("retention_main_reason", "ilike", "OVERDUE")])
        )
        self.assertNotIn(
            self.silent, Partner.search([("retention_main_reason", "ilike", "overdue")])
        )
        self.assertIn(
            self.silent, Partner.search([("retention_main_reason", "not ilike", "overdue")])
        )
        nameless = Partner.create({"name": "No Figures Yet", "is_company": True})
        self.assertIn(nameless, Partner.search([("retention_main_reason", "=", False)]))
        self.assertNotIn(self.customer, Partner.search([("retention_main_reason", "=", False)]))
        rows = Partner.search_read([("id", "=", self.customer.id)], ["retention_main_reason"])
        self.assertEqual(rows[0]["retention_main_reason"], "invoice 45 days overdue")

    def test_words_in_the_readers_language(self):
        self.recompute_both()
        self.env["res.lang"]._activate_lang("ka_GE")
        self.env["ir.module.module"]._load_module_terms(["customer_retention"], ["ka_GE"])
        text = self.customer.with_context(lang="ka_GE").retention_main_reason
        self.assertIn("45", text)
        self.assertNotEqual(text, "invoice 45 days overdue")

    def test_refused_to_users(self):
        self.recompute_both()
        with self.assertRaises(AccessError):
            self.customer.with_user(self.seller).write({"retention_main_reason_data": "{}"})

    def test_customer_without_invoices_has_no_reason(self):
        prospect = self.env["res.partner"].create(
            {"name": "Prospect Ltd", "is_company": True, "customer_rank": 1}
        )
        self.recompute(prospect)
        prospect.invalidate_recordset()
        self.assertFalse(prospect.retention_main_reason_data)
        self.assertFalse(prospect.retention_main_reason)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestReengageByRhythm(RetentionCase):
    """Hand-made histories: the expected invoice date is the last invoice plus the customer's
    own rhythm (engine.health.buying_rhythm_days), overdue long before the churn window."""

    def customer_invoiced_on(self, name, days):
        partner = self.env["res.partner"].create(
            {"name": name, "is_company": True, "customer_rank": 1}
        )
        for day in days:
            invoice = self.make_invoice(partner, day, 1000)
            self.pay(invoice, day)
        self.recompute(partner)
        partner.invalidate_recordset()
        return partner

    def test_quarterly_buyer_five_months_silent_is_overdue(self):
        # every ~3 months (2025-04-15 .. 2026-01-15: 3 gaps of 92 days), nothing for 5 months
        partner = self.customer_invoiced_on(
            "Quarterly Ltd", ["2025-04-15", "2025-07-15", "2025-10-15", "2026-01-15"]
        )
        self.assertEqual(partner.retention_expected_invoice_date, self.to_date("2026-04-17"))
        self.assertTrue(partner.retention_reengage_overdue)
        self.assertNotEqual(partner.retention_stage, "churned")
        Partner = self.env["res.partner"]
        self.assertIn(partner, Partner.search([("retention_reengage_overdue", "=", True)]))
        self.assertNotIn(partner, Partner.search([("retention_reengage_overdue", "=", False)]))

    def test_cockpit_says_the_rhythm_and_the_date_in_the_readers_format(self):
        partner = self.customer_invoiced_on(
            "Quarterly Ltd", ["2025-04-15", "2025-07-15", "2025-10-15", "2026-01-15"]
        )
        self.add_groups(RETENTION_USER)
        partner.retention_account_manager_id = self.env.user
        Cockpit = self.env["retention.cockpit"].with_context(lang="en_US")

        def item(cockpit):
            data = cockpit.get_cockpit_data()
            return next(i for i in data["reengage"] if i["partner_id"] == partner.id)

        line = item(Cockpit)
        # the rhythm, not the main reason; every 92 days, invoiced 151 days ago
        self.assertEqual(line["reason"], "buys every ~3 months, last invoice 5 months ago")
        self.assertEqual((line["date"], line["date_label"]), ("2026-04-17", "04/17/2026"))
        self.env["res.lang"]._activate_lang("uz_UZ")
        self.assertEqual(item(Cockpit.with_context(lang="uz_UZ"))["date_label"], "17.04.2026")

    def test_monthly_buyer_on_time_is_not_overdue(self):
        partner = self.customer_invoiced_on(
            "Monthly Ltd", ["2026-03-01", "2026-04-01", "2026-05-01", "2026-06-01"]
        )
        # 92 days over 3 gaps: every 31 days
        self.assertEqual(partner.retention_expected_invoice_date, self.to_date("2026-07-02"))
        self.assertFalse(partner.retention_reengage_overdue)
        Partner = self.env["res.partner"]
        self.assertNotIn(partner, Partner.search([("retention_reengage_overdue", "=", True)]))
        self.assertIn(partner, Partner.search([("retention_reengage_overdue", "!=", True)]))

    def test_churned_customer_is_not_in_the_reengage_list(self):
        partner = self.customer_invoiced_on("Gone Ltd", ["2024-01-10", "2024-02-10"])
        self.assertEqual(partner.retention_stage, "churned")
        self.assertTrue(partner.retention_expected_invoice_date)
        self.assertFalse(partner.retention_reengage_overdue)
        self.assertNotIn(
            partner, self.env["res.partner"].search([("retention_reengage_overdue", "=", True)])
        )

    def test_single_invoice_uses_the_default_rhythm(self):
        from ..engine.health import DEFAULT_RHYTHM_DAYS

        partner = self.customer_invoiced_on("Once Ltd", ["2026-05-01"])
        self.assertEqual(
            (partner.retention_expected_invoice_date - self.to_date("2026-05-01")).days,
            DEFAULT_RHYTHM_DAYS,
        )
