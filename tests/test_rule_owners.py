"""Business rules with one owner, each held once against every place that uses it.

- who looks after a customer: res.partner._retention_responsible_users, used by reviews,
  follow-up activities, feedback requests and their detractor alerts;
"""

from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import TODAY, RetentionCase


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestResponsibleUser(RetentionCase):
    """Account manager, else salesperson, else the company's fallback reviewer: the first
    that is an active internal user allowed in the company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id = [
            Command.link(cls.env.ref("customer_retention.group_retention_manager").id)
        ]
        cls.company_b = cls.setup_other_company(name="Rustavi Branch")["company"]
        cls.env.user.company_ids = [Command.link(cls.company_b.id)]

        def user(login, companies=None, groups="customer_retention.group_retention_user"):
            companies = companies or cls.company
            return new_test_user(
                cls.env,
                login=login,
                groups=groups,
                company_id=companies[0].id,
                company_ids=[Command.set(companies.ids)],
            )

        cls.manager = user("ro_manager")
        cls.salesperson = user("ro_sales")
        cls.fallback = user("ro_fallback")
        cls.outsider = user("ro_outsider", cls.company_b)  # allowed in the other company only
        cls.both = user("ro_both", cls.company | cls.company_b)
        cls.portal = new_test_user(cls.env, login="ro_portal", groups="base.group_portal")
        cls.customer.write(
            {"retention_account_manager_id": cls.manager.id, "user_id": cls.salesperson.id}
        )
        cls.company.retention_review_reviewer_id = cls.fallback

    def responsible(self, company=None):
        return self.customer._retention_responsible_user(company or self.company)

    def test_account_manager_first(self):
        self.assertEqual(self.responsible(), self.manager)
        # a contact is looked after by whoever looks after its customer
        self.assertEqual(self.contact._retention_responsible_user(self.company), self.manager)

    def test_inactive_account_manager_gives_way_to_the_salesperson(self):
        self.manager.active = False
        self.assertEqual(self.responsible(), self.salesperson)

    def test_user_of_another_company_gives_way(self):
        self.customer.retention_account_manager_id = self.outsider
        self.assertEqual(self.responsible(), self.salesperson)
        # ...but looks after the customer in the company it is allowed in
        self.assertEqual(self.responsible(self.company_b), self.outsider)

    def test_portal_user_never_looks_after_a_customer(self):
        self.customer.sudo().retention_account_manager_id = self.portal
        self.assertEqual(self.responsible(), self.salesperson)

    def test_fallback_reviewer_then_nobody(self):
        self.customer.write({"retention_account_manager_id": False, "user_id": False})
        self.assertEqual(self.responsible(), self.fallback)
        self.salesperson.active = False
        self.customer.write(
            {"retention_account_manager_id": self.outsider.id, "user_id": self.salesperson.id}
        )
        self.assertEqual(self.responsible(), self.fallback, "both before it are refused")
        self.fallback.active = False
        self.assertFalse(self.responsible())
        # the other company has no fallback reviewer: the outsider is allowed there
        self.assertEqual(self.responsible(self.company_b), self.outsider)

    def test_set_wise(self):
        others = self.env["res.partner"].create(
            [{"name": f"Customer {n}", "is_company": True} for n in range(20)]
        )
        others[:10].write({"user_id": self.both.id})
        customers = self.customer | others

        def queries(partners):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            found = partners._retention_responsible_users(self.company)
            return self.env.cr.sql_log_count - before, found

        few, _found = queries(self.customer | others[0] | others[10])  # the same users
        many, found = queries(customers)
        self.assertEqual(few, many, "the number of queries does not grow with the customers")
        self.assertEqual(found[self.customer.id], self.manager)
        self.assertEqual({found[p.id] for p in others[:10]}, {self.both})
        self.assertEqual({found[p.id] for p in others[10:]}, {self.fallback})

    def test_default_account_manager_is_an_allowed_salesperson(self):
        partner = self.env["res.partner"].create({"name": "Managed", "user_id": self.both.id})
        self.assertEqual(partner.retention_account_manager_id, self.both)
        self.salesperson.active = False
        partner = self.env["res.partner"].create(
            {"name": "Orphan", "user_id": self.salesperson.id}
        )
        self.assertFalse(partner.retention_account_manager_id, "an inactive user is not copied")

    def test_every_feature_asks_the_same_owner(self):
        """Reviews, follow-up activities, feedback requests and their detractor alerts go to
        the same user: here the salesperson, the account manager being inactive."""
        self.manager.active = False
        self.make_invoice(self.customer, "2026-06-10", 500)
        review = self.env["retention.review"].create(
            {"partner_id": self.customer.id, "company_id": self.company.id}
        )
        self.assertEqual(review.user_id, self.salesperson)
        self.env["retention.followup.rule"].search([]).active = False
        rule = self.env["retention.followup.rule"].create(
            {
                "name": "Welcome",
                "trigger": "first_invoice",
                "date_from": "2026-01-01",
                "action_ids": [
                    Command.create(
                        {
                            "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                            "summary": "Welcome call",
                            "assignee": "account_manager",
                        }
                    )
                ],
            }
        )
        rule._run()
        welcome = self.customer.activity_ids.filtered(lambda a: a.summary == "Welcome call")
        self.assertEqual(welcome.user_id, self.salesperson)
        feedback = self.env["retention.feedback"]._request(self.customer, kind="nps")
        self.assertEqual(feedback.user_id, self.salesperson)
        feedback._answer(2)
        self.assertEqual(feedback.alert_activity_id.user_id, self.salesperson)

    def test_named_assignee_must_be_allowed_in_the_rule_company(self):
        self.env["retention.followup.rule"].search([]).active = False
        rule = self.env["retention.followup.rule"].create(
            {
                "name": "Named",
                "trigger": "first_invoice",
                "date_from": "2026-01-01",
                "action_ids": [
                    Command.create(
                        {
                            "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                            "summary": "Named call",
                            "assignee": "user",
                            "user_id": self.outsider.id,
                        }
                    )
                ],
            }
        )
        self.make_invoice(self.customer, "2026-06-10", 500)
        rule._run()
        log = self.env["retention.followup.log"].search([("rule_id", "=", rule.id)])
        self.assertEqual(log.state, "failed")
        self.assertIn("not an active internal user of", log.error)
