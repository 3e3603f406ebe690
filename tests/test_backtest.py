"""Score Check: retention.backtest on snapshot histories made by hand (rows inserted with SQL,
as the history builder writes them), the calibration's preview, apply and restore, and who may
do what.

Today is 2026-06-15: the last complete month is 2026-05. With a horizon of 3 months the last
month examined is 2026-02; with 3 months, the months examined are 2025-12, 2026-01, 2026-02.
"""

import json
import random
from unittest.mock import patch

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from ..engine import backtest, health
from ..engine.health import DEFAULT_WEIGHTS, FACTORS
from ..models.analytics.retention_backtest import _binned
from .common import TODAY, new_company_user

SCORE_COLUMNS = [f"{name}_score" for name in FACTORS]


def insert_snapshots(env, company, rows):
    """Snapshot rows: (partner, month, is_active, stage, health, {factor: score})."""
    values = [
        SQL(
            "(%s, %s, %s, %s, %s, %s, " + ", ".join(["%s"] * len(FACTORS)) + ")",
            company.id,
            partner.id,
            month,
            is_active,
            stage,
            health_score,
            *(scores.get(name) for name in FACTORS),
        )
        for partner, month, is_active, stage, health_score, scores in rows
    ]
    env.cr.execute(
        SQL(
            "INSERT INTO retention_snapshot (company_id, partner_id, month, is_active, stage, "
            "health_score, %s) VALUES %s",
            SQL(", ").join(SQL.identifier(column) for column in SCORE_COLUMNS),
            SQL(", ").join(values),
        )
    )
    env["retention.snapshot"].invalidate_model()


def make_signal_history(env, company, last_month, count=360, seed=5, prefix="Signal"):
    """``count`` customers, each active in one of the 6 months up to ``last_month`` with random
    recency and engagement scores (payment 80): those with an engagement below 40 churn the
    month after (10% of outcomes flipped). The health stored is the default weights'. A score
    that weighs engagement more ranks them better: calibration has something real to find."""
    rng = random.Random(seed)
    partners = env["res.partner"].create(
        [{"name": f"{prefix} Customer {index:03d}", "is_company": True} for index in range(count)]
    )
    rows = []
    for index, partner in enumerate(partners):
        month = last_month - relativedelta(months=index % 6)
        scores = {
            "recency": rng.randrange(0, 101, 5),
            "payment": 80,
            "engagement": rng.randrange(0, 101, 5),
        }
        full = {name: scores.get(name) for name in FACTORS}
        health_score = health.combine(full, DEFAULT_WEIGHTS)[0]
        rows.append((partner, month, True, "active", health_score, scores))
        if (scores["engagement"] < 40) != (rng.random() < 0.1):
            rows.append((partner, month + relativedelta(months=1), False, "churned", None, {}))
    insert_snapshots(env, company, rows)
    return partners


class BacktestCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Backtest = cls.env["retention.backtest"]
        cls.company = cls.env.company
        cls.company.write({f"retention_weight_{name}": DEFAULT_WEIGHTS[name] for name in FACTORS})
        cls.company_b = cls.env["res.company"].create({"name": "Backtest Branch B"})

        def user(login, groups, companies=None):
            return new_company_user(cls.env, login, groups, companies or cls.company)

        cls.retention_user = user("bt_user", "customer_retention.group_retention_user")
        cls.manager_a = user("bt_manager_a", "customer_retention.group_retention_manager")
        cls.admin = user("bt_admin", "base.group_system,customer_retention.group_retention_user")
        cls.employee = user("bt_employee", "base.group_user")
        cls.portal = user("bt_portal", "base.group_portal")


class ByHandCase(BacktestCase):
    """The history of the engine test (tests/test_backtest_engine.py), as snapshot rows."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        names = ["Churner", "Steady", "Late Churner", "Half Scored", "Unscored", "Branch", "Old"]
        cls.p1, cls.p2, cls.p3, cls.p4, cls.p5, cls.p6, cls.p7 = (
            Partner.create({"name": f"Backtest {name}", "is_company": True}) for name in names
        )
        gone = Partner.create({"name": "Backtest Deleted", "is_company": True})

        def active(partner, month, score, **scores):
            return (partner, month, True, "active", score, scores)

        def churned(partner, month):
            return (partner, month, False, "churned", None, {})

        dec, jan, feb, mar, apr, may = (
            f"{month}-01"
            for month in ("2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05")
        )
        rows = [
            # churns in March: churned within 3 months of December, January and February
            active(cls.p1, dec, 20, recency=20, engagement=30),
            active(cls.p1, jan, 20, recency=20, engagement=30),
            active(cls.p1, feb, 10, recency=10, engagement=30),
            churned(cls.p1, mar),
            # never churns (its March row is after the months examined)
            active(cls.p2, dec, 80, recency=80, engagement=90),
            active(cls.p2, jan, 80, recency=80, engagement=90),
            active(cls.p2, feb, 80, recency=80, engagement=90),
            active(cls.p2, mar, 80, recency=80, engagement=90),
            # churns in May: only February's row is within 3 months of it
            active(cls.p3, dec, 40, recency=40),
            active(cls.p3, jan, 60, recency=60),
            active(cls.p3, feb, 75, recency=75),
            active(cls.p3, mar, 70),
            active(cls.p3, apr, 70),
            churned(cls.p3, may),
            # no health score in December: counted from January
            active(cls.p4, dec, None),
            active(cls.p4, jan, 55, recency=55),
            active(cls.p4, feb, 30, recency=30),
            # no health score while active, then churned: never counted
            active(cls.p5, dec, None),
            (cls.p5, jan, False, "churned", 5, {}),
            # before the months examined
            active(cls.p7, "2025-11-01", 90),
            churned(cls.p7, dec),
            # a customer deleted since drops out
            active(gone, jan, 50),
        ]
        insert_snapshots(cls.env, cls.company, rows)
        # another company's customer-months are not this company's
        insert_snapshots(cls.env, cls.company_b, [active(cls.p6, dec, 10), churned(cls.p6, jan)])
        gone.unlink()


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestBacktestByHand(ByHandCase):
    def test_counts_auc_bands_and_threshold(self):
        result = self.Backtest.run(self.company.id, months=3, horizon=3)
        self.assertEqual(
            (result["first_month"], result["last_month"]), ("2025-12-01", "2026-02-01")
        )
        # churned 20, 20, 10, 75; kept 80, 80, 80, 40, 60, 55, 30: 24 of 28 pairs well ranked
        self.assertEqual((result["customers"], result["churned"]), (11, 4))
        self.assertAlmostEqual(result["auc"], 24 / 28)
        self.assertEqual(
            [(b["low"], b["high"], b["customers"], b["churned"]) for b in result["bands"]],
            [(0, 29, 3, 3), (30, 49, 2, 0), (50, 69, 2, 0), (70, 100, 4, 1)],
        )
        self.assertEqual([b["churn_rate"] for b in result["bands"]], [1.0, 0.0, 0.0, 0.25])
        # at-risk threshold 50: 5 flagged, 3 of them churned; 3 of the 4 churned flagged
        self.assertEqual(result["at_risk"]["threshold"], 50)
        self.assertAlmostEqual(result["at_risk"]["precision"], 0.6)
        self.assertAlmostEqual(result["at_risk"]["recall"], 0.75)
        # below 50: 60% churned; 70 or more: 25%
        self.assertAlmostEqual(result["comparison"]["ratio"], 2.4)

    def test_factors_alone_with_their_coverage(self):
        result = self.Backtest.with_user(self.manager_a).run(self.company.id, months=3, horizon=3)
        factors = result["factors"]
        # recency = the health here: same AUC, data for every customer-month
        self.assertAlmostEqual(factors["recency"]["auc"], 24 / 28)
        self.assertEqual(factors["recency"]["coverage"], 1.0)
        # engagement known for 6 of the 11 (30 for the churner, 90 for the steady one)
        self.assertEqual(factors["engagement"]["auc"], 1.0)
        self.assertAlmostEqual(factors["engagement"]["coverage"], 6 / 11)
        # no payment data at all
        self.assertIsNone(factors["payment"]["auc"])
        self.assertEqual(factors["payment"]["coverage"], 0.0)
        self.assertFalse(factors["payment"]["hidden"])

    def test_window_follows_months_and_horizon(self):
        # February only: churned 10 (P1), 75 (P3); kept 80 (P2), 30 (P4): 3 of 4 pairs
        result = self.Backtest.run(self.company.id, months=1, horizon=3)
        self.assertEqual((result["customers"], result["churned"]), (4, 2))
        self.assertAlmostEqual(result["auc"], 0.75)
        # horizon 1: the months examined are 2026-02..2026-04; P1 (February) churns in March,
        # P3 in May: its April row churned within a month, not its February and March ones
        result = self.Backtest.run(self.company.id, months=3, horizon=1)
        self.assertEqual(result["last_month"], "2026-04-01")
        self.assertEqual((result["customers"], result["churned"]), (7, 2))
        # nothing examined yet: no AUC, an honest verdict
        result = self.Backtest.run(self.company.id, months=1, horizon=24)
        self.assertEqual((result["customers"], result["auc"]), (0, None))
        self.assertIn("Nothing to check yet", self.Backtest._verdict(result))

    def test_verdict(self):
        data = self.Backtest.get_score_check_data(self.company.id, months=3, horizon=3)
        self.assertEqual(
            data["verdict"],
            "Customers scoring below 50 churned 2.4 times as often as those scoring 70 or more "
            "(60% against 25% within 3 months).",
        )
        self.assertEqual(
            data["at_risk_text"],
            "At-risk threshold 50: 60% of the customer-months below it churned (precision), "
            "and 75% of the churned ones were below it (recall).",
        )
        self.assertIn(
            "11 customer-months checked (Dec 2025 to Feb 2026), 4 of them", data["summary_text"]
        )
        # too little history to calibrate: the current weights, said so
        self.assertEqual(data["calibration"]["reason"], "not_enough_churn")
        self.assertEqual(data["suggested_weights"], DEFAULT_WEIGHTS)
        self.assertIn("Not enough history", data["calibration_text"])
        # no churn: said so, no AUC
        quiet = self.env["res.company"].create({"name": "Backtest Quiet Company"})
        insert_snapshots(
            self.env,
            quiet,
            [
                (self.p2, "2026-02-01", True, "active", 80, {}),
                (self.p4, "2026-02-01", True, "active", 40, {}),
            ],
        )
        result = self.Backtest.sudo().run(quiet.id, months=3, horizon=3)
        self.assertEqual((result["customers"], result["churned"]), (2, 0))
        self.assertIsNone(result["auc"])
        self.assertIn("cannot be checked against churn yet", self.Backtest._verdict(result))

    def test_bands_open_their_customer_months(self):
        for (low, high), customers, churned in (((0, 29), 3, 3), ((70, 100), 4, 1)):
            with self.subTest(band=(low, high)):
                action = self.Backtest.with_user(self.retention_user).action_open_customer_months(
                    self.company.id, 3, 3, low, high
                )
                self.assertEqual(action["res_model"], "retention.snapshot")
                rows = (
                    self.env["retention.snapshot"]
                    .with_user(self.retention_user)
                    .search(action["domain"])
                )
                self.assertEqual(len(rows), customers)
                action = self.Backtest.with_user(self.retention_user).action_open_customer_months(
                    self.company.id, 3, 3, low, high, churned=True
                )
                rows = self.env["retention.snapshot"].search(action["domain"])
                self.assertEqual(len(rows), churned)
                self.assertFalse(rows - rows.filtered(lambda r: r.partner_id in self.p1 | self.p3))
        with self.assertRaises(UserError):
            self.Backtest.action_open_customer_months(self.company.id, 3, 3, 70, 30)

    def test_query_count_does_not_grow_with_the_customers(self):
        self.Backtest.run(self.company.id, months=3, horizon=3)  # caches warm
        before = self.env.cr.sql_log_count
        self.Backtest.run(self.company.id, months=3, horizon=3)
        small = self.env.cr.sql_log_count - before
        make_signal_history(self.env, self.company, fields.Date.to_date("2026-02-01"), count=60)
        self.Backtest.run(self.company.id, months=3, horizon=3)
        before = self.env.cr.sql_log_count
        result = self.Backtest.run(self.company.id, months=3, horizon=3)
        self.assertEqual(self.env.cr.sql_log_count - before, small)
        self.assertGreater(result["customers"], 11)

    def test_sql_bins_are_the_engine_bins(self):
        scores = [None, 0, 4, 5, 9, 10, 12, 13, 14, 15, 37, 38, 50, 74, 75, 88, 94, 95, 99, 100]
        for width in backtest.CELL_WIDTHS:
            self.env.cr.execute(
                SQL(
                    "SELECT %s FROM unnest(%s::int[]) AS t(recency_score)",
                    _binned("recency_score", width),
                    scores,
                )
            )
            got = [row[0] for row in self.env.cr.fetchall()]
            self.assertEqual(got, [backtest.bin_score(s, width) for s in scores], width)

    def test_calibration_cells_are_bounded(self):
        """Beyond MAX_CELLS combinations the scores are counted in coarser steps."""
        make_signal_history(self.env, self.company, fields.Date.to_date("2026-02-01"), count=60)
        fine = self.Backtest.run(self.company.id, months=3, horizon=3)
        self.assertEqual(fine["calibration"]["score_step"], 10)
        with patch.object(backtest, "MAX_CELLS", 12):
            coarse = self.Backtest.run(self.company.id, months=3, horizon=3)
        self.assertEqual(coarse["calibration"]["score_step"], 50)
        # the counts themselves are exact whatever the step
        self.assertEqual(coarse["customers"], fine["customers"])
        self.assertEqual(coarse["auc"], fine["auc"])

    def test_bad_input_is_refused(self):
        for months, horizon in ((0, 12), (61, 12), (24, 0), (24, 25), ("24", 12), (True, 12)):
            with self.subTest(months=months, horizon=horizon), self.assertRaises(UserError):
                self.Backtest.run(self.company.id, months=months, horizon=horizon)
        for company_id in ("1", None, 0, 999999):
            with self.subTest(company_id=company_id), self.assertRaises(AccessError):
                self.Backtest.run(company_id)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestBacktestRights(ByHandCase):
    """Who may run it, for which company; what a user without invoicing rights sees."""

    def test_retention_user_runs_it_for_their_companies_only(self):
        Backtest = self.Backtest.with_user(self.retention_user)
        result = Backtest.run(self.company.id, months=3, horizon=3)
        self.assertEqual(result["customers"], 11)
        # the money factors are hidden, as on the customer
        for name in ("trend", "payment"):
            self.assertTrue(result["factors"][name]["hidden"])
            self.assertIsNone(result["factors"][name]["auc"])
        self.assertFalse(result["factors"]["recency"]["hidden"])
        for call in (
            lambda: Backtest.run(self.company_b.id, months=3, horizon=3),
            lambda: Backtest.get_score_check_data(self.company_b.id),
            lambda: Backtest.action_open_customer_months(self.company_b.id, 3, 3, 0, 29),
        ):
            with self.assertRaises(AccessError) as caught:
                call()
            self.assertNotIn("Branch", str(caught.exception))
        # nor preview (it reads every customer's factors) nor apply
        with self.assertRaises(AccessError):
            Backtest.preview_calibration(self.company.id)
        with self.assertRaises(AccessError):
            Backtest.apply_calibration(self.company.id)
        data = Backtest.get_score_check_data(self.company.id, months=3, horizon=3)
        self.assertFalse(data["can_preview"] or data["can_apply"] or data["money"])

    def test_manager_of_one_company_previews_but_does_not_apply(self):
        Backtest = self.Backtest.with_user(self.manager_a)
        preview = Backtest.preview_calibration(self.company.id, months=3, horizon=3)
        self.assertIn("stage_changes", preview)
        with self.assertRaises(AccessError):
            Backtest.preview_calibration(self.company_b.id, months=3, horizon=3)
        with self.assertRaises(AccessError):
            Backtest.run(self.company_b.id)
        with self.assertRaises(AccessError):
            Backtest.apply_calibration(self.company.id, months=3, horizon=3)
        data = Backtest.get_score_check_data(self.company.id, months=3, horizon=3)
        self.assertTrue(data["can_preview"])
        self.assertFalse(data["can_apply"])

    def test_portal_and_employees_get_nothing(self):
        for user in (self.portal, self.employee):
            Backtest = self.Backtest.with_user(user)
            for call in (
                lambda B=Backtest: B.run(self.company.id),
                lambda B=Backtest: B.get_score_check_data(self.company.id),
                lambda B=Backtest: B.action_open_customer_months(self.company.id, 3, 3, 0, 29),
                lambda B=Backtest: B.preview_calibration(self.company.id),
                lambda B=Backtest: B.apply_calibration(self.company.id),
                lambda u=user: self.env["retention.weight.set"].with_user(u).search([]),
            ):
                with self.subTest(user=user.login), self.assertRaises(AccessError):
                    call()

    def test_applying_with_nothing_better_is_refused(self):
        with self.assertRaises(UserError):
            self.Backtest.with_user(self.admin).apply_calibration(self.company.id, 3, 3)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestCalibrationApply(BacktestCase):
    """A history where churn follows engagement: the suggestion, its preview, applying it and
    restoring the weights before."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # months examined with the defaults (24 months, horizon 12): 2023-06..2025-05
        cls.partners = make_signal_history(cls.env, cls.company, fields.Date.to_date("2025-05-01"))
        # the customers as the last refresh left them: one steady on recency but never in
        # touch, one at risk that talks to us every week
        cls.quiet, cls.talkative = cls.partners[:2]
        cls.facts = {
            cls.quiet: ("active", {"recency": 95, "engagement": 5}),
            cls.talkative: ("at_risk", {"recency": 5, "engagement": 100}),
        }
        for partner, (stage, scores) in cls.facts.items():
            factors = {name: {"score": scores.get(name)} for name in FACTORS}
            partner.with_company(cls.company).sudo().write(
                {"retention_stage": stage, "retention_health_factors": json.dumps(factors)}
            )

    def test_suggestion_ranks_the_newer_months_better(self):
        result = self.Backtest.run(self.company.id)
        calibration = result["calibration"]
        self.assertEqual(calibration["reason"], "better", calibration)
        self.assertEqual(len(calibration["fit_months"]), 4)
        self.assertEqual(calibration["holdout_months"], ["2025-04-01", "2025-05-01"])
        # engagement weighs more against recency (payment is the same 80 for everyone: it
        # does not rank; trend, satisfaction and delivery have no data)
        weights = result["suggested_weights"]
        self.assertGreater(
            weights["engagement"] / (weights["engagement"] + weights["recency"]),
            DEFAULT_WEIGHTS["engagement"]
            / (DEFAULT_WEIGHTS["engagement"] + DEFAULT_WEIGHTS["recency"]),
        )
        self.assertGreater(
            result["holdout_auc"],
            calibration["current_holdout_auc"] + calibration["required_gain"] - 1e-9,
        )
        self.assertGreater(result["suggested_auc"], result["auc"])

    def test_preview_counts_the_stage_changes(self):
        preview = self.Backtest.with_user(self.manager_a).preview_calibration(self.company.id)
        weights = preview["suggested_weights"]
        expected = {"into_at_risk": 0, "out_of_at_risk": 0}
        for stage, scores in self.facts.values():
            value = health.combine({name: scores.get(name) for name in FACTORS}, weights)[0]
            will_be = value is not None and value < self.company.retention_at_risk_threshold
            if will_be and stage != "at_risk":
                expected["into_at_risk"] += 1
            elif stage == "at_risk" and not will_be:
                expected["out_of_at_risk"] += 1
        changes = preview["stage_changes"]
        self.assertEqual(changes["customers"], 2)
        self.assertEqual(
            (changes["into_at_risk"], changes["out_of_at_risk"]),
            (expected["into_at_risk"], expected["out_of_at_risk"]),
        )
        # the engagement-heavy weights move both customers
        self.assertEqual(changes["total"], 2)
        self.assertIn("2 of 2 customers would change stage today", preview["stage_changes_text"])

    def test_admin_applies_then_restores(self):
        WeightSet = self.env["retention.weight.set"]
        Backtest = self.Backtest.with_user(self.admin)
        suggested = Backtest.run(self.company.id)["suggested_weights"]
        self.env.cr.execute("DELETE FROM retention_profile_queue")
        set_id = Backtest.apply_calibration(self.company.id)
        self.assertEqual(self.company._retention_weights(), suggested)
        sets = WeightSet.search([("company_id", "=", self.company.id)])
        self.assertEqual(sets.mapped("origin"), ["applied", "previous"])
        applied, previous = sets
        self.assertEqual(applied.id, set_id)
        self.assertEqual(previous._weights(), DEFAULT_WEIGHTS)
        self.assertEqual(applied.user_id, self.admin)
        self.assertGreater(applied.auc, previous.auc)
        self.assertTrue(applied.is_current)
        self.assertFalse(previous.is_current)
        # the customers are queued for a refresh and the refresh job is triggered
        self.env.cr.execute("SELECT partner_id FROM retention_profile_queue")
        queued = {row[0] for row in self.env.cr.fetchall()}
        self.assertLessEqual(set(self.talkative.ids + self.quiet.ids), queued)
        cron = self.env.ref("customer_retention.ir_cron_retention_refresh_changed")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        # nothing better than what was just applied
        with self.assertRaises(UserError):
            Backtest.apply_calibration(self.company.id)
        # restore the weights before
        previous.with_user(self.admin).action_restore()
        self.assertEqual(self.company._retention_weights(), DEFAULT_WEIGHTS)
        restored = WeightSet.search([("company_id", "=", self.company.id)], limit=1)
        self.assertEqual(restored.origin, "restored")
        self.assertEqual(restored.restored_from_id, previous)
        self.assertEqual(WeightSet.search_count([("company_id", "=", self.company.id)]), 3)
        with self.assertRaises(UserError):
            previous.with_user(self.admin).action_restore()
        history = Backtest.get_score_check_data(self.company.id)["weight_sets"]
        self.assertEqual([entry["id"] for entry in history], [restored.id, applied.id, previous.id])

    def test_weights_changed_in_settings_are_kept_before_restoring(self):
        self.Backtest.with_user(self.admin).apply_calibration(self.company.id)
        first = self.env["retention.weight.set"].search([("origin", "=", "previous")])
        # changed in Settings after the calibration, then the first weights restored
        self.company.retention_weight_delivery = 30
        first.with_user(self.admin).action_restore()
        kept = self.env["retention.weight.set"].search([("origin", "=", "previous")]) - first
        self.assertEqual(kept.weight_delivery, 30)
        self.assertEqual(self.company.retention_weight_delivery, DEFAULT_WEIGHTS["delivery"])

    def test_only_administrators_restore_and_nobody_edits_the_history(self):
        self.Backtest.with_user(self.admin).apply_calibration(self.company.id)
        previous = self.env["retention.weight.set"].search([("origin", "=", "previous")])
        with self.assertRaises(AccessError):
            previous.with_user(self.manager_a).action_restore()
        self.assertEqual(previous.with_user(self.retention_user).weight_recency, 25)
        for user in (self.manager_a, self.admin):
            WeightSet = self.env["retention.weight.set"].with_user(user)
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    previous.with_user(user).write({"auc": 0.99})
                with self.assertRaises(AccessError):
                    WeightSet.create({"company_id": self.company.id, "origin": "applied"})
                with self.assertRaises(AccessError):
                    previous.with_user(user).unlink()

    def test_other_companies_sets_are_not_seen(self):
        self.Backtest.with_user(self.admin).apply_calibration(self.company.id)
        b_user = new_company_user(
            self.env, "bt_user_b", "customer_retention.group_retention_user", self.company_b
        )
        self.assertFalse(self.env["retention.weight.set"].with_user(b_user).search([]))
        admin_b = new_company_user(
            self.env,
            "bt_admin_b",
            "base.group_system,customer_retention.group_retention_user",
            self.company_b,
        )
        previous = self.env["retention.weight.set"].search([("origin", "=", "previous")])
        with self.assertRaises(AccessError):
            previous.with_user(admin_b).action_restore()
        with self.assertRaises(AccessError):
            self.Backtest.with_user(admin_b).apply_calibration(self.company.id)
