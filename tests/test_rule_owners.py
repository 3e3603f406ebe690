"""Business rules with one owner, each held once against every place that uses it.

- who looks after a customer: res.partner._retention_responsible_users, used by reviews,
  follow-up activities, feedback requests and their detractor alerts;
- the satisfaction scale: engine.feedback.satisfaction_steps, and the SQL generated from it;
- the revenue trend: engine.metrics.revenue_trend (on engine.metrics.trend), as the builder
  writes it;
- the stage rules: engine.health.retention_stage, and the one SQL of them
  (models/profile/res_company.retention_stage_sql) the monthly snapshots use, on the same
  facts and on the same invoices;
- a customer's first invoice: account.move._retention_customer_moves, read by the invoice
  flags, the follow-up trigger, the profile builder and the snapshots;
- the follow-up triggers: one table (retention.followup.rule._trigger_table), rows added by
  the reviews and feedback features from their folders.
"""

from datetime import date, timedelta
from pathlib import Path

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from ..engine import feedback, health, metrics
from ..engine.health import CustomerFacts, StageRules
from ..models.profile.res_company import retention_stage_sql
from ..models.profile.retention_profile_builder import satisfaction_sql
from .common import TODAY, RetentionCase, load_source


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestResponsibleUser(RetentionCase):
    """Account manager, else salesperson, else the company's fallback reviewer: the first
    that is an active internal user allowed in the company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.add_groups("customer_retention.group_retention_manager")
        cls.company_b = cls.add_other_company("Rustavi Branch")

        def user(login, companies=None):
            groups = "customer_retention.group_retention_user"
            return cls.new_company_user(login, groups, companies)

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


# ----------------------------------------------------------------------------------------
# Stage rules: the SQL against the engine
# ----------------------------------------------------------------------------------------
AS_OF = date(2026, 6, 30)


def engine_stage(rules, as_of, first, last, winback, lost, score):
    facts = CustomerFacts(
        first_invoice_date=first, last_invoice_date=last, last_winback_date=winback, lost_date=lost
    )
    return health.retention_stage(facts, score, rules, as_of)


@st.composite
def stage_facts(draw):
    """(as_of, first, last, win-back, lost, health) as a customer's history gives them:
    first <= win-back <= last <= as_of, a loss at any time."""
    if draw(st.integers(0, 20)) == 0:
        return (AS_OF, None, None, None, None, draw(st.one_of(st.none(), st.integers(0, 100))))
    last = AS_OF - timedelta(days=draw(st.integers(0, 900)))
    first = last - timedelta(days=draw(st.integers(0, 900)))
    span = (last - first).days
    winback = draw(
        st.one_of(st.none(), st.integers(0, span).map(lambda d: first + timedelta(days=d)))
    )
    lost = draw(st.one_of(st.none(), st.integers(-900, 0).map(lambda d: AS_OF + timedelta(days=d))))
    score = draw(st.one_of(st.none(), st.integers(0, 100)))
    return (AS_OF, first, last, winback, lost, score)


stage_rules = st.builds(
    StageRules,
    churn_days=st.integers(1, 800),
    at_risk_threshold=st.integers(0, 100),
    won_back_days=st.integers(1, 800),
    onboarding_days=st.integers(1, 800),
)


@tagged("post_install", "-at_install")
class TestStageSql(TransactionCase):
    """retention_stage_sql gives engine.health.retention_stage on the same facts."""

    def sql_stages(self, rules, rows):
        values = SQL(", ").join(
            SQL("(%s, %s::date, %s::date, %s::date, %s::date, %s::date, %s::int)", n, *row)
            for n, row in enumerate(rows)
        )
        stage = retention_stage_sql(rules, "f")
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM (VALUES %s) "
                "AS f(n, as_of, first_invoice, last_invoice, winback, lost, health) ORDER BY f.n",
                stage,
                values,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def assertSameStages(self, rules, rows, expected=None):
        engine = [engine_stage(rules, *row) for row in rows]
        self.assertEqual(self.sql_stages(rules, rows), engine)
        if expected is not None:
            self.assertEqual(engine, expected)

    def test_hand_made_histories_and_edge_days(self):
        rules = StageRules()  # 365 / 50 / 180 / 90

        def ago(days):
            return AS_OF - timedelta(days=days)

        long_ago = ago(2000)
        cases = [
            # (first, last, win-back, lost, health) -> stage
            ((None, None, None, None, None), "prospect"),
            ((None, None, None, None, 10), "prospect"),
            ((ago(90), ago(90), None, None, 80), "new"),  # onboarding: 90 days still new
            ((ago(91), ago(91), None, None, 80), "active"),
            ((ago(0), ago(0), None, None, None), "new"),
            ((long_ago, ago(365), None, None, 80), "active"),  # churn window: 365 not churned
            ((long_ago, ago(366), None, None, 80), "churned"),
            ((long_ago, ago(366), None, None, 10), "churned"),  # churned before at risk
            ((long_ago, ago(10), None, None, 49), "at_risk"),  # threshold 50
            ((long_ago, ago(10), None, None, 50), "active"),
            ((long_ago, ago(10), None, None, None), "active"),  # no score: never at risk
            ((long_ago, ago(10), ago(180), None, 80), "won_back"),  # won back for 180 days
            ((long_ago, ago(10), ago(181), None, 80), "active"),
            ((long_ago, ago(10), ago(10), None, 10), "at_risk"),  # at risk before won back
            ((ago(30), ago(10), ago(20), None, 80), "won_back"),  # won back before new
            ((long_ago, ago(40), None, ago(40), 80), "churned"),  # lost, not invoiced since
            ((long_ago, ago(40), None, ago(41), 80), "active"),  # invoiced after the loss
            ((ago(40), ago(40), None, ago(30), 80), "churned"),  # lost while new
        ]
        rows = [(AS_OF, *facts) for facts, _stage in cases]
        self.assertSameStages(rules, rows, [stage for _facts, stage in cases])
        # other windows move every edge with them
        short = StageRules(churn_days=60, won_back_days=45, onboarding_days=30)
        rows = [
            (AS_OF, ago(30), ago(30), None, None, None),
            (AS_OF, ago(31), ago(31), None, None, None),
            (AS_OF, long_ago, ago(60), None, None, None),
            (AS_OF, long_ago, ago(61), None, None, None),
            (AS_OF, long_ago, ago(5), ago(45), None, None),
            (AS_OF, long_ago, ago(5), ago(46), None, None),
        ]
        self.assertSameStages(
            short, rows, ["new", "active", "active", "churned", "won_back", "active"]
        )

    @settings(max_examples=200, deadline=None, derandomize=True, database=None)
    @given(stage_rules, st.lists(stage_facts(), min_size=1, max_size=30))
    def test_any_history(self, rules, rows):
        self.assertSameStages(rules, rows)


# ----------------------------------------------------------------------------------------
# Histories as the snapshots and the engine see them
# ----------------------------------------------------------------------------------------
def month_end(month):
    return month + relativedelta(months=1) - timedelta(days=1)


class InvoiceHistoryCase(RetentionCase):
    """Helpers reading a customer's posted invoices with the ORM, in Python, as a reference
    independent of the SQL under test."""

    def posted_invoices(self, partner, company=None):
        moves = self.env["account.move"].search(
            [
                ("commercial_partner_id", "=", partner.commercial_partner_id.id),
                ("company_id", "=", (company or self.company).id),
                ("state", "=", "posted"),
                ("move_type", "=", "out_invoice"),
            ]
        )
        return moves.sorted(lambda m: (m.invoice_date, m.id))

    def facts_as_of(self, partner, day, rules, company=None):
        """The stage facts of a customer on ``day``: its invoices up to then, its loss if
        recorded by then."""
        invoices = self.posted_invoices(partner, company).filtered(lambda m: m.invoice_date <= day)
        dates = invoices.mapped("invoice_date")
        winback = None
        for before, after in zip(dates, dates[1:], strict=False):
            if (after - before).days > rules.churn_days:
                winback = after
        lost = partner.with_company(company or self.company).sudo().retention_lost_date
        return CustomerFacts(
            first_invoice_date=dates[0] if dates else None,
            last_invoice_date=dates[-1] if dates else None,
            last_winback_date=winback,
            lost_date=lost if lost and lost <= day else None,
        )


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestSnapshotStages(InvoiceHistoryCase):
    """The stage of every snapshot month is the engine's stage as of the month's last day,
    with the company's day windows (short ones here, so that edges fall inside months)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id = [
            Command.link(cls.env.ref("customer_retention.group_retention_manager").id)
        ]
        cls.company.write(
            {
                "retention_churn_days": 60,
                "retention_won_back_days": 45,
                "retention_onboarding_days": 30,
                # these tests are about the day windows: with the health history filled, a
                # low past score would make a month "at risk" and hide the edge it tests
                "retention_at_risk_threshold": 0,
            }
        )
        Partner = cls.env["res.partner"]

        def customer(name, *days):
            partner = Partner.create({"name": name, "is_company": True})
            for day in days:
                cls.make_invoice(partner, day, 100)
            return partner

        cls.new = customer("New", "2026-05-01")  # May 31: 30 days, still new
        cls.new_edge = customer("New edge", "2026-04-30")  # May 31: 31 days, active
        cls.churn_edge = customer("Churn edge", "2026-01-30")  # Mar 31: 60 days, not churned
        cls.churned = customer("Churned", "2026-01-29")  # Mar 31: 61 days, churned
        cls.won_back = customer("Won back", "2025-10-01", "2026-01-14", "2026-03-01")
        cls.won_back_edge = customer("Won back edge", "2025-10-01", "2026-01-13")
        cls.steady = customer("Steady", "2025-09-10", "2025-10-10", "2025-11-10", "2025-12-10")
        cls.lost = customer("Lost", "2025-12-01", "2026-03-10")
        with freeze_time("2026-04-20"):  # a review marks it lost then; invoiced again later
            review = cls.env["retention.review"].create(
                {"partner_id": cls.lost.id, "company_id": cls.company.id}
            )
            review.write({"outcome": "lost", "lost_reason": "Went quiet"})
            review.action_complete()
        cls.make_invoice(cls.lost, "2026-05-20", 100)
        # a credit note only: never invoiced
        cls.refunded = Partner.create({"name": "Refund only", "is_company": True})
        cls.make_invoice(cls.refunded, "2026-02-02", 50, move_type="out_refund")
        cls.customers = (
            cls.new | cls.new_edge | cls.churn_edge | cls.churned | cls.won_back
            | cls.won_back_edge | cls.steady | cls.lost | cls.refunded
        )  # fmt: skip
        cls.env["retention.snapshot"]._backfill(cls.company)

    def stages(self, partner):
        rows = self.env["retention.snapshot"].search(
            [("company_id", "=", self.company.id), ("partner_id", "=", partner.id)]
        )
        return {row.month: row.stage for row in rows}

    def test_every_month_is_the_engine_stage(self):
        today = fields.Date.to_date(TODAY)
        current = today.replace(day=1)
        rules = self.company._retention_stage_rules()
        for partner in self.customers:
            stages = self.stages(partner)
            self.assertTrue(stages, partner.name)
            for month, stage in stages.items():
                live = partner.with_company(self.company).sudo().retention_stage
                if month == current and live:
                    self.assertEqual(stage, live, "the current month takes the live stage")
                    continue
                as_of = min(month_end(month), today)
                facts = self.facts_as_of(partner, as_of, rules)
                expected = health.retention_stage(facts, None, rules, as_of)
                self.assertEqual(stage, expected, f"{partner.name} {month}")

    def test_edges_by_hand(self):
        may, april, march, february = (date(2026, m, 1) for m in (5, 4, 3, 2))
        self.assertEqual(self.stages(self.new)[may], "new")
        self.assertEqual(self.stages(self.new_edge)[april], "new")
        self.assertEqual(self.stages(self.new_edge)[may], "active")
        self.assertEqual(self.stages(self.churn_edge)[march], "active")
        self.assertEqual(self.stages(self.churn_edge)[april], "churned")
        self.assertEqual(self.stages(self.churned)[march], "churned")
        self.assertEqual(self.stages(self.won_back)[february], "won_back")  # 45 days
        self.assertEqual(self.stages(self.won_back)[march], "active")
        self.assertEqual(self.stages(self.won_back_edge)[february], "active")  # 46 days
        self.assertEqual(self.stages(self.won_back_edge)[april], "churned")
        self.assertEqual(self.stages(self.steady)[date(2025, 12, 1)], "active")
        self.assertEqual(self.stages(self.steady)[date(2026, 2, 1)], "churned")
        lost = self.stages(self.lost)
        self.assertEqual(lost[march], "won_back")  # gap of 99 days: won back on March 10
        self.assertEqual(lost[april], "churned", "lost on April 20, not invoiced since")
        self.assertEqual(lost[may], "won_back", "invoiced again after the loss")
        self.assertEqual(set(self.stages(self.refunded).values()), {"prospect"})

    def test_upgrade_rebuilds_the_stages_of_every_month(self):
        """The 18.0.1.4.0 step marks every month with snapshots; the daily job then rebuilds
        the stages an older release derived from revenue (here: planted wrong ones)."""
        expected = {p: self.stages(p) for p in self.customers}
        # an older release's months: no health score, a stage derived from revenue
        self.env.cr.execute(
            "UPDATE retention_snapshot SET stage = 'active', health_score = NULL "
            "WHERE month < '2026-02-01'"
        )
        self.env["retention.snapshot"].invalidate_model()
        self.assertNotEqual({p: self.stages(p) for p in self.customers}, expected)
        path = (
            Path(__file__).resolve().parent.parent / "migrations/18.0.1.4.0/post-snapshot_stages.py"
        )
        step = load_source(path, "post_snapshot_stages_18_0_1_4_0")
        step.migrate(self.env.cr, "18.0.1.3.0")
        self.env["retention.snapshot.job"].invalidate_model()
        self.env.cr.execute(
            "SELECT COUNT(*) FROM retention_snapshot s WHERE NOT EXISTS (SELECT 1 FROM "
            "retention_snapshot_job j WHERE j.company_id = s.company_id AND j.month = s.month "
            "AND j.done_on IS NULL)"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0, "every month is due")
        self.env["retention.snapshot"]._cron_update_snapshots()
        self.assertEqual({p: self.stages(p) for p in self.customers}, expected)

    def test_rebuilding_a_month_gives_the_same_stage(self):
        before = {p: self.stages(p) for p in self.customers}
        self.env["retention.snapshot"]._rebuild(self.company, date(2026, 2, 1), date(2026, 4, 1))
        self.assertEqual({p: self.stages(p) for p in self.customers}, before)


# ----------------------------------------------------------------------------------------
# A customer's first invoice, read four ways
# ----------------------------------------------------------------------------------------
@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestFirstInvoice(InvoiceHistoryCase):
    """The invoice flags, the follow-up trigger, the builder's Customer Since and the
    snapshots' cohort name the same first invoice, on histories that could trip one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.add_groups("customer_retention.group_retention_manager")
        cls.company_b = cls.add_other_company("Poti Branch")
        Partner = cls.env["res.partner"]

        def customer(name):
            return Partner.create({"name": name, "is_company": True})

        cls.same_day = customer("Two the same day")
        cls.make_invoice(cls.same_day, "2026-03-10", 100)
        cls.make_invoice(cls.same_day, "2026-03-10", 200)
        cls.make_invoice(cls.same_day, "2026-04-10", 300)
        cls.refund_first = customer("Credit note first")
        cls.make_invoice(cls.refund_first, "2026-02-01", 80, move_type="out_refund")
        cls.make_invoice(cls.refund_first, "2026-03-05", 100)
        cls.cancelled_first = customer("Cancelled first")
        cancelled = cls.make_invoice(cls.cancelled_first, "2026-02-10", 100)
        cancelled.button_draft()
        cancelled.button_cancel()
        cls.make_invoice(cls.cancelled_first, "2026-03-12", 100)
        cls.make_invoice(cls.cancelled_first, "2026-02-20", 100, post=False)  # a draft
        cls.two_companies = customer("Two companies")
        cls.make_invoice(cls.two_companies, "2026-01-05", 100, company=cls.company_b)
        cls.make_invoice(cls.two_companies, "2026-04-01", 100)
        cls.make_invoice(cls.two_companies, "2026-05-01", 100, company=cls.company_b)
        # a contact invoiced first: the commercial partner's first invoice
        cls.person = Partner.create({"name": "Its contact", "parent_id": cls.same_day.id})
        cls.make_invoice(cls.person, "2026-03-10", 50)
        cls.customers = cls.same_day | cls.refund_first | cls.cancelled_first | cls.two_companies
        cls.companies = cls.company | cls.company_b

    def expected_firsts(self):
        """{(company, partner): first invoice} by the ORM, in Python."""
        firsts = {}
        for company in self.companies:
            for partner in self.customers:
                invoices = self.posted_invoices(partner, company)
                if invoices:
                    firsts[company, partner] = invoices[0]
        return firsts

    def test_the_four_agree(self):
        firsts = self.expected_firsts()
        self.assertEqual(len(firsts), 5)
        self.assertEqual(firsts[self.company, self.same_day].amount_untaxed, 100)
        self.assertEqual(firsts[self.company, self.refund_first].invoice_date, date(2026, 3, 5))
        self.assertEqual(firsts[self.company, self.cancelled_first].invoice_date, date(2026, 3, 12))
        Move = self.env["account.move"]
        moves = Move.search([("commercial_partner_id", "in", self.customers.ids)]).with_context(
            allowed_company_ids=self.companies.ids
        )
        first_ids = {move.id for move in firsts.values()}
        # 1. the invoice flags, computed and searched
        for move in moves:
            self.assertEqual(move.retention_is_first_invoice, move.id in first_ids, move.name)
            repeat = move.state == "posted" and move.move_type == "out_invoice"
            self.assertEqual(move.retention_is_repeat, repeat and move.id not in first_ids)
        domain = [("id", "in", moves.ids)]
        Moves = Move.with_context(allowed_company_ids=self.companies.ids)
        self.assertEqual(
            set(Moves.search(domain + [("retention_is_first_invoice", "=", True)]).ids),
            first_ids,
        )
        self.assertEqual(
            set(Moves.search(domain + [("retention_is_first_invoice", "!=", True)]).ids),
            set(moves.ids) - first_ids,
        )
        self.assertEqual(
            set(Moves.search(domain + [("retention_is_repeat", "=", True)]).ids),
            {m.id for m in moves if m.state == "posted" and m.move_type == "out_invoice"}
            - first_ids,
        )
        # 2. the follow-up trigger, in each company
        self.env["retention.followup.rule"].search([]).active = False
        for company in self.companies:
            rule = self.env["retention.followup.rule"].create(
                {
                    "name": "Welcome",
                    "trigger": "first_invoice",
                    "company_id": company.id,
                    "date_from": "2025-01-01",
                }
            )
            events = {
                row[1]: row[2]
                for row in rule._event_rows(fields.Date.to_date(TODAY))
                if row[1] in self.customers.ids
            }
            self.assertEqual(
                events,
                {
                    partner.id: f"invoice-{move.id}"
                    for (of, partner), move in firsts.items()
                    if of == company
                },
            )
        # 3. the builder's Customer Since
        self.recompute(self.customers)
        # 4. the snapshots' cohort and new flag
        Snapshot = self.env["retention.snapshot"]
        Snapshot._backfill(self.companies)
        for (company, partner), move in firsts.items():
            since = partner.with_company(company).retention_customer_since
            self.assertEqual(since, move.invoice_date, f"{partner.name} in {company.name}")
            rows = Snapshot.search(
                [("company_id", "=", company.id), ("partner_id", "=", partner.id)]
            )
            cohort = move.invoice_date.replace(day=1)
            self.assertEqual(set(rows.mapped("first_invoice_month")), {cohort}, partner.name)
            self.assertEqual(rows.filtered("is_new").mapped("month"), [cohort], partner.name)


# ----------------------------------------------------------------------------------------
# Follow-up triggers: one table
# ----------------------------------------------------------------------------------------
TRIGGER_KEYS = [
    "project_start",
    "project_no_update",
    "project_status",
    "project_closed",
    "first_invoice",
    "invoice_paid",
    "invoice_overdue",
    "no_contact",
    "stage_change",
    "health_drop",
    "renewal_partner",
    "renewal_project",
    "review_outcome",
    "feedback_answered",
    "detractor_resolved",
]


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestTriggerTable(TransactionCase):
    def test_everything_reads_the_table(self):
        Rule = self.env["retention.followup.rule"]
        table = Rule._trigger_table()
        selection = Rule._fields["trigger"].selection
        # the same keys, in the same order as before the table
        self.assertEqual([key for key, _label in selection], TRIGGER_KEYS)
        self.assertEqual(list(table), TRIGGER_KEYS)
        self.assertEqual(dict(selection), {key: row.label for key, row in table.items()})
        self.assertEqual(
            Rule._trigger_option_fields(),
            ["feedback_category", "project_status", "review_outcome", "target_stage"],
        )
        today = fields.Date.to_date(TODAY)
        for key, row in table.items():
            rule = Rule.new({"name": key, "trigger": key, "days": 7, "date_from": today})
            self.assertEqual(rule.record_model, row.model, key)
            self.assertTrue(callable(getattr(rule, row.events_method, None)), key)
            self.assertTrue(rule.summary.startswith("When "), key)
            self.assertNotIn("%(", rule.summary, key)
        days = {key for key, row in table.items() if row.days}
        self.assertEqual(
            days,
            {
                "project_no_update",
                "project_closed",
                "invoice_overdue",
                "no_contact",
                "renewal_partner",
                "renewal_project",
                "detractor_resolved",
            },
        )
        self.assertEqual(table["project_closed"].min_days, 0)

    def test_rows_drive_the_checks(self):
        Rule = self.env["retention.followup.rule"]
        values = {"name": "Check", "date_from": "2026-01-01"}
        # a trigger with days refuses 0 days unless its row allows it
        with self.assertRaises(ValidationError):
            Rule.create({**values, "trigger": "no_contact", "days": 0})
        Rule.create({**values, "trigger": "project_closed", "days": 0})
        Rule.create({**values, "trigger": "first_invoice", "days": 0})
        # the option of its row completes a trigger, whichever feature added the row
        for trigger, option in (
            ("project_status", "project_status"),
            ("stage_change", "target_stage"),
            ("review_outcome", "review_outcome"),
            ("feedback_answered", "feedback_category"),
        ):
            with self.assertRaises(ValidationError, msg=trigger):
                Rule.create({**values, "trigger": trigger, option: False})
