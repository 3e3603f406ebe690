"""Who sees what: each role is tested as that user, never as the administrator.

Roles: plain internal user, Retention User, invoicing user, project manager, Retention
Manager, portal and public users; and a user of another company.
"""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import RETENTION_MANAGER, RETENTION_USER, RetentionCase

MONEY_FIELDS = (
    "retention_revenue_12m",
    "retention_revenue_prev_12m",
    "retention_revenue_lifetime",
    "retention_repeat_revenue_share",
    "retention_overdue_amount",
    "retention_overdue_days",
)
PROFILE_FIELDS = ("retention_stage", "retention_health_score", "retention_customer_since")


class AccessAssertions:
    def assertDenied(self, call, *args, **kwargs):
        """Forbidden access raises AccessError with a message naming what was refused."""
        with self.assertRaises(AccessError) as caught:
            call(*args, **kwargs)
        self.assertTrue(str(caught.exception).strip())
        return caught.exception


@tagged("post_install", "-at_install")
class TestRoles(AccessAssertions, RetentionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the fixtures are made by a retention manager; the tests act as each role
        cls.add_groups(RETENTION_MANAGER)
        cls.invoice = cls.make_invoice(cls.customer, "2026-05-01", 1000)
        cls.builder._compute_partners(cls.customer.ids)
        user = cls.new_company_user
        cls.internal = user("cr_internal", "base.group_user")
        cls.retention_user = user("cr_user", RETENTION_USER)
        cls.invoicing = user("cr_invoicing", "account.group_account_invoice")
        cls.project_manager = user("cr_pm", "project.group_project_manager")
        cls.manager = user("cr_manager", RETENTION_MANAGER)
        cls.portal = user("cr_portal", "base.group_portal")
        cls.portal.partner_id.parent_id = cls.customer
        cls.public = cls.env.ref("base.public_user")

        cls.review = cls.env["retention.review"].create(
            {"partner_id": cls.customer.id, "user_id": cls.retention_user.id}
        )
        cls.rule = cls.env["retention.followup.rule"].create(
            {
                "name": "Check in after the first invoice",
                "trigger": "first_invoice",
                "action_ids": [
                    Command.create(
                        {
                            "activity_type_id": cls.env.ref("mail.mail_activity_data_todo").id,
                            "summary": "Welcome call",
                        }
                    )
                ],
            }
        )

    # ------------------------------------------------------------------ groups
    def test_invoicing_users_and_project_managers_are_retention_users(self):
        for user in (self.invoicing, self.project_manager, self.manager):
            self.assertTrue(user.has_group("customer_retention.group_retention_user"), user.login)
        self.assertFalse(self.internal.has_group("customer_retention.group_retention_user"))
        self.assertFalse(
            self.retention_user.has_group("customer_retention.group_retention_manager")
        )
        category = self.env.ref("customer_retention.module_category_customer_retention")
        self.assertEqual(
            self.env.ref("customer_retention.group_retention_user").category_id, category
        )

    # ------------------------------------------------------------------ money
    def test_revenue_and_overdue_only_for_invoicing_users_and_managers(self):
        as_user = self.customer.with_user(self.retention_user)
        stage = self.customer.sudo().retention_stage
        self.assertTrue(stage)
        self.assertEqual(as_user.read(list(PROFILE_FIELDS))[0]["retention_stage"], stage)
        for field in MONEY_FIELDS:
            error = self.assertDenied(as_user.read, [field])
            self.assertIn(field, str(error))
        # nor can it be searched on, which would leak it just the same
        self.assertDenied(
            self.env["res.partner"].with_user(self.retention_user).search,
            [("retention_revenue_12m", ">", 0)],
        )
        for user in (self.invoicing, self.manager):
            values = self.customer.with_user(user).read(["retention_revenue_12m"])[0]
            self.assertAlmostEqual(values["retention_revenue_12m"], 1000, msg=user.login)

    def test_internal_user_sees_the_stage_but_not_the_retention_records(self):
        as_internal = self.customer.with_user(self.internal)
        self.assertEqual(as_internal.retention_stage, self.customer.sudo().retention_stage)
        self.assertDenied(self.review.with_user(self.internal).read, ["date_planned"])
        self.assertDenied(self.rule.with_user(self.internal).read, ["name"])
        self.assertDenied(self.env["retention.followup.log"].with_user(self.internal).search, [])

    # ------------------------------------------------------------------ reviews
    def test_retention_user_works_on_reviews_but_cannot_delete(self):
        Review = self.env["retention.review"].with_user(self.retention_user)
        self.review.with_user(self.retention_user).write({"notes": "<p>Budget next year</p>"})
        other = self.env["res.partner"].create({"name": "Tashkent Print House", "is_company": True})
        created = Review.create({"partner_id": other.id, "user_id": self.retention_user.id})
        self.assertTrue(created.exists())
        self.assertDenied(created.unlink)
        created.with_user(self.manager).unlink()
        self.assertFalse(created.exists())

    # ------------------------------------------------------------------ rules
    def test_only_managers_configure_follow_up_rules(self):
        as_user = self.rule.with_user(self.retention_user)
        self.assertEqual(as_user.name, "Check in after the first invoice")
        self.assertDenied(as_user.write, {"name": "Changed"})
        self.assertDenied(as_user.unlink)
        self.assertDenied(
            self.env["retention.followup.rule"].with_user(self.retention_user).create,
            {"name": "Mine", "trigger": "first_invoice"},
        )
        self.assertDenied(
            self.rule.action_ids.with_user(self.retention_user).write, {"summary": "x"}
        )
        as_manager = self.rule.with_user(self.manager)
        as_manager.write({"name": "Welcome call after the first invoice"})
        copy = as_manager.copy()
        copy.unlink()
        self.assertFalse(copy.exists())

    def test_company_settings_need_settings_rights(self):
        """Weights and windows are company settings: administrators only, as in Odoo."""
        for user in (self.retention_user, self.manager):
            self.assertDenied(self.company.with_user(user).write, {"retention_weight_recency": 50})
        menu = self.env.ref("customer_retention.res_config_settings_menu")
        self.assertFalse(
            menu.with_user(self.manager)._filter_visible_menus(),
            "a retention manager without Settings rights must not see a menu that fails",
        )

    # ------------------------------------------------------------------ feedback
    def test_feedback_secret_is_never_readable_by_users(self):
        feedback = self.env["retention.feedback"].create(
            {"partner_id": self.customer.id, "contact_id": self.contact.id, "kind": "nps"}
        )
        for user in (self.retention_user, self.manager):
            as_user = feedback.with_user(user)
            self.assertEqual(as_user.kind, "nps")
            self.assertDenied(as_user.read, ["feedback_token"])
        self.assertDenied(feedback.with_user(self.retention_user).unlink)
        self.assertDenied(feedback.with_user(self.internal).read, ["score"])

    # ------------------------------------------------------------------ analytics
    def test_analytics_revenue_only_for_invoicing_users_and_managers(self):
        self.env["retention.snapshot"]._backfill()
        Snapshot = self.env["retention.snapshot"]
        self.assertTrue(Snapshot.search_count([("partner_id", "=", self.customer.id)]))
        as_user = Snapshot.with_user(self.retention_user)
        snapshot = as_user.search([("partner_id", "=", self.customer.id)], limit=1)
        self.assertTrue(snapshot.month)
        self.assertDenied(snapshot.read, ["revenue_12m"])
        as_invoicing = snapshot.with_user(self.invoicing)
        self.assertGreaterEqual(as_invoicing.revenue_12m, 0)
        self.assertDenied(snapshot.with_user(self.internal).read, ["month"])
        self.assertDenied(snapshot.with_user(self.manager).unlink)

    # ------------------------------------------------------------------ portal/public
    def test_portal_and_public_users_read_nothing_of_the_module(self):
        own_company = self.customer.with_user(self.portal)
        self.assertEqual(own_company.sudo(False).name, "Batumi Port Logistics")
        for field in PROFILE_FIELDS + MONEY_FIELDS:
            self.assertDenied(own_company.read, [field])
        for model in (
            "retention.review",
            "retention.followup.rule",
            "retention.followup.log",
            "retention.feedback",
            "retention.snapshot",
            "retention.metric.report",
            "retention.cohort.report",
        ):
            for user in (self.portal, self.public):
                self.assertDenied(self.env[model].with_user(user).search, [])
        # the invoice is the portal user's to see, our flags on it are not
        self.assertDenied(self.invoice.with_user(self.portal).read, ["retention_is_first_invoice"])


@tagged("post_install", "-at_install")
class TestCompanies(AccessAssertions, RetentionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.add_groups(RETENTION_MANAGER)
        cls.company_b = cls.setup_other_company(name="Samarkand Branch")["company"]
        cls.make_invoice(cls.customer, "2026-05-01", 1000)
        cls.make_invoice(cls.customer, "2026-05-02", 9000, company=cls.company_b)
        cls.builder._compute_partners(cls.customer.ids)
        cls.user_a = cls.new_company_user("cr_only_a", "account.group_account_invoice")
        cls.rule_b = (
            cls.env["retention.followup.rule"]
            .with_company(cls.company_b)
            .create(
                {
                    "name": "Rule of company B",
                    "trigger": "first_invoice",
                    "company_id": cls.company_b.id,
                }
            )
        )
        cls.review_b = cls.env["retention.review"].create(
            {"partner_id": cls.customer.id, "company_id": cls.company_b.id}
        )
        cls.feedback_b = cls.env["retention.feedback"].create(
            {
                "partner_id": cls.customer.id,
                "contact_id": cls.contact.id,
                "company_id": cls.company_b.id,
                "kind": "csat",
            }
        )

    def test_figures_of_one_company_are_never_shown_in_another(self):
        as_a = self.customer.with_user(self.user_a)
        self.assertAlmostEqual(as_a.retention_revenue_12m, 1000)
        # asking for company B's figures from a user who is not in company B is refused
        self.assertDenied(lambda: as_a.with_company(self.company_b).read(["retention_revenue_12m"]))
        self.assertAlmostEqual(
            self.customer.with_company(self.company_b).retention_revenue_12m, 9000
        )

    def test_records_of_another_company_are_invisible(self):
        for record in (self.rule_b, self.review_b, self.feedback_b):
            Model = self.env[record._name].with_user(self.user_a)
            self.assertFalse(Model.search([("id", "=", record.id)]), record._name)
            with self.assertRaises(AccessError):
                record.with_user(self.user_a).read(["display_name"])
