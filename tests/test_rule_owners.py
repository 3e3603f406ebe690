"""Business rules with one owner, each held once against every place that uses it.

- who looks after a customer: res.partner._retention_responsible_users, used by reviews,
  follow-up activities, feedback requests and their detractor alerts;
- the satisfaction scale: engine.feedback.satisfaction_steps, and the SQL generated from it;
- the revenue trend: engine.metrics.revenue_trend (on engine.metrics.trend), as the builder
  writes it;
"""

from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from ..engine import feedback, metrics
from ..models.profile.retention_profile_builder import satisfaction_sql
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
        partner = self.env["res.partner"].create({"name": "Orphan", "user_id": self.salesperson.id})
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


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestSatisfactionScale(RetentionCase):
    def test_sql_is_the_engine_scale(self):
        """Every score of every scale, by the SQL the builder runs and by the engine."""
        for kind, (low, high) in feedback.SATISFACTION_SCALES.items():
            for score in range(low, high + 1):
                self.env.cr.execute(SQL("SELECT %s", satisfaction_sql(kind, SQL("%s", score))))
                self.assertEqual(
                    self.env.cr.fetchone()[0], feedback.satisfaction_of(kind, score), kind
                )
        answers = [(kind, score) for kind in feedback.SCALES for score in range(11)]
        self.env.cr.execute(
            SQL(
                "SELECT f.kind, f.score, %s FROM (VALUES %s) AS f(kind, score)",
                satisfaction_sql(SQL("f.kind"), SQL("f.score")),
                SQL(", ").join(SQL("(%s, %s)", kind, score) for kind, score in answers),
            )
        )
        for kind, score, value in self.env.cr.fetchall():
            if feedback.is_valid_score(kind, score):
                self.assertEqual(value, feedback.satisfaction_of(kind, score), (kind, score))
        self.assertEqual(feedback.satisfaction_steps(feedback.NPS), (0, 10))
        self.assertEqual(feedback.satisfaction_steps(feedback.CSAT), (1, 25))
        self.assertEqual(feedback.satisfaction_of(feedback.RATING, 3), 50)
        self.assertIsNone(feedback.satisfaction_of(feedback.RATING, 0))

    def test_builder_reads_answers_and_ratings_on_that_scale(self):
        self.make_invoice(self.customer, "2026-05-01", 100)
        request = self.env["retention.feedback"]._request(self.customer, kind="nps")
        request._answer(0)  # an NPS of 0: satisfaction 0, not "no data"
        self.recompute()
        factors = self.customer.with_company(self.company).retention_health_factors
        self.assertIn('"satisfaction": {"score": 0,', factors)
        with freeze_time("2026-06-15 10:00:00"):  # a newer CSAT answer
            self.env["retention.feedback"]._request(self.customer, kind="csat")._answer(4)
            self.recompute()
        factors = self.customer.with_company(self.company).retention_health_factors
        self.assertIn(f'"satisfaction": {{"score": {feedback.satisfaction_of("csat", 4)},', factors)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestRevenueTrend(RetentionCase):
    def test_five_percent_band(self):
        cases = {
            (1051, 1000): "up",
            (1050, 1000): "steady",
            (950, 1000): "steady",
            (949, 1000): "down",
            (10, 0): "up",  # revenue again after a year without
            (0, 10): "down",
            (-5, 100): "down",
            (0, 0): None,  # no revenue in either year: no trend
            (-5, -10): None,
        }
        for (now, before), expected in cases.items():
            self.assertEqual(metrics.revenue_trend(now, before), expected, (now, before))
        # the same comparison as the dashboard's arrows, with a relative band
        self.assertEqual(metrics.trend(1051, 1000, 0.05, relative=True), "up")
        self.assertEqual(metrics.trend(1051, 1000, 0.05), "up")
        self.assertEqual(metrics.trend(1000.04, 1000, 0.05), "steady")

    def test_builder_writes_the_engine_trend(self):
        today = fields.Date.to_date(TODAY)
        customers = self.env["res.partner"].create(
            [{"name": f"Trend {n}", "is_company": True} for n in range(3)]
        )
        for customer, now in zip(customers, (1040, 1100, 500), strict=True):
            self.make_invoice(customer, "2025-01-10", 1000)  # the 12 months before
            self.make_invoice(customer, str(today.replace(month=3)), now)
        self.recompute(customers)
        for customer in customers.with_company(self.company):
            self.assertEqual(
                customer.retention_revenue_trend,
                metrics.revenue_trend(
                    customer.retention_revenue_12m, customer.retention_revenue_prev_12m
                ),
            )
        self.assertEqual(
            customers.with_company(self.company).mapped("retention_revenue_trend"),
            ["steady", "up", "down"],
        )
