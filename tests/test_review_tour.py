"""Browser tour of an account review, from the Reviews menu to a completed review."""

import shutil

from odoo import Command, fields, http
from odoo.tests import HttpCase, tagged

from .common import RetentionCase

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@tagged("post_install", "-at_install")
class TestRetentionReviewTour(RetentionCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Odoo skips a tour silently when no browser is found: make that a failure instead.
        assert any(shutil.which(name) for name in BROWSERS), (
            "No Chromium found: install it (apt-get install chromium) to run the browser tours."
        )
        # Load the static file map once before the browser's parallel requests (CPython
        # gh-106905, fixed in 3.11.8, can otherwise fail them).
        http.root.statics  # noqa: B018 pylint: disable=pointless-statement
        today = fields.Date.context_today(cls.env["res.partner"])
        customer = cls.env["res.partner"].create(
            {"name": "Tour Review Customer", "is_company": True}
        )
        cls.pay(cls.make_invoice(customer, today, 1200), today)
        cls.env["retention.profile.builder"]._compute_partners(customer.ids)
        admin = cls.env.ref("base.user_admin")
        # reviews are per company: show the admin the company the invoices were made in
        admin.write(
            {"company_ids": [Command.link(cls.env.company.id)], "company_id": cls.env.company.id}
        )
        cls.review = (
            cls.env["retention.review"]
            .sudo()
            .create(
                {"partner_id": customer.id, "company_id": cls.env.company.id, "user_id": admin.id}
            )
        )
        cls.customer_reviewed = customer

    def test_review_end_to_end(self):
        self.start_tour("/odoo", "customer_retention_review_tour", login="admin")
        self.assertEqual(self.review.state, "done")
        self.assertEqual(self.review.outcome, "renew")
        self.assertFalse(self.review.activity_ids)
        self.assertTrue(
            self.customer_reviewed.with_company(self.env.company).retention_next_review_date
        )
