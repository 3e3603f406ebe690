"""Trust (issue #15): account reviews, customers' figures, projects, settings and the
dashboard, each attacked as the role that could abuse it.

Roles: a Retention Manager of company A only, a Retention User, employees with and without
Contact Creation, an invoicing user, a portal user; company B holds a customer and a review
that company A's users must neither see nor touch.
"""

import json

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from ..models.profile.retention_profile_builder import FIGURE_COLUMNS
from .common import RETENTION_MANAGER, TODAY, RetentionCase

#: A value of the right type for every figure the module writes on customers.
FIGURE_VALUES = {
    "retention_customer_since": "2020-01-01",
    "retention_last_invoice_date": "2020-01-01",
    "retention_last_contact_date": "2020-01-01",
    "retention_revenue_12m": 1.0,
    "retention_revenue_prev_12m": 1.0,
    "retention_revenue_lifetime": 1.0,
    "retention_repeat_revenue_share": 1.0,
    "retention_overdue_amount": 1.0,
    "retention_overdue_days": 1,
    "retention_invoice_count": 99,
    "retention_credit_note_count": 99,
    "retention_project_open_count": 99,
    "retention_project_done_count": 99,
    "retention_health_score": 1,
    "retention_health_score_prev": 1,
    "retention_health_trend": "down",
    "retention_revenue_trend": "down",
    "retention_health_factors": "{}",
    "retention_stage": "churned",
    "retention_stage_date": "2020-01-01",
    "retention_main_reason_data": "{}",
    "retention_expected_invoice_date": "2020-01-01",
    # set by an account review completed as lost, never by hand
    "retention_lost_date": "2020-01-01",
    "retention_lost_reason": "forged",
}
#: Customer fields users set, in the Retention tab: Retention Users only.
USER_SET_VALUES = {
    "retention_review_cadence": "monthly",
    "retention_next_review_date": "2027-01-01",
    "retention_renewal_date": "2027-01-01",
}
HUGE = 2147483647


class TrustCase(RetentionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.add_groups(RETENTION_MANAGER)
        cls.company_b = cls.setup_other_company(name="Samarkand Branch")["company"]
        cls.Review = cls.env["retention.review"]
        cls.make_invoice(cls.customer, "2026-05-01", 1000)
        cls.make_invoice(cls.customer, "2026-05-02", 9000, company=cls.company_b)
        # a customer of company B only, and its open review there
        cls.secret = cls.env["res.partner"].create(
            {"name": "Samarkand Secret Client", "is_company": True, "company_id": cls.company_b.id}
        )
        cls.builder._compute_partners((cls.customer | cls.secret).ids)
        cls.review_b = cls.Review.with_company(cls.company_b).create(
            {"partner_id": cls.customer.id, "company_id": cls.company_b.id}
        )
        cls.secret_review = cls.Review.with_company(cls.company_b).create(
            {"partner_id": cls.secret.id, "company_id": cls.company_b.id}
        )
        user = cls.new_company_user
        cls.employee = user("tr_employee", "base.group_user")
        cls.contact_creator = user("tr_contacts", "base.group_user,base.group_partner_manager")
        cls.retention_user = user("tr_user", "customer_retention.group_retention_user")
        cls.retention_contacts = user(
            "tr_user_contacts",
            "customer_retention.group_retention_user,base.group_partner_manager",
        )
        cls.manager_a = user(
            "tr_manager_a",
            "customer_retention.group_retention_manager,base.group_partner_manager",
        )
        cls.invoicing = user("tr_invoicing", "account.group_account_invoice")
        cls.admin = user("tr_admin", "base.group_system")
        cls.portal = user("tr_portal", "base.group_portal")

    def figures(self, partner, company=None):
        return partner.sudo().with_company(company or self.company)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestReviewMessages(TrustCase):
    """Finding 2: rights first; no message names what the caller may not read."""

    def test_portal_user_creating_a_review_twice_learns_nothing(self):
        Review = self.Review.with_user(self.portal)
        for values in (
            {"partner_id": self.secret.id, "company_id": self.company_b.id},
            {"partner_id": self.customer.id},
        ):
            with self.subTest(values=values):
                with self.assertRaises(AccessError) as caught:
                    Review.create(values)
                self.assertNotIn("Samarkand", str(caught.exception))
                self.assertNotIn("Batumi", str(caught.exception))

    def test_company_a_user_learns_nothing_of_company_b(self):
        Review = self.Review.with_user(self.retention_user)
        # a second review of a shared customer, in company B where one is planned
        with self.assertRaises(AccessError) as caught:
            Review.create({"partner_id": self.customer.id, "company_id": self.company_b.id})
        message = str(caught.exception)
        self.assertNotIn("Samarkand", message)
        self.assertIn("your companies", message)
        # a review of company B's own customer, in company A
        with self.assertRaises(AccessError) as caught:
            Review.create({"partner_id": self.secret.id})
        self.assertNotIn("Samarkand", str(caught.exception))
        self.assertFalse(
            self.Review.search([("partner_id", "=", self.secret.id)]) - self.secret_review
        )

    def test_duplicate_in_own_company_is_still_explained(self):
        Review = self.Review.with_user(self.retention_user)
        Review.create({"partner_id": self.customer.id})
        with self.assertRaisesRegex(ValidationError, "Batumi Port Logistics already has a review"):
            Review.create({"partner_id": self.customer.id})


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestRecompute(TrustCase):
    """Finding 3: full recompute for Retention managers and administrators; the customer's
    button bounded, for Retention users, in their companies."""

    def test_full_recompute_refused_to_everyone_else(self):
        for user in (self.portal, self.employee, self.contact_creator, self.retention_user):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError) as caught:
                    self.env["res.config.settings"].with_user(user).action_retention_recompute()
                self.assertIn("Retention", str(caught.exception))
        for user in (self.manager_a, self.admin):
            result = self.env["res.config.settings"].with_user(user).action_retention_recompute()
            self.assertEqual(result["tag"], "display_notification", user.login)

    def test_manager_recomputes_only_their_companies(self):
        for company in (self.company, self.company_b):
            self.figures(self.customer, company).write({"retention_invoice_count": 999})
        self.env["res.config.settings"].with_user(self.manager_a).action_retention_recompute()
        self.assertEqual(self.figures(self.customer).retention_invoice_count, 1)
        self.assertEqual(self.figures(self.customer, self.company_b).retention_invoice_count, 999)
        self.env["res.config.settings"].with_user(self.admin).action_retention_recompute()
        self.assertEqual(self.figures(self.customer, self.company_b).retention_invoice_count, 1)

    def test_customer_button_needs_retention_user(self):
        for user in (self.portal, self.employee, self.contact_creator):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.customer.with_user(user).action_retention_recompute()

    def test_customer_button_in_own_companies_only(self):
        for company in (self.company, self.company_b):
            self.figures(self.customer, company).write({"retention_invoice_count": 999})
        self.customer.with_user(self.retention_user).action_retention_recompute()
        self.assertEqual(self.figures(self.customer).retention_invoice_count, 1)
        self.assertEqual(self.figures(self.customer, self.company_b).retention_invoice_count, 999)
        with self.assertRaises(AccessError):
            self.secret.with_user(self.manager_a).action_retention_recompute()

    def test_customer_button_is_bounded(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Bulk {i}", "is_company": True} for i in range(101)]
        )
        with self.assertRaisesRegex(UserError, "at most 100"):
            partners.with_user(self.retention_user).action_retention_recompute()
        partners[:100].with_user(self.retention_user).action_retention_recompute()


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestCustomerFigures(TrustCase):
    """Finding 4: the figures on customers are the builder's only."""

    def test_every_builder_figure_is_protected(self):
        written = {name for name, _cast, _null in FIGURE_COLUMNS}
        self.assertEqual(
            written | {"retention_lost_date", "retention_lost_reason"}, set(FIGURE_VALUES)
        )

    def test_figures_refused_in_write_for_every_role(self):
        for user in (self.contact_creator, self.retention_contacts, self.manager_a):
            partner = self.customer.with_user(user)
            partner.write({"comment": "may edit the contact"})
            for name, value in FIGURE_VALUES.items():
                before = self.figures(self.customer)[name]
                with self.subTest(user=user.login, field=name):
                    with self.assertRaises(AccessError) as caught:
                        partner.write({name: value})
                    self.assertIn("figures", str(caught.exception))
                    self.assertEqual(self.figures(self.customer)[name], before)

    def test_figures_refused_in_create(self):
        Partner = self.env["res.partner"].with_user(self.contact_creator)
        for name, value in FIGURE_VALUES.items():
            with self.subTest(field=name), self.assertRaises(AccessError):
                Partner.create({"name": "Forged", name: value})
        # empty values are no change: a plain contact is still created
        self.assertTrue(Partner.create({"name": "Plain", "retention_stage": False}))

    def test_stage_forgery_fires_no_follow_up(self):
        rule = self.env["retention.followup.rule"].create(
            {"name": "Churned", "trigger": "stage_change", "target_stage": "churned"}
        )
        with self.assertRaises(AccessError):
            self.customer.with_user(self.contact_creator).write(
                {"retention_stage": "churned", "retention_stage_date": TODAY}
            )
        rule._run()
        self.assertFalse(self.env["retention.followup.log"].search([("rule_id", "=", rule.id)]))

    def test_builder_review_and_superuser_still_write(self):
        self.figures(self.customer).write({"retention_invoice_count": 5})
        self.recompute()
        self.assertEqual(self.figures(self.customer).retention_invoice_count, 1)
        # a duplicate by a contact manager: the figures are not copied, nor refused
        copy = self.customer.with_user(self.contact_creator).copy()
        self.assertFalse(self.figures(copy).retention_stage)

    def test_merge_by_contact_manager_keeps_the_figures_to_the_builder(self):
        """Odoo's merge writes every field of the merged contacts on the one kept: ours are
        left to the builder, which gets the customer queued (its invoices moved by SQL)."""
        duplicate = self.env["res.partner"].create({"name": "Batumi Port Logistics (dup)"})
        self.customer.with_company(self.company).retention_next_review_date = "2026-09-01"
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_user(self.contact_creator)
            .create(
                {
                    "partner_ids": [Command.set((self.customer | duplicate).ids)],
                    "dst_partner_id": self.customer.id,
                }
            )
        )
        wizard.action_merge()
        self.assertFalse(duplicate.exists())
        self.assertEqual(self.figures(self.customer).retention_invoice_count, 1)
        self.assertTrue(self.figures(self.customer).retention_refresh_pending)

    def test_user_set_fields_need_retention_user(self):
        for name, value in USER_SET_VALUES.items():
            with self.subTest(field=name), self.assertRaises(AccessError):
                self.customer.with_user(self.contact_creator).write({name: value})
        self.customer.with_user(self.retention_contacts).write(USER_SET_VALUES)
        self.customer.with_user(self.retention_contacts).write(
            {"retention_account_manager_id": self.retention_user.id}
        )
        with self.assertRaises(AccessError):
            self.customer.with_user(self.contact_creator).write(
                {"retention_account_manager_id": self.contact_creator.id}
            )

    def test_project_closing_figures_are_the_modules(self):
        manager = self.new_company_user("tr_pm", "project.group_project_manager")
        project = (
            self.env["project.project"]
            .sudo()
            .create({"name": "Harbour audit", "partner_id": self.customer.id})
        )
        for values in ({"retention_is_closed": True}, {"retention_date_closed": TODAY}):
            with self.subTest(values=values), self.assertRaises(AccessError):
                project.with_user(manager).write(values)
        self.assertFalse(project.retention_is_closed)
        project.with_user(manager).write({"retention_renewal_date": "2027-01-01"})


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestReviewWorkflow(TrustCase):
    """Finding 4: a review's company is one of the writer's; status, outcome and snapshot
    are set by the Complete and Cancel buttons only."""

    def complete(self, review, user, outcome="maintain"):
        wizard = (
            self.env["retention.review.complete"]
            .with_user(user)
            .create({"review_id": review.id, "outcome": outcome})
        )
        wizard.action_confirm()

    def test_review_cannot_move_to_another_company(self):
        review = self.Review.create({"partner_id": self.customer.id})
        with self.assertRaises(AccessError) as caught:
            review.with_user(self.retention_user).write({"company_id": self.company_b.id})
        self.assertIn("your companies", str(caught.exception))
        self.assertNotIn("Samarkand", str(caught.exception))
        self.assertEqual(review.company_id, self.company)

    def test_workflow_fields_refused_for_every_role(self):
        forged = {
            "state": "done",
            "date_done": TODAY,
            "health_score_snapshot": 99,
            "stage_snapshot": "active",
            "revenue_12m_snapshot": 123456.0,
            "digest_pending": True,
        }
        review = self.Review.create({"partner_id": self.customer.id})
        for user in (self.retention_user, self.manager_a):
            for name, value in forged.items():
                with self.subTest(user=user.login, field=name), self.assertRaises(AccessError):
                    review.with_user(user).write({name: value})
            with self.subTest(user=user.login, forged="done review with outcome"):
                with self.assertRaises(AccessError):
                    review.with_user(user).write({"state": "done", "outcome": "renew"})
                with self.assertRaises(AccessError):
                    self.Review.with_user(user).create(
                        {
                            "partner_id": self.contact.parent_id.id,
                            "state": "done",
                            "outcome": "renew",
                        }
                    )
        self.assertEqual(review.state, "planned")
        self.assertFalse(review.health_score_snapshot)

    def test_done_review_is_history(self):
        review = self.Review.create({"partner_id": self.customer.id})
        self.complete(review, self.retention_user)
        self.assertEqual(review.state, "done")
        self.assertEqual(review.stage_snapshot, self.figures(self.customer).retention_stage)
        for values in (
            {"outcome": "lost", "lost_reason": "rewritten"},
            {"date_planned": "2026-07-01"},
            {"user_id": self.manager_a.id},
            {"partner_id": self.secret.id},
        ):
            for user in (self.retention_user, self.manager_a):
                with self.subTest(user=user.login, values=values), self.assertRaises(UserError):
                    review.with_user(user).write(values)
        review.with_user(self.retention_user).write({"notes": "<p>Added later</p>"})
        self.assertEqual(review.outcome, "maintain")

    def test_saved_review_keeps_its_customer(self):
        review = self.Review.create({"partner_id": self.customer.id})
        other = self.env["res.partner"].create({"name": "Other", "is_company": True})
        with self.assertRaises(UserError):
            review.with_user(self.retention_user).write({"partner_id": other.id})

    def test_retention_user_completes_and_cancels(self):
        review = self.Review.create({"partner_id": self.customer.id})
        self.complete(review, self.retention_user, "renew")
        self.assertEqual((review.state, review.outcome), ("done", "renew"))
        self.assertEqual(review.date_done, self.to_date(TODAY))
        again = self.Review.create({"partner_id": self.customer.id, "date_planned": "2026-09-01"})
        again.with_user(self.retention_user).action_cancel()
        self.assertEqual(again.state, "cancelled")

    def test_company_a_manager_cannot_act_on_company_b_reviews(self):
        review_b = self.review_b.with_user(self.manager_a)
        for action in ("action_open_complete_wizard", "action_complete", "action_cancel"):
            with self.subTest(action=action), self.assertRaises(AccessError):
                getattr(review_b, action)()
        self.assertEqual(self.review_b.state, "planned")


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestHistoryKept(TrustCase):
    """Finding 8: deleting a customer does not delete its reviews."""

    def test_customer_with_reviews_cannot_be_deleted(self):
        prospect = self.env["res.partner"].create({"name": "Tbilisi Prospect", "is_company": True})
        review = self.Review.create({"partner_id": prospect.id})
        with self.assertRaisesRegex(UserError, "Archive"):
            prospect.with_user(self.contact_creator).unlink()
        self.assertTrue(review.exists())
        self.assertTrue(prospect.exists())
        # the same without reviews
        plain = self.env["res.partner"].create({"name": "Nobody", "is_company": True})
        plain.with_user(self.contact_creator).unlink()
        self.assertFalse(plain.exists())


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestMoneyInDisguise(TrustCase):
    """Finding 10: the factor breakdown and the dashboard show no money to users without
    invoicing rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # revenue falling to 60%: trend score 60; 600 unpaid for 257 days: payment score 20
        cls.falling = cls.env["res.partner"].create({"name": "Falling Freight", "is_company": True})
        cls.pay(cls.make_invoice(cls.falling, "2024-09-01", 1000), "2024-09-01")
        cls.make_invoice(cls.falling, "2025-09-01", 600, due="2025-10-01")
        cls.builder._compute_partners(cls.falling.ids)

    def test_factor_scores_of_money_hidden(self):
        factors = json.loads(self.figures(self.falling).retention_health_factors)
        self.assertEqual((factors["trend"]["score"], factors["payment"]["score"]), (60, 20))
        for user in (self.retention_user, self.employee):
            partner = self.falling.with_user(user)
            html = str(partner.retention_health_explanation)
            with self.subTest(user=user.login):
                self.assertIn("Revenue trend", html)
                self.assertIn("hidden", html)
                self.assertNotIn("<b>60</b>", html)
                self.assertNotIn("<b>20</b>", html)
                self.assertIn("<b>", html)  # the other factors' scores are shown
                with self.assertRaises(AccessError):
                    partner.read(["retention_health_factors"])
        for user in (self.invoicing, self.manager_a):
            html = str(self.falling.with_user(user).retention_health_explanation)
            with self.subTest(user=user.login):
                self.assertIn("<b>60</b>", html)
                self.assertIn("<b>20</b>", html)

    def test_dashboard_without_money_rights(self):
        self.env["retention.snapshot"]._backfill()
        Dashboard = self.env["retention.dashboard"]
        data = Dashboard.with_user(self.retention_user).get_dashboard_data("month")
        self.assertFalse(data["money"])
        # the customers at risk are listed (issue #17), without their revenue
        self.assertTrue(all(not item.get("revenue") for item in data["at_risk"]))
        self.assertEqual(data["at_risk_total"], "")
        self.assertEqual(
            {kpi["key"] for kpi in data["kpis"]},
            {"customer_retention_rate", "logo_churn_rate", "customers_end"},
        )
        for period in data["history"]:
            self.assertIsNone(period["net_revenue_retention"])
            self.assertIsNone(period["gross_revenue_retention"])
        self.assertTrue(Dashboard.with_user(self.invoicing).get_dashboard_data("month")["money"])
        for user in (self.employee, self.portal):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                Dashboard.with_user(user).get_dashboard_data("month")
        with self.assertRaises(AccessError) as caught:
            Dashboard.with_user(self.retention_user).get_dashboard_data("month", self.company_b.id)
        self.assertNotIn("Samarkand", str(caught.exception))


@tagged("post_install", "-at_install")
class TestSettingsBounds(TrustCase):
    """Finding 4: every number of the settings has a range, said in the message."""

    def assertOutOfRange(self, values, expected):
        with self.assertRaises(ValidationError) as caught, self.env.cr.savepoint():
            self.company.write(values)
        self.assertIn(expected, str(caught.exception))

    def test_day_windows(self):
        for name in (
            "retention_churn_days",
            "retention_won_back_days",
            "retention_onboarding_days",
            "retention_engagement_zero_days",
        ):
            for value in (HUGE, 3651, 0, -1):
                with self.subTest(field=name, value=value):
                    self.assertOutOfRange({name: value}, "between 1 and 3650")
        for value in (HUGE, 0):
            with self.subTest(field="retention_engagement_full_days", value=value):
                self.assertOutOfRange(
                    {"retention_engagement_full_days": value}, "between 1 and 3650"
                )
        self.company.write(
            {
                "retention_churn_days": 3650,
                "retention_engagement_full_days": 3649,
                "retention_engagement_zero_days": 3650,
            }
        )

    def test_weights_thresholds_lead_time_validity(self):
        for values, expected in (
            ({"retention_weight_trend": HUGE}, "between 0 and 100"),
            ({"retention_weight_payment": -1}, "between 0 and 100"),
            ({"retention_at_risk_threshold": HUGE}, "between 0 and 100"),
            ({"retention_review_lead_days": HUGE}, "between 0 and 365"),
            ({"retention_review_lead_days": -1}, "between 0 and 365"),
            ({"retention_feedback_validity_days": HUGE}, "between 1 and 365"),
        ):
            with self.subTest(values=values):
                self.assertOutOfRange(values, expected)

    def test_settings_screen_refuses_huge_values(self):
        settings = self.env["res.config.settings"].with_user(self.admin)
        with self.assertRaisesRegex(ValidationError, "between 1 and 3650"):
            settings.create({"retention_churn_days": HUGE}).execute()
