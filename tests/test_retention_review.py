"""Account reviews: cadences, the daily planning, completion and its outcomes, screens' data,
company isolation and refusals; then two planning workers with real transactions."""

from contextlib import contextmanager
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, RecordCapturer, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.customer_retention.models.reviews.retention_review import RetentionReview

from .common import (
    RETENTION_MANAGER,
    RETENTION_USER,
    TODAY,
    JobWorkersCase,
    RetentionCase,
    counting_commits,
    one_batch_per_call,
    run_cron,
)

ACTIVITY_TYPE = "customer_retention.mail_activity_type_account_review"


class ReviewCase(RetentionCase):
    """Three customers with real invoices, in three stages, and two account managers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the accountant of the test base class also manages retention
        cls.add_groups(RETENTION_MANAGER)
        cls.Review = cls.env["retention.review"]
        cls.manager_a = cls.new_company_user("am_a", RETENTION_USER, name="Ana Manager")
        cls.manager_b = cls.new_company_user("am_b", RETENTION_USER, name="Bela Manager")
        # active: bought every quarter since 2025-09-01, always paid
        cls.active = cls.customer
        for day in ("2025-09-01", "2025-12-01", "2026-03-01", "2026-06-01"):
            cls.pay(cls.make_invoice(cls.active, day, 1000), day)
        # at risk: a monthly buyer silent since September, with unpaid invoices
        cls.risky = cls.env["res.partner"].create({"name": "Risky Rentals", "is_company": True})
        for day in ("2025-07-15", "2025-08-15", "2025-09-15"):
            cls.make_invoice(cls.risky, day, 900)
        # new: first invoice six weeks ago
        cls.newbie = cls.env["res.partner"].create({"name": "Newbie Studio", "is_company": True})
        cls.pay(cls.make_invoice(cls.newbie, "2026-05-01", 400), "2026-05-01")
        cls.prospect = cls.env["res.partner"].create({"name": "Prospect Inc", "is_company": True})
        customers = cls.active | cls.risky | cls.newbie | cls.prospect
        (cls.active | cls.newbie).retention_account_manager_id = cls.manager_a
        cls.risky.retention_account_manager_id = cls.manager_b
        cls.env["retention.profile.builder"]._compute_partners(customers.ids)
        cls.company.write(
            {
                "retention_review_cadence_default": "quarterly",
                "retention_review_cadence_at_risk": "monthly",
                "retention_review_cadence_new": False,
                "retention_review_lead_days": 7,
            }
        )

    @contextmanager
    def assertRefused(self, exception, pattern):
        """assertRaises (which rolls back what the failed call wrote) plus the message."""
        with self.assertRaises(exception) as caught:
            yield
        self.assertRegex(str(caught.exception), pattern)

    def set_next(self, partner, day, company=None):
        partner.with_company(company or self.company).retention_next_review_date = day

    def next_date(self, partner, company=None):
        return partner.with_company(company or self.company).retention_next_review_date

    def digests(self, user):
        return self.env["mail.message"].search(
            [
                ("message_type", "=", "user_notification"),
                ("model", "=", False),
                ("partner_ids", "in", user.partner_id.ids),
            ]
        )

    def plan(self, partner, day=TODAY, user=None):
        return self.Review.create(
            {
                "partner_id": partner.id,
                "date_planned": day,
                "user_id": (user or self.manager_a).id,
            }
        )

    def complete(self, review, outcome, **values):
        wizard = Form(
            self.env["retention.review.complete"].with_context(default_review_id=review.id)
        )
        wizard.outcome = outcome
        for name, value in values.items():
            setattr(wizard, name, value)
        wizard.save().action_confirm()


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestReviewCadence(ReviewCase):
    def test_stages_of_the_fixtures(self):
        self.assertEqual(self.active.retention_stage, "active")
        self.assertEqual(self.risky.retention_stage, "at_risk")
        self.assertEqual(self.newbie.retention_stage, "new")
        self.assertEqual(self.prospect.retention_stage, "prospect")

    def test_cadences_and_defaults(self):
        def effective(partner):
            partner.invalidate_recordset(["retention_review_cadence_effective"])
            return partner.retention_review_cadence_effective

        # company default, and the at-risk default for the customer at risk
        self.assertEqual(effective(self.active), "quarterly")
        self.assertEqual(effective(self.risky), "monthly")
        # no default for new customers: the company's
        self.assertEqual(effective(self.newbie), "quarterly")
        self.company.retention_review_cadence_new = "monthly"
        self.assertEqual(effective(self.newbie), "monthly")
        # an empty at-risk default means the company's default
        self.company.retention_review_cadence_at_risk = False
        self.assertEqual(effective(self.risky), "quarterly")
        # the customer's own cadence comes first
        self.risky.retention_review_cadence = "yearly"
        self.assertEqual(effective(self.risky), "yearly")
        self.company.retention_review_cadence_default = "none"
        self.assertEqual(effective(self.active), "none")

    def test_first_run_gives_every_reviewed_customer_a_date(self):
        self.Review._cron_plan_reviews()
        # quarterly since 2025-09-01: 2026-06-01 has passed, next 2026-09-01
        self.assertEqual(self.next_date(self.active), self.to_date("2026-09-01"))
        # new customer since 2026-05-01, quarterly
        self.assertEqual(self.next_date(self.newbie), self.to_date("2026-08-01"))
        # monthly since 2025-07-15: falls today, so it is planned at once
        self.assertEqual(self.next_date(self.risky), self.to_date("2026-06-15"))
        self.assertFalse(self.next_date(self.prospect), "prospects are not reviewed")
        review = self.Review.search(
            [("partner_id", "in", (self.active | self.risky | self.newbie).ids)]
        )
        self.assertEqual(review.partner_id, self.risky)
        self.assertEqual(review.user_id, self.manager_b)

    def test_next_date_after_the_last_done_review(self):
        review = self.plan(self.active, "2026-05-01")
        self.complete(review, "maintain")
        self.set_next(self.active, False)
        self.Review._cron_plan_reviews()
        # one cadence after the done date (today), not the customer's anniversary
        self.assertEqual(self.next_date(self.active), self.to_date("2026-09-15"))

    def test_no_cadence_means_never_planned(self):
        self.active.with_company(self.company).retention_review_cadence = "none"
        self.set_next(self.active, "2026-06-16")
        self.Review._cron_plan_reviews()
        self.assertFalse(self.Review.search([("partner_id", "=", self.active.id)]))
        self.assertEqual(self.next_date(self.active), self.to_date("2026-06-16"))


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestReviewPlanning(ReviewCase):
    def setUp(self):
        super().setUp()
        self.set_next(self.active, "2026-06-20")  # within the 7 days of lead time
        self.set_next(self.newbie, "2026-06-10")  # already late
        self.set_next(self.risky, "2026-06-18")

    def test_planning_creates_one_review_and_activity_per_customer_and_one_digest(self):
        with RecordCapturer(self.Review, []) as capture:
            self.Review._cron_plan_reviews()
        reviews = capture.records
        self.assertEqual(reviews.partner_id, self.active | self.newbie | self.risky)
        by_partner = {review.partner_id: review for review in reviews}
        self.assertEqual(by_partner[self.active].date_planned, self.to_date("2026-06-20"))
        self.assertEqual(by_partner[self.active].user_id, self.manager_a)
        self.assertEqual(by_partner[self.risky].user_id, self.manager_b)
        for review in reviews:
            self.assertEqual(review.state, "planned")
            self.assertEqual(review.company_id, self.company)
            activity = review.activity_ids
            self.assertEqual(len(activity), 1)
            self.assertEqual(activity.activity_type_id, self.env.ref(ACTIVITY_TYPE))
            self.assertEqual(activity.date_deadline, review.date_planned)
            self.assertEqual(activity.user_id, review.user_id)
        # one digest per reviewer listing their customers; no message per activity
        digest_a = self.digests(self.manager_a)
        self.assertEqual(len(digest_a), 1)
        self.assertIn("Batumi Port Logistics", digest_a.body)
        self.assertIn("Newbie Studio", digest_a.body)
        self.assertNotIn("Risky Rentals", digest_a.body)
        self.assertIn("/mail/view?model=retention.review", digest_a.body)
        self.assertEqual(len(self.digests(self.manager_b)), 1)
        self.assertFalse(
            self.env["mail.message"].search(
                [
                    ("model", "=", "retention.review"),
                    ("res_id", "in", reviews.ids),
                    ("message_type", "=", "user_notification"),
                ]
            ),
            "no 'activity assigned' message per review",
        )

    def test_rerun_changes_nothing(self):
        self.Review._cron_plan_reviews()
        reviews = self.Review.search([])
        activities = reviews.activity_ids
        with (
            RecordCapturer(self.Review, []) as capture,
            RecordCapturer(self.env["mail.message"], []) as messages,
        ):
            done, remaining = self.Review._cron_plan_reviews()
        self.assertFalse(capture.records)
        self.assertFalse(messages.records)
        self.assertEqual((done, remaining), (0, 0))
        self.assertEqual(self.Review.search([]).activity_ids, activities)
        self.assertEqual(len(self.digests(self.manager_a)), 1)

    def test_lead_time_and_fallback_reviewer(self):
        self.company.retention_review_lead_days = 0
        fallback = new_test_user(
            self.env, login="fallback", groups="base.group_user", company_id=self.company.id
        )
        self.company.retention_review_reviewer_id = fallback
        self.newbie.retention_account_manager_id = False
        self.Review._cron_plan_reviews()
        # only the late customer is due without lead time; no manager: the fallback reviews
        review = self.Review.search([])
        self.assertEqual(review.partner_id, self.newbie)
        self.assertEqual(review.user_id, fallback)

    def test_salesperson_reviews_when_no_account_manager(self):
        self.newbie.write({"user_id": self.manager_b.id})
        self.newbie.retention_account_manager_id = False
        self.assertEqual(self.newbie._retention_responsible_user(self.company), self.manager_b)
        outsider = new_test_user(
            self.env,
            login="outsider",
            groups="base.group_user",
            company_id=self.setup_other_company(name="Elsewhere")["company"].id,
        )
        self.newbie.write({"user_id": outsider.id})
        self.newbie.retention_account_manager_id = False
        self.assertFalse(
            self.newbie._retention_responsible_user(self.company),
            "a user of another company cannot review",
        )

    def test_overdue_detection(self):
        self.Review._cron_plan_reviews()
        late = self.Review.search([("partner_id", "=", self.newbie.id)])
        self.assertTrue(late.is_overdue)
        overdue = self.Review.search([("is_overdue", "=", True)])
        self.assertEqual(overdue, late)
        # the "Overdue" filter of the search view
        self.assertEqual(
            self.Review.search([("state", "=", "planned"), ("date_planned", "<", TODAY)]), late
        )
        self.assertNotIn(late, self.Review.search([("is_overdue", "=", False)]))
        self.complete(late, "maintain")
        self.assertFalse(late.is_overdue)
        self.assertFalse(self.Review.search([("is_overdue", "=", True)]))

    def test_planning_skips_closed_period(self):
        self.company.sale_lock_date = "2026-06-12"
        self.Review._cron_plan_reviews()
        late = self.Review.search([("partner_id", "=", self.newbie.id)])
        self.assertEqual(late.date_planned, self.to_date("2026-06-13"))
        self.assertEqual(self.next_date(self.newbie), self.to_date("2026-06-13"))


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestReviewCompletion(ReviewCase):
    def test_plan_button_then_complete_records_snapshot_and_reschedules(self):
        action = self.active.action_retention_plan_review()
        review = self.Review.browse(action["res_id"])
        self.assertEqual((review.state, review.date_planned), ("planned", self.to_date(TODAY)))
        self.assertEqual(review.user_id, self.manager_a)
        self.assertEqual(self.next_date(self.active), self.to_date(TODAY))
        self.assertTrue(review.activity_ids)
        self.assertEqual(self.active.retention_review_count, 1)
        self.complete(review, "renew", next_steps="<p>Send the renewal quote</p>")
        self.assertEqual(review.state, "done")
        self.assertEqual(review.date_done, self.to_date(TODAY))
        self.assertEqual(review.health_score_snapshot, self.active.retention_health_score)
        self.assertEqual(review.stage_snapshot, "active")
        self.assertAlmostEqual(review.revenue_12m_snapshot, 4000)
        self.assertFalse(review.activity_ids, "the activity is closed")
        self.assertTrue(review.message_ids.filtered(lambda m: "Outcome: Renew" in (m.body or "")))
        # quarterly from today
        self.assertEqual(self.next_date(self.active), self.to_date("2026-09-15"))
        # the extension point left the outcome and next steps on the customer
        note = self.active.message_ids[0]
        self.assertIn("Renew", note.body)
        self.assertIn("Send the renewal quote", note.body)

    def test_at_risk_outcome_raises_attention(self):
        review = self.plan(self.active)
        self.complete(review, "at_risk", notes="<p>Unhappy with response times</p>")
        todo = self.active.activity_ids
        self.assertEqual(len(todo), 1)
        self.assertEqual(todo.activity_type_id, self.env.ref("mail.mail_activity_data_todo"))
        self.assertEqual(todo.user_id, self.manager_a)
        self.assertIn("at risk", todo.summary)
        self.assertIn("flagged this customer at risk", self.active.message_ids[0].body)
        # reviewed again on the at-risk cadence, although the customer is still "active"
        self.assertEqual(self.next_date(self.active), self.to_date("2026-07-15"))

    def test_lost_outcome_churns_the_customer(self):
        review = self.plan(self.active)
        self.complete(
            review,
            "lost",
            lost_reason="Moved to a competitor",
            churn_reason_id=self.env.ref("customer_retention.churn_reason_competitor"),
        )
        customer = self.active.with_company(self.company)
        self.assertEqual(customer.retention_lost_date, self.to_date(TODAY))
        self.assertEqual(customer.retention_lost_reason, "Moved to a competitor")
        self.assertEqual(customer.retention_stage, "churned")
        self.assertFalse(customer.retention_next_review_date)
        self.assertEqual(review.lost_reason, "Moved to a competitor")
        self.assertEqual(review.stage_snapshot, "active", "the snapshot is taken before")
        # churned customers are not planned any more
        self.Review._cron_plan_reviews()
        self.assertEqual(self.Review.search([("partner_id", "=", self.active.id)]), review)

    def test_cancel_closes_activity_and_skips_the_cycle(self):
        review = self.plan(self.active, "2026-06-10")
        review.action_cancel()
        self.assertEqual(review.state, "cancelled")
        self.assertFalse(review.activity_ids)
        self.assertEqual(self.next_date(self.active), self.to_date("2026-09-10"))
        self.Review._cron_plan_reviews()
        self.assertEqual(self.Review.search([("partner_id", "=", self.active.id)]), review)

    def test_rescheduling_moves_the_activity_and_the_next_date(self):
        review = self.plan(self.active, "2026-06-20")
        review.write({"date_planned": "2026-06-25", "user_id": self.manager_b.id})
        self.assertEqual(review.activity_ids.date_deadline, self.to_date("2026-06-25"))
        self.assertEqual(review.activity_ids.user_id, self.manager_b)
        self.assertEqual(self.next_date(self.active), self.to_date("2026-06-25"))

    def test_refusals(self):
        review = self.plan(self.active)
        # completion without outcome
        with self.assertRefused(UserError, "Choose the outcome"):
            review.action_complete()
        with (
            self.assertRaises(AssertionError),
            Form(self.env["retention.review.complete"].with_context(default_review_id=review.id)),
        ):
            pass  # the dialog cannot be saved without an outcome
        # lost without a reason
        review.outcome = "lost"
        with self.assertRefused(UserError, "Say why"):
            review.action_complete()
        # a second open review of the same customer
        with self.assertRefused(UserError, "already has a review planned"):
            self.active.action_retention_plan_review()
        with self.assertRefused(ValidationError, "already has a review planned"):
            self.plan(self.active, "2026-07-01")
        # done reviews cannot be completed or cancelled again
        review.write({"outcome": "maintain"})
        review.action_complete()
        with self.assertRefused(UserError, "Only planned reviews can be completed"):
            review.action_complete()
        with self.assertRefused(UserError, "Only planned reviews can be cancelled"):
            review.action_cancel()

    def test_impossible_settings_and_values_are_refused(self):
        with self.assertRefused(ValidationError, "between 0 and 365"):
            self.company.retention_review_lead_days = -1
        with self.assertRaises(ValueError):
            self.active.retention_review_cadence = "0"
        portal = new_test_user(self.env, login="portal_rv", groups="base.group_portal")
        with self.assertRefused(ValidationError, "internal user"):
            self.plan(self.active, user=portal)
        with self.assertRefused(ValidationError, "fallback reviewer must be an internal"):
            self.company.retention_review_reviewer_id = portal
        with self.assertRefused(ValidationError, "review .*Batumi Port Logistics.* rather"):
            self.plan(self.contact)

    def test_review_date_in_a_closed_period_is_refused(self):
        self.company.fiscalyear_lock_date = "2026-03-31"
        with self.assertRefused(ValidationError, "closed"):
            self.plan(self.active, "2026-03-15")
        review = self.plan(self.active, "2026-04-01")
        with self.assertRefused(ValidationError, "closed"):
            review.date_planned = "2026-03-31"


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestReviewCompanies(ReviewCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Kutaisi Branch")["company"]
        cls.pay(
            cls.make_invoice(cls.active, "2026-01-10", 700, company=cls.company_b), "2026-01-10"
        )
        cls.env["retention.profile.builder"]._compute_partners(cls.active.ids)
        cls.user_a = cls.new_company_user("only_a", RETENTION_USER)
        cls.manager_a.company_ids = [Command.link(cls.company_b.id)]

    def test_one_open_review_per_company_and_planning_per_company(self):
        self.set_next(self.active, "2026-06-16")
        self.set_next(self.active, "2026-06-17", self.company_b)
        self.Review._cron_plan_reviews()
        reviews = self.Review.search([("partner_id", "=", self.active.id)])
        self.assertEqual(len(reviews), 2)
        in_b = reviews.filtered(lambda r: r.company_id == self.company_b)
        self.assertEqual(self.active.with_company(self.company_b).retention_stage, "active")
        self.assertEqual(in_b.date_planned, self.to_date("2026-06-17"))
        # a customer without invoices in company B is not reviewed there
        self.assertFalse(self.next_date(self.risky, self.company_b))
        # completing in B moves B's date only, with B's figures
        self.complete(in_b, "maintain")
        self.assertAlmostEqual(in_b.revenue_12m_snapshot, 700)
        self.assertEqual(self.next_date(self.active, self.company_b), self.to_date("2026-09-15"))
        self.assertEqual(self.next_date(self.active), self.to_date("2026-06-16"))

    def test_user_of_company_a_does_not_see_reviews_of_company_b(self):
        in_a = self.plan(self.active)
        in_b = self.Review.with_company(self.company_b).create(
            {
                "partner_id": self.active.id,
                "company_id": self.company_b.id,
                "user_id": self.manager_a.id,
            }
        )
        as_a = self.Review.with_user(self.user_a)
        self.assertEqual(as_a.search([("partner_id", "=", self.active.id)]), in_a)
        with self.assertRaises(AccessError):
            in_b.with_user(self.user_a).read(["date_planned"])
        with self.assertRaises(AccessError):
            as_a.create({"partner_id": self.risky.id, "company_id": self.company_b.id})
        # the plain user cannot delete reviews
        with self.assertRaises(AccessError):
            in_a.with_user(self.user_a).unlink()

    def test_plain_user_completes_a_review(self):
        """A retention user without invoicing rights nor contact creation completes a review:
        the snapshot of revenue and the customer's dates are written on their behalf."""
        review = self.plan(self.risky, user=self.user_a)
        review = review.with_user(self.user_a)
        self.complete(
            review.with_user(self.user_a),
            "lost",
            lost_reason="Closed down",
            churn_reason_id=self.env.ref("customer_retention.churn_reason_other"),
        )
        self.assertEqual(review.state, "done")
        self.assertEqual(self.risky.with_company(self.company).retention_stage, "churned")


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestReviewPlanningJob(ReviewCase):
    """The planning job on the job helper (retention.job.mixin, whose two workers, crash,
    budget and progress are tested in test_job_mixin.py)."""

    def test_planning_hands_back_after_a_committed_batch(self):
        for customer in (self.active, self.newbie, self.risky):
            self.set_next(customer, "2026-06-18")
        from odoo.addons.customer_retention.models.reviews import retention_review as module

        cron = "customer_retention.ir_cron_retention_plan_reviews"
        with patch.object(module, "PLANNING_BATCH_SIZE", 1), counting_commits() as commits:
            with one_batch_per_call():
                self.assertEqual(run_cron(self.env, cron), (1, 2))
            self.assertIn("retention.review", commits)
            self.assertEqual(len(self.Review.search([("state", "=", "planned")])), 1)
            self.assertEqual(run_cron(self.env, cron), (2, 0))
        self.assertEqual(
            self.Review.search([("state", "=", "planned")]).partner_id,
            self.active | self.newbie | self.risky,
        )

    def test_giving_dates_stays_within_the_budget(self):
        """The first run on a large database gives every customer a next review date: one
        batch of dates per call when the budget is spent, the rest reported and given by
        the next calls, then the due reviews planned (here: the monthly customer's, today)."""
        from odoo.addons.customer_retention.models.reviews import retention_review as module

        cron = "customer_retention.ir_cron_retention_plan_reviews"
        customers = self.active | self.newbie | self.risky
        self.assertFalse(any(self.next_date(customer) for customer in customers))
        with patch.object(module, "ASSIGN_BATCH_SIZE", 1), one_batch_per_call():
            done, left = run_cron(self.env, cron)
            self.assertEqual(done, 1)
            self.assertGreaterEqual(left, 2, "the customers still without a date, and planning")
            self.assertEqual(sum(bool(self.next_date(customer)) for customer in customers), 1)
            self.assertFalse(self.Review.search([("partner_id", "in", customers.ids)]))
            calls = 1
            while left and calls < 10:
                done, left = run_cron(self.env, cron)
                calls += 1
        self.assertEqual(left, 0)
        self.assertTrue(all(self.next_date(customer) for customer in customers))
        self.assertEqual(
            self.Review.search([("partner_id", "in", customers.ids)]).partner_id, self.risky
        )

    def test_due_reviews_come_before_giving_dates(self):
        """A customer due today has its review planned by the first batch of the first call,
        before the customers without a next review date get theirs (on the load test's
        database, 76,000 of them took a day's calls); a customer given a date due within the
        lead time is planned by the next call, or once every date is given."""
        from odoo.addons.customer_retention.models.reviews import retention_review as module

        cron = "customer_retention.ir_cron_retention_plan_reviews"
        self.set_next(self.active, TODAY)
        waiting = self.newbie | self.risky
        with patch.object(module, "ASSIGN_BATCH_SIZE", 1), one_batch_per_call():
            done, left = run_cron(self.env, cron)
            self.assertEqual(done, 1)
            self.assertEqual(
                self.Review.search([("state", "=", "planned")]).partner_id, self.active
            )
            self.assertFalse(any(self.next_date(customer) for customer in waiting))
            self.assertEqual(left, 3, "two customers without a date, and listing the due ones")
            calls = 1
            while left and calls < 10:
                done, left = run_cron(self.env, cron)
                calls += 1
        self.assertEqual(left, 0)
        # the second call dates the customer at risk (today: monthly), the third plans its
        # review first, then dates the new customer; the fifth lists nobody left due
        self.assertEqual(calls, 5)
        self.assertTrue(all(self.next_date(customer) for customer in waiting))
        # the customer at risk is reviewed monthly: due within the lead time once dated
        self.assertEqual(
            self.Review.search([("state", "=", "planned")]).partner_id, self.active | self.risky
        )


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestReviewPlanningWorkers(JobWorkersCase):
    """Two planning runs with real transactions, as two cron workers would (data committed,
    removed after)."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            self.company_id = env.ref("base.main_company").id
            self.reviewer = env.ref("base.user_admin")
            partners = env["res.partner"].create(
                [
                    {
                        "name": f"Review worker {i}",
                        "is_company": True,
                        "retention_account_manager_id": self.reviewer.id,
                    }
                    for i in range(3)
                ]
            )
            self.partner_ids = partners.ids
            key = str(self.company_id)
            cr.execute(
                SQL(
                    """
                    UPDATE res_partner
                       SET retention_stage = jsonb_build_object(%(key)s, 'active'),
                           retention_customer_since = jsonb_build_object(%(key)s, '2025-01-01'),
                           retention_next_review_date = jsonb_build_object(%(key)s, %(today)s)
                     WHERE id = ANY(%(ids)s)
                    """,
                    key=key,
                    today=TODAY,
                    ids=self.partner_ids,
                )
            )
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM mail_message")
            self.message_mark = cr.fetchone()[0]
        self.addCleanup(self._delete_data)
        # the runs only look at the customers of this test, not at the rest of the database
        domain = RetentionReview._reviewed_customers_domain
        partner_ids = self.partner_ids
        patcher = patch.object(
            RetentionReview,
            "_reviewed_customers_domain",
            lambda self, company: domain(self, company) + [("id", "in", partner_ids)],
        )
        patcher.start()
        self.addCleanup(patcher.stop)

    def _delete_data(self):
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            env["retention.review"].search([("partner_id", "in", self.partner_ids)]).unlink()
            cr.execute(
                """
                DELETE FROM mail_message
                 WHERE id > %s AND model IS NULL AND message_type = 'user_notification'
                """,
                [self.message_mark],
            )
            env["res.partner"].browse(self.partner_ids).unlink()

    def _planner(self, cr):
        return self.env_of(cr)["retention.review"]

    def _open_reviews(self):
        with self.registry.cursor() as cr:
            cr.execute(
                """
                SELECT partner_id, COUNT(*) FROM retention_review
                 WHERE partner_id = ANY(%s) AND state = 'planned' GROUP BY partner_id
                """,
                [self.partner_ids],
            )
            return dict(cr.fetchall())

    def _digest_count(self):
        with self.registry.cursor() as cr:
            cr.execute(
                """
                SELECT COUNT(*) FROM mail_message
                 WHERE id > %s AND model IS NULL AND message_type = 'user_notification'
                """,
                [self.message_mark],
            )
            return cr.fetchone()[0]

    def test_two_workers_at_once_plan_each_review_once(self):
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            first = self._planner(cr1)._cron_plan_reviews()
            # the second worker skips the customers the first one holds, without waiting
            second = self._planner(cr2)._cron_plan_reviews()
        self.assertEqual(first, (3, 0))
        self.assertEqual(second, (0, 0))
        self.assertEqual(self._open_reviews(), dict.fromkeys(self.partner_ids, 1))
        self.assertEqual(self._digest_count(), 1)

    def test_worker_with_an_older_snapshot_hits_the_unique_index(self):
        with self.registry.cursor() as late:
            late.execute("SELECT 1")  # its snapshot is taken now, before the other run
            with self.registry.cursor() as cr:
                self.assertEqual(self._planner(cr)._cron_plan_reviews(), (3, 0))
            # it still sees no review, tries to insert them and is refused by the database,
            # one savepoint at a time, without failing the run
            with mute_logger("odoo.addons.customer_retention.models.reviews.retention_review"):
                self.assertEqual(self._planner(late)._cron_plan_reviews(), (0, 0))
        self.assertEqual(self._open_reviews(), dict.fromkeys(self.partner_ids, 1))
        self.assertEqual(self._digest_count(), 1)

    def _pending_digests(self, cr):
        cr.execute(
            "SELECT id FROM retention_review WHERE partner_id = ANY(%s) AND digest_pending",
            [self.partner_ids],
        )
        return {row[0] for row in cr.fetchall()}

    def _plan_without_digest(self):
        """The three reviews planned and committed, none told yet."""
        with self.registry.cursor() as cr:
            with patch.object(RetentionReview, "_send_review_digests", lambda self: 0):
                self._planner(cr)._cron_plan_reviews()
            self.assertEqual(len(self._pending_digests(cr)), 3)
            cr.execute(
                "SELECT id FROM retention_review WHERE partner_id = ANY(%s)", [self.partner_ids]
            )
            return sorted(row[0] for row in cr.fetchall())

    def _next_digest_tells_the_rest(self):
        with self.registry.cursor() as cr:
            self._planner(cr)._send_review_digests()
            cr.commit()
            self.assertFalse(self._pending_digests(cr))

    def test_a_review_a_user_holds_is_told_by_the_next_digest(self):
        """The digest skips a review locked by a user completing it (without waiting: the
        lock timeout makes a wait fail the test), and the next run tells of it."""
        reviews = self._plan_without_digest()
        with self.registry.cursor() as user_cr, self.registry.cursor() as cr:
            user_cr.execute(
                "SELECT id FROM retention_review WHERE id = %s FOR UPDATE", [reviews[0]]
            )
            cr.execute("SET LOCAL lock_timeout = '2s'")
            self._planner(cr)._send_review_digests()
            cr.commit()
            self.assertEqual(self._pending_digests(cr), {reviews[0]})
            self.assertEqual(self._digest_count(), 1)
        self._next_digest_tells_the_rest()
        self.assertEqual(self._digest_count(), 2)

    def test_a_review_changed_since_the_run_began_is_left_to_the_next_digest(self):
        """A review completed and committed after the planning transaction's snapshot: the
        digest takes nothing rather than fail the job's last commit."""
        reviews = self._plan_without_digest()
        with self.registry.cursor() as cr:
            cr.execute("SELECT 1")  # the planning transaction's snapshot is taken now
            with self.registry.cursor() as user_cr:
                user_cr.execute(
                    "UPDATE retention_review SET notes = 'done meanwhile' WHERE id = %s",
                    [reviews[1]],
                )
            self._planner(cr)._send_review_digests()
            cr.commit()
        self.assertEqual(self._digest_count(), 0)
        self._next_digest_tells_the_rest()
        self.assertEqual(self._digest_count(), 1)

    def test_rerun_after_commit_plans_nothing(self):
        with self.registry.cursor() as cr:
            self._planner(cr)._cron_plan_reviews()
        with self.registry.cursor() as cr:
            self.assertEqual(self._planner(cr)._cron_plan_reviews(), (0, 0))
        self.assertEqual(self._open_reviews(), dict.fromkeys(self.partner_ids, 1))
        self.assertEqual(self._digest_count(), 1)

    def test_crash_halfway_resumes_without_losing_or_repeating(self):
        """Batches of one review, each committed; the third one dies. What was committed
        stays, the next run plans the rest only, and one digest tells of all three."""
        from odoo.addons.customer_retention.models.reviews import retention_review as module

        plan_review = RetentionReview._plan_review
        calls = []

        def dying_plan_review(self, partner, company, lock_date):
            calls.append(partner.id)
            if len(calls) == 3:
                raise RuntimeError("worker killed")
            return plan_review(self, partner, company, lock_date)

        with patch.object(module, "PLANNING_BATCH_SIZE", 1), self.committing():
            with (
                patch.object(RetentionReview, "_plan_review", dying_plan_review),
                self.assertRaises(RuntimeError),
                self.registry.cursor() as cr,
            ):
                self._planner(cr)._cron_plan_reviews()
            self.assertEqual(len(self._open_reviews()), 2, "the committed batches are kept")
            self.assertEqual(self._digest_count(), 0)
            with self.registry.cursor() as cr:
                self.assertEqual(self._planner(cr)._cron_plan_reviews(), (1, 0))
        self.assertEqual(self._open_reviews(), dict.fromkeys(self.partner_ids, 1))
        self.assertEqual(self._digest_count(), 1)
