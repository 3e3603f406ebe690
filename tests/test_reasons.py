"""Reasons in words: which factor costs the most points, what its facts say, what moved."""

from odoo.tests import BaseCase, TransactionCase, tagged

from odoo.addons.customer_retention.engine import health, reasons
from odoo.addons.customer_retention.engine.health import (
    DEFAULT_WEIGHTS,
    CustomerFacts,
    ProjectFacts,
)
from odoo.addons.customer_retention.models.profile.retention_reason_text import (
    factor_change_text,
    reason_text,
    rhythm_text,
)

from .test_health_engine import RULES, TODAY, days_ago


def customer(first, last, dates, contact, **money):
    """A customer invoiced on ``dates`` distinct days between ``first`` and ``last`` days ago,
    last contacted ``contact`` days ago."""
    return CustomerFacts(
        first_invoice_date=days_ago(first),
        last_invoice_date=days_ago(last),
        invoice_date_count=dates,
        last_contact_date=days_ago(contact),
        **money,
    )


def main_reason(facts):
    evaluation = health.evaluate(facts, DEFAULT_WEIGHTS, RULES, TODAY)
    return reasons.main_reason(evaluation.factors, facts, RULES, TODAY)


@tagged("post_install", "-at_install")
class TestReasonEngine(BaseCase):
    def test_silent_customer_names_the_contact_gap(self):
        # bought monthly, last invoice 10 days ago, nobody talked to them for 150 days:
        # engagement is the only factor below full marks
        facts = customer(370, 10, 13, 150)
        self.assertEqual(main_reason(facts), ("engagement", "no_contact", {"days": 150}))

    def test_overdue_invoice_outweighs_a_short_silence(self):
        facts = customer(
            400,
            20,
            10,
            40,
            revenue_12m=10000,
            invoice_count_12m=8,
            overdue_amount=6000,
            overdue_days=45,
        )
        self.assertEqual(main_reason(facts), ("payment", "invoice_overdue", {"days": 45}))

    def test_late_buyer_names_the_rhythm(self):
        # every ~90 days, nothing for 200 days
        facts = customer(650, 200, 6, 5)
        self.assertEqual(main_reason(facts), ("recency", "no_invoice", {"days": 200, "rhythm": 90}))

    def test_healthy_customer_has_no_reason(self):
        facts = customer(300, 5, 10, 3)
        self.assertIsNone(main_reason(facts))

    def test_mild_factor_is_no_reason(self):
        # full marks but for a latest feedback of 90/100: it costs points, but it is no risk
        facts = customer(300, 5, 10, 3, satisfaction=90)
        evaluation = health.evaluate(facts, DEFAULT_WEIGHTS, RULES, TODAY)
        satisfaction = next(f for f in evaluation.factors if f.name == "satisfaction")
        self.assertGreaterEqual(reasons.lost_points(satisfaction), reasons.MIN_LOST_POINTS)
        self.assertIsNone(main_reason(facts))
        # a bad answer is one
        facts = customer(300, 5, 10, 3, satisfaction=40)
        self.assertEqual(main_reason(facts), ("satisfaction", "low_feedback", {"score": 40}))
        # a mild factor costing more gives way to a real one costing less
        facts = customer(300, 5, 10, 100, satisfaction=75)
        self.assertEqual(main_reason(facts)[:2], ("engagement", "no_contact"))

    def test_delivery_reason_names_the_worst_project(self):
        facts = CustomerFacts(
            open_projects=(
                ProjectFacts(status="on_track", days_since_update=3),
                ProjectFacts(status="off_track", days_since_update=3),
            )
        )
        self.assertEqual(
            reasons.factor_reason("delivery", facts, RULES, TODAY), ("project_off_track", {})
        )
        stale = CustomerFacts(
            open_projects=(ProjectFacts(status="on_track", days_since_update=70),)
        )
        self.assertEqual(
            reasons.factor_reason("delivery", stale, RULES, TODAY),
            ("project_status_stale", {"days": 70}),
        )
        late = CustomerFacts(open_projects=(ProjectFacts(open_task_count=4, overdue_task_count=3),))
        self.assertEqual(
            reasons.factor_reason("delivery", late, RULES, TODAY), ("tasks_overdue", {"count": 3})
        )

    def test_trend_and_feedback_reasons(self):
        facts = CustomerFacts(revenue_12m=600, revenue_prev_12m=1000, satisfaction=20)
        self.assertEqual(
            reasons.factor_reason("trend", facts, RULES, TODAY), ("revenue_down", {"percent": 40})
        )
        self.assertEqual(
            reasons.factor_reason("satisfaction", facts, RULES, TODAY),
            ("low_feedback", {"score": 20}),
        )

    def test_moved_factors_largest_first(self):
        before = {"payment": 20.0, "engagement": 15.0, "recency": 25.0}
        after = {"payment": 8.0, "engagement": 7.2, "recency": 25.3, "delivery": 4.0}
        self.assertEqual(
            reasons.moved_factors(before, after),
            [("payment", -12), ("engagement", -8), ("delivery", 4)],
        )
        self.assertEqual(reasons.moved_factors(before, before), [])


@tagged("post_install", "-at_install")
class TestReasonText(TransactionCase):
    def test_every_code_has_words(self):
        codes = {
            "no_invoice": {"days": 200, "rhythm": 90},
            "revenue_down": {"percent": 40},
            "invoice_overdue": {"days": 45},
            "credit_notes": {"count": 2},
            "no_contact": {"days": 75},
            "low_feedback": {"score": 20},
            "project_off_track": {},
            "project_at_risk": {},
            "project_on_hold": {},
            "project_status_stale": {"days": 70},
            "tasks_overdue": {"count": 3},
        }
        for code, params in codes.items():
            text = reason_text(self.env, code, params)
            self.assertTrue(text, code)
            for value in params.values():
                self.assertIn(str(value), text, code)
        self.assertEqual(
            reason_text(self.env, "no_contact", {"days": 75}), "no contact for 75 days"
        )
        self.assertEqual(reason_text(self.env, "unknown", {}), "")

    def test_rhythm_in_words(self):
        self.assertEqual(
            rhythm_text(self.env, 92, 151), "buys every ~3 months, last invoice 5 months ago"
        )
        self.assertEqual(
            rhythm_text(self.env, 31, 40), "buys every ~31 days, last invoice 40 days ago"
        )

    def test_change_line(self):
        self.assertEqual(
            factor_change_text(self.env, "payment", -12, ("invoice_overdue", {"days": 45})),
            "Payment behaviour -12: invoice 45 days overdue",
        )
        self.assertEqual(factor_change_text(self.env, "engagement", 8), "Engagement +8")

    def test_words_in_georgian(self):
        self.env["res.lang"]._activate_lang("ka_GE")
        self.env["ir.module.module"]._load_module_terms(["customer_retention"], ["ka_GE"])
        env_ka = self.env(context=dict(self.env.context, lang="ka_GE"))
        text = reason_text(env_ka, "no_contact", {"days": 75})
        self.assertIn("75", text)
        self.assertNotEqual(text, "no contact for 75 days")
