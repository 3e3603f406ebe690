"""The first reviews of a new install (planned right after it, not the next night) and the
completion of a review on a given day (the demo's year of reviews goes through it)."""

from datetime import datetime

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError
from odoo.service.model import get_public_method
from odoo.tests import tagged

from odoo.addons.customer_retention.hooks import _plan_first_reviews, post_init_hook

from .common import TODAY
from .test_retention_review import ReviewCase

PLANNER = "customer_retention.ir_cron_retention_plan_reviews"


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFirstReviewsAtInstall(ReviewCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # churned: last invoice two years ago
        cls.gone = cls.env["res.partner"].create({"name": "Gone Gallery", "is_company": True})
        cls.pay(cls.make_invoice(cls.gone, "2024-05-01", 700), "2024-05-01")
        # plan a quarter ahead: the active, new and at-risk customers all fall due
        cls.company.retention_review_lead_days = 90
        cls.planner = cls.env.ref(PLANNER)

    def ready_jobs(self):
        """The jobs a cron worker would run now (what it reads, in this transaction)."""
        return {job["id"] for job in self.env["ir.cron"]._get_all_ready_jobs(self.env.cr)}

    def test_the_install_queues_the_planner_at_once(self):
        self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", self.planner.id)]).unlink()
        self.planner.sudo().nextcall = datetime(2099, 1, 1, 4)
        self.assertNotIn(self.planner.id, self.ready_jobs(), "tonight's run only")
        post_init_hook(self.env)
        self.assertIn(self.planner.id, self.ready_jobs())
        # a trigger, whatever the number of customers: no work per customer in the install
        with self.assertQueryCount(2):
            _plan_first_reviews(self.env)
        # the install itself plans nothing: the job does, in its own committed batches
        reviewed = self.active | self.risky | self.newbie
        self.assertFalse(self.Review.search([("partner_id", "in", reviewed.ids)]))

    def test_after_install_the_planner_plans_the_eligible_customers(self):
        post_init_hook(self.env)
        self.planner.sudo().method_direct_trigger()  # as the cron worker runs it
        reviews = self.Review.search([("partner_id", "in", (self.customers()).ids)])
        self.assertEqual(reviews.partner_id, self.active | self.risky | self.newbie)
        self.assertEqual(set(reviews.mapped("state")), {"planned"})
        by_partner = {review.partner_id: review for review in reviews}
        # each on the first date of its rhythm: quarterly since 2025-09-01, since 2026-05-01,
        # monthly (at risk) since 2025-07-15
        self.assertEqual(by_partner[self.active].date_planned, self.to_date("2026-09-01"))
        self.assertEqual(by_partner[self.newbie].date_planned, self.to_date("2026-08-01"))
        self.assertEqual(by_partner[self.risky].date_planned, self.to_date("2026-06-15"))
        self.assertEqual(by_partner[self.risky].user_id, self.manager_b)
        for review in reviews:
            self.assertEqual(review.activity_ids.date_deadline, review.date_planned)
        for partner in (self.prospect, self.gone):
            self.assertFalse(self.next_date(partner), f"{partner.name} is not reviewed")
        self.assertEqual(self.gone.retention_stage, "churned")

    def customers(self):
        return self.active | self.risky | self.newbie | self.prospect | self.gone


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestReviewCompletedOnADay(ReviewCase):
    def test_completing_on_an_earlier_day_dates_everything_that_day(self):
        review = self.plan(self.risky, "2026-03-02")
        wizard = self.env["retention.review.complete"].create(
            {
                "review_id": review.id,
                "outcome": "at_risk",
                "next_steps": "<p>Call the finance team</p>",
            }
        )
        wizard._complete_review(fields.Date.to_date("2026-03-04"))
        self.assertEqual((review.state, review.date_done), ("done", self.to_date("2026-03-04")))
        self.assertFalse(review.activity_ids, "the review's activity is done")
        # at risk: the at-risk cadence (monthly) from the day it was done
        self.assertEqual(self.next_date(self.risky), self.to_date("2026-04-04"))
        task = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.risky.id),
                ("activity_type_id", "=", self.env.ref("mail.mail_activity_data_todo").id),
            ]
        )
        self.assertEqual(task.date_deadline, self.to_date("2026-03-04"))
        self.assertEqual(task.user_id, self.manager_b)

    def test_the_button_completes_today_and_users_cannot_choose_the_day(self):
        review = self.plan(self.active, "2026-06-01")
        self.complete(review, "renew")
        self.assertEqual(review.date_done, self.to_date(TODAY))
        self.assertEqual(self.next_date(self.active), self.to_date("2026-09-15"))
        # the day is not the user's to choose: the dated methods cannot be called remotely
        for model, method in (
            (self.Review, "_complete"),
            (self.env["retention.review.complete"], "_complete_review"),
        ):
            with self.assertRaises(AccessError):
                get_public_method(model, method)  # what RPC and the web client check first
