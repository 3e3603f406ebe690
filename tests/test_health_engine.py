"""The pure scoring and stage functions, checked against hand-computed values."""

from datetime import date, timedelta

from odoo.tests import BaseCase, tagged

from odoo.addons.customer_retention.engine import health
from odoo.addons.customer_retention.engine.health import (
    DEFAULT_WEIGHTS,
    CustomerFacts,
    ProjectFacts,
    StageRules,
)

TODAY = date(2026, 6, 15)
RULES = StageRules()


def days_ago(n):
    return TODAY - timedelta(days=n)


@tagged("post_install", "-at_install")
class TestFactors(BaseCase):
    def test_buying_rhythm(self):
        # 5 invoice dates over 360 days: 4 gaps of 90 days
        self.assertEqual(health.buying_rhythm_days(days_ago(360), days_ago(0), 5), 90)
        # a single invoice: the default rhythm
        self.assertEqual(health.buying_rhythm_days(days_ago(10), days_ago(10), 1), 90)
        # monthly or faster buyers are held to at least 30 days
        self.assertEqual(health.buying_rhythm_days(days_ago(20), days_ago(0), 11), 30)

    def test_recency_against_own_rhythm(self):
        # rhythm 30 days: full marks up to 30 days, zero at 90, linear between
        self.assertEqual(health.recency_score(30, 30, 365), 100)
        self.assertEqual(health.recency_score(60, 30, 365), 50)
        self.assertEqual(health.recency_score(90, 30, 365), 0)
        # a yearly buyer 200 days after the last invoice is still fine
        self.assertEqual(health.recency_score(200, 365, 365), 100)
        # zero at the churn window at the latest
        self.assertEqual(health.recency_score(365, 365, 365), 0)
        self.assertIsNone(health.recency_score(None, 30, 365))

    def test_trend(self):
        self.assertEqual(health.trend_score(1200, 1000), 100)
        self.assertEqual(health.trend_score(800, 1000), 80)
        self.assertEqual(health.trend_score(-50, 1000), 0)
        # no revenue in the year before: no trend yet, left out
        self.assertIsNone(health.trend_score(500, 0))

    def test_payment(self):
        self.assertEqual(health.payment_score(0, 0, 1000, 4, 0, True), 100)
        # 45 days overdue: 25 points; 250 of 1000 revenue overdue: 7.5 points
        self.assertEqual(health.payment_score(250, 45, 1000, 4, 0, True), 68)
        # age penalty capped at 50, amount penalty at 30
        self.assertEqual(health.payment_score(5000, 400, 1000, 4, 0, True), 20)
        # one credit note for four invoices: 10 points
        self.assertEqual(health.payment_score(0, 0, 1000, 4, 1, True), 90)
        self.assertIsNone(health.payment_score(0, 0, 0, 0, 0, False))

    def test_engagement(self):
        self.assertEqual(health.engagement_score(0, RULES), 100)
        self.assertEqual(health.engagement_score(30, RULES), 100)
        self.assertEqual(health.engagement_score(105, RULES), 50)
        self.assertEqual(health.engagement_score(180, RULES), 0)
        self.assertIsNone(health.engagement_score(None, RULES))

    def test_delivery(self):
        on_track = ProjectFacts(status="on_track", days_since_update=5)
        stale_at_risk = ProjectFacts(status="at_risk", days_since_update=45)
        late_tasks = ProjectFacts(
            status="on_track", days_since_update=2, open_task_count=4, overdue_task_count=2
        )
        self.assertEqual(health.project_delivery_score(on_track), 100)
        self.assertEqual(health.project_delivery_score(stale_at_risk), 30)
        self.assertEqual(health.project_delivery_score(late_tasks), 75)
        self.assertEqual(
            health.project_delivery_score(ProjectFacts(status="off_track", days_since_update=90)), 0
        )
        self.assertIsNone(health.project_delivery_score(ProjectFacts()))
        self.assertEqual(health.delivery_score((on_track, stale_at_risk, ProjectFacts())), 65)
        self.assertIsNone(health.delivery_score(()))


@tagged("post_install", "-at_install")
class TestCombine(BaseCase):
    def test_weighted_mean(self):
        scores = {
            "recency": 100,
            "trend": 50,
            "payment": 80,
            "engagement": 0,
            "satisfaction": 100,
            "delivery": 40,
        }
        score, factors = health.combine(scores, DEFAULT_WEIGHTS)
        # (25*100 + 15*50 + 20*80 + 15*0 + 15*100 + 10*40) / 100 = 67.5 -> 68
        self.assertEqual(score, 68)
        shares = {f.name: f.share for f in factors}
        self.assertAlmostEqual(shares["recency"], 25.0)
        self.assertAlmostEqual(sum(f.points for f in factors), 67.5)

    def test_missing_factor_is_reweighted_not_zero(self):
        scores = {
            "recency": 100,
            "trend": None,
            "payment": 50,
            "engagement": None,
            "satisfaction": None,
            "delivery": None,
        }
        score, factors = health.combine(scores, DEFAULT_WEIGHTS)
        # only recency (25) and payment (20): (2500 + 1000) / 45 = 77.8
        self.assertEqual(score, 78)
        by_name = {f.name: f for f in factors}
        self.assertEqual(by_name["trend"].share, 0.0)
        self.assertAlmostEqual(by_name["recency"].share, 100 * 25 / 45)

    def test_zero_weight_leaves_factor_out(self):
        weights = dict(DEFAULT_WEIGHTS, payment=0)
        score, _factors = health.combine({"recency": 100, "payment": 0}, weights)
        self.assertEqual(score, 100)

    def test_nothing_applies(self):
        score, _factors = health.combine(dict.fromkeys(health.FACTORS), DEFAULT_WEIGHTS)
        self.assertIsNone(score)


@tagged("post_install", "-at_install")
class TestStages(BaseCase):
    def stage(self, health_score=80, **facts):
        return health.retention_stage(CustomerFacts(**facts), health_score, RULES, TODAY)

    def test_prospect(self):
        self.assertEqual(self.stage(), "prospect")

    def test_churn_boundary(self):
        first = days_ago(900)
        self.assertEqual(
            self.stage(first_invoice_date=first, last_invoice_date=days_ago(365)), "active"
        )
        self.assertEqual(
            self.stage(first_invoice_date=first, last_invoice_date=days_ago(366)), "churned"
        )
        # churned wins over at risk
        self.assertEqual(
            self.stage(10, first_invoice_date=first, last_invoice_date=days_ago(400)), "churned"
        )

    def test_marked_lost_until_invoiced_again(self):
        kwargs = {"first_invoice_date": days_ago(500), "last_invoice_date": days_ago(40)}
        self.assertEqual(self.stage(lost_date=days_ago(10), **kwargs), "churned")
        self.assertEqual(self.stage(lost_date=days_ago(60), **kwargs), "active")

    def test_at_risk_threshold(self):
        kwargs = {"first_invoice_date": days_ago(500), "last_invoice_date": days_ago(10)}
        self.assertEqual(self.stage(50, **kwargs), "active")
        self.assertEqual(self.stage(49, **kwargs), "at_risk")

    def test_won_back_window(self):
        kwargs = {"first_invoice_date": days_ago(900), "last_invoice_date": days_ago(5)}
        self.assertEqual(self.stage(last_winback_date=days_ago(180), **kwargs), "won_back")
        self.assertEqual(self.stage(last_winback_date=days_ago(181), **kwargs), "active")
        # a won-back customer whose health is low is at risk first
        self.assertEqual(self.stage(30, last_winback_date=days_ago(10), **kwargs), "at_risk")

    def test_new_boundary(self):
        self.assertEqual(
            self.stage(first_invoice_date=days_ago(90), last_invoice_date=days_ago(90)), "new"
        )
        self.assertEqual(
            self.stage(first_invoice_date=days_ago(91), last_invoice_date=days_ago(1)), "active"
        )

    def test_configured_rules(self):
        rules = StageRules(churn_days=180, at_risk_threshold=70, onboarding_days=30)
        facts = CustomerFacts(first_invoice_date=days_ago(400), last_invoice_date=days_ago(200))
        self.assertEqual(health.retention_stage(facts, 90, rules, TODAY), "churned")
        facts = CustomerFacts(first_invoice_date=days_ago(400), last_invoice_date=days_ago(20))
        self.assertEqual(health.retention_stage(facts, 65, rules, TODAY), "at_risk")


@tagged("post_install", "-at_install")
class TestEvaluate(BaseCase):
    def test_evaluate_customer(self):
        facts = CustomerFacts(
            first_invoice_date=days_ago(720),
            last_invoice_date=days_ago(20),
            invoice_date_count=13,  # rhythm 700/12 = 58 days -> recency 100
            revenue_12m=9000,
            revenue_prev_12m=10000,  # trend 90
            invoice_count_12m=6,
            overdue_amount=0,
            last_contact_date=days_ago(105),  # engagement 50
        )
        result = health.evaluate(facts, DEFAULT_WEIGHTS, RULES, TODAY)
        # recency 25*100 + trend 15*90 + payment 20*100 + engagement 15*50 over weight 75
        self.assertEqual(result.health, round((2500 + 1350 + 2000 + 750) / 75))
        self.assertEqual(result.stage, "active")
