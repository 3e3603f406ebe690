"""Properties of the pure health engine, checked on generated customers (hypothesis).

Hand-computed cases live in test_health_engine.py; here the engine must keep its promises
on any facts: a score in 0-100, more overdue never helps, a more recent purchase never hurts.
Runs are derandomized so CI sees the same examples every time.
"""

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.tests import BaseCase, tagged

from odoo.addons.customer_retention.engine import health
from odoo.addons.customer_retention.engine.health import FACTORS, CustomerFacts, ProjectFacts

TODAY = date(2026, 6, 15)
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, database=None)

amounts = st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False)
# net revenue can be negative (credit notes larger than invoices)
revenues = st.floats(min_value=-1e6, max_value=1e7, allow_nan=False, allow_infinity=False)
days_back = st.integers(min_value=0, max_value=3000)

projects = st.builds(
    ProjectFacts,
    status=st.sampled_from([None, *health.PROJECT_STATUS_SCORES]),
    days_since_update=st.one_of(st.none(), st.integers(0, 400)),
    open_task_count=st.integers(0, 50),
    overdue_task_count=st.integers(0, 50),
).filter(lambda p: p.overdue_task_count <= p.open_task_count)

weights = st.fixed_dictionaries({name: st.integers(0, 100) for name in FACTORS})

rules = st.builds(
    health.StageRules,
    churn_days=st.integers(60, 1000),
    at_risk_threshold=st.integers(0, 100),
    won_back_days=st.integers(1, 720),
    onboarding_days=st.integers(1, 365),
    engagement_full_days=st.integers(1, 90),
).flatmap(
    lambda r: st.integers(r.engagement_full_days + 1, 720).map(
        lambda zero: replace(r, engagement_zero_days=zero)
    )
)


@st.composite
def customers(draw):
    """A customer with invoices: first <= last <= today, consistent counts."""
    last_back = draw(days_back)
    first_back = last_back + draw(st.integers(0, 2000))
    count = draw(st.integers(1, 60))
    invoices_12m = draw(st.integers(0, 60))
    return CustomerFacts(
        first_invoice_date=TODAY - timedelta(days=first_back),
        last_invoice_date=TODAY - timedelta(days=last_back),
        invoice_date_count=count if first_back > last_back else 1,
        revenue_12m=draw(revenues),
        revenue_prev_12m=draw(revenues),
        invoice_count_12m=invoices_12m,
        credit_note_count_12m=draw(st.integers(0, 60)),
        overdue_amount=draw(amounts),
        overdue_days=draw(st.integers(0, 1000)),
        last_contact_date=draw(st.one_of(st.none(), days_back.map(lambda d: TODAY - timedelta(d)))),
        satisfaction=draw(st.one_of(st.none(), st.integers(0, 100))),
        open_projects=tuple(draw(st.lists(projects, max_size=4))),
    )


def health_of(facts, weight, rule):
    return health.evaluate(facts, weight, rule, TODAY).health


@tagged("post_install", "-at_install")
class TestHealthProperties(BaseCase):
    @PROPERTY_SETTINGS
    @given(customers(), weights, rules)
    def test_scores_stay_between_0_and_100(self, facts, weight, rule):
        evaluation = health.evaluate(facts, weight, rule, TODAY)
        self.assertTrue(0 <= evaluation.health <= 100, evaluation)
        for factor in evaluation.factors:
            if factor.score is not None:
                self.assertTrue(0 <= factor.score <= 100, factor)
        shares = sum(f.share for f in evaluation.factors)
        self.assertTrue(shares == 0 or abs(shares - 100) < 1e-6, shares)

    @PROPERTY_SETTINGS
    @given(customers(), weights, rules, amounts, st.integers(0, 1000))
    def test_more_overdue_never_raises_health(self, facts, weight, rule, extra, extra_days):
        worse = replace(
            facts,
            overdue_amount=facts.overdue_amount + extra,
            overdue_days=facts.overdue_days + extra_days,
        )
        self.assertLessEqual(health_of(worse, weight, rule), health_of(facts, weight, rule))

    @PROPERTY_SETTINGS
    @given(customers(), weights, rules, st.integers(1, 2000))
    def test_more_recent_purchase_never_lowers_health(self, facts, weight, rule, sooner):
        """The same history with its last invoice moved closer to today (a purchase made
        more recently): recency can only improve, the rest is unchanged."""
        days_since = (TODAY - facts.last_invoice_date).days
        recent = replace(
            facts, last_invoice_date=facts.last_invoice_date + timedelta(min(sooner, days_since))
        )
        self.assertGreaterEqual(health_of(recent, weight, rule), health_of(facts, weight, rule))

    @PROPERTY_SETTINGS
    @given(customers(), weights, rules, st.integers(0, 100))
    def test_better_feedback_never_lowers_health(self, facts, weight, rule, better):
        low, high = sorted([facts.satisfaction or 0, better])
        self.assertLessEqual(
            health_of(replace(facts, satisfaction=low), weight, rule),
            health_of(replace(facts, satisfaction=high), weight, rule),
        )

    @PROPERTY_SETTINGS
    @given(customers(), rules)
    def test_stage_is_always_one_of_the_stages(self, facts, rule):
        evaluation = health.evaluate(facts, health.DEFAULT_WEIGHTS, rule, TODAY)
        self.assertIn(evaluation.stage, {"new", "active", "at_risk", "churned", "won_back"})
