"""The back-test maths (engine/backtest.py) on datasets computed by hand, and calibration on
random and on real signals."""

import random

from odoo.tests import BaseCase, tagged

from odoo.addons.customer_retention.engine import backtest, health
from odoo.addons.customer_retention.engine.backtest import Cell
from odoo.addons.customer_retention.engine.health import DEFAULT_WEIGHTS, FACTORS

#: Health of each customer-month, and whether it churned within the horizon:
#: churned 20, 20, 10, 75; kept 80, 80, 80, 40, 60, 55, 30.
CHURNED = [20, 20, 10, 75]
KEPT = [80, 80, 80, 40, 60, 55, 30]
ROWS = [(h, 1, 1) for h in CHURNED] + [(h, 1, 0) for h in KEPT]


@tagged("post_install", "-at_install")
class TestAuc(BaseCase):
    def test_auc_by_hand(self):
        # every churned/kept pair: the churned one has the lower health in 24 of the 28 pairs
        # (20, 20 and 10 are below all 7 kept; 75 is below only the three 80s)
        self.assertAlmostEqual(backtest.score_auc(ROWS), 24 / 28)

    def test_ties_count_half(self):
        # one churned and one kept at 40, one kept at 90: 1 win + 0.5 tie of 2 pairs
        rows = [(40, 1, 1), (40, 1, 0), (90, 1, 0)]
        self.assertAlmostEqual(backtest.score_auc(rows), 0.75)
        # everything tied: chance
        self.assertAlmostEqual(backtest.score_auc([(50, 10, 3)]), 0.5)

    def test_counts_are_the_same_as_rows(self):
        # aggregated rows (score, customer-months, churned) give the AUC of their rows
        aggregated = [(20, 2, 2), (10, 1, 1), (75, 1, 1), (80, 3, 0), (40, 1, 0)]
        aggregated += [(60, 1, 0), (55, 1, 0), (30, 1, 0)]
        self.assertAlmostEqual(backtest.score_auc(aggregated), 24 / 28)

    def test_perfect_reversed_and_none(self):
        self.assertEqual(backtest.score_auc([(10, 5, 5), (90, 5, 0)]), 1.0)
        self.assertEqual(backtest.score_auc([(90, 5, 5), (10, 5, 0)]), 0.0)
        # without both outcomes there is nothing to rank
        self.assertIsNone(backtest.score_auc([(10, 5, 0), (90, 5, 0)]))
        self.assertIsNone(backtest.score_auc([(10, 5, 5)]))
        self.assertIsNone(backtest.score_auc([]))
        # customer-months without a score are left out of the AUC
        self.assertEqual(backtest.score_auc([(None, 9, 9), (10, 5, 5), (90, 5, 0)]), 1.0)

    def test_risk_auc_is_the_mirror(self):
        # auc() takes a risk (higher = churn); score_auc() a health (lower = churn)
        risks = [(100 - h, c, ch) for h, c, ch in ROWS]
        self.assertAlmostEqual(backtest.auc(risks), backtest.score_auc(ROWS))

    def test_standard_error(self):
        # Hanley & McNeil: A = 0.5, 10 churned, 10 kept: q1 = q2 = 1/3,
        # variance = (0.25 + 9 (1/3 - 1/4) + 9 (1/3 - 1/4)) / 100 = 0.0175
        self.assertAlmostEqual(backtest.auc_standard_error(0.5, 10, 10), 0.0175**0.5)
        self.assertIsNone(backtest.auc_standard_error(None, 10, 10))
        self.assertIsNone(backtest.auc_standard_error(0.7, 0, 10))


@tagged("post_install", "-at_install")
class TestBandsAndThreshold(BaseCase):
    def test_bands_by_hand(self):
        self.assertEqual(
            backtest.bands(ROWS),
            [
                {"low": 0, "high": 29, "customers": 3, "churned": 3, "churn_rate": 1.0},
                {"low": 30, "high": 49, "customers": 2, "churned": 0, "churn_rate": 0.0},
                {"low": 50, "high": 69, "customers": 2, "churned": 0, "churn_rate": 0.0},
                {"low": 70, "high": 100, "customers": 4, "churned": 1, "churn_rate": 0.25},
            ],
        )
        self.assertEqual(backtest.totals(ROWS), (11, 4))
        # an empty band has no rate, not a rate of 0
        self.assertIsNone(backtest.bands([(80, 2, 1)])[0]["churn_rate"])
        # the bounds are inclusive: 29 in the first band, 30 in the second, 100 in the last
        counts = [b["customers"] for b in backtest.bands([(29, 1, 0), (30, 1, 0), (100, 1, 0)])]
        self.assertEqual(counts, [1, 1, 0, 1])

    def test_precision_and_recall_by_hand(self):
        # below 50: 20, 20, 10 (churned), 40, 30 (kept): 3 of the 5 flagged churned;
        # 3 of the 4 churned were flagged (75 was not)
        quality = backtest.threshold_quality(ROWS, 50)
        self.assertEqual(quality["flagged"], 5)
        self.assertAlmostEqual(quality["precision"], 3 / 5)
        self.assertAlmostEqual(quality["recall"], 3 / 4)
        # a threshold of 0 flags nobody: no precision, recall 0
        nobody = backtest.threshold_quality(ROWS, 0)
        self.assertIsNone(nobody["precision"])
        self.assertEqual(nobody["recall"], 0.0)
        # nobody churned: no recall
        self.assertIsNone(backtest.threshold_quality([(10, 3, 0)], 50)["recall"])

    def test_churn_ratio(self):
        # below 50: 3 churned of 5 (60%); 70 or more: 1 of 4 (25%): 2.4 times as often
        comparison = backtest.churn_ratio(ROWS)
        self.assertAlmostEqual(comparison["low_rate"], 0.6)
        self.assertAlmostEqual(comparison["high_rate"], 0.25)
        self.assertAlmostEqual(comparison["ratio"], 2.4)
        # nobody churned above 70: no ratio (unbounded), the rates still say it
        unbounded = backtest.churn_ratio([(10, 4, 2), (90, 4, 0)])
        self.assertIsNone(unbounded["ratio"])
        self.assertEqual(unbounded["high_rate"], 0.0)
        # nobody below 50
        self.assertIsNone(backtest.churn_ratio([(90, 4, 1)])["low_rate"])

    def test_factor_summary_and_coverage(self):
        # a factor with data for 4 of the 10 customer-months counted
        rows = [(None, 6, 2), (10, 2, 2), (90, 2, 0)]
        summary = backtest.factor_summary(rows, 10)
        self.assertEqual(summary["auc"], 1.0)
        self.assertAlmostEqual(summary["coverage"], 0.4)
        self.assertEqual(summary["customers"], 4)
        self.assertIsNone(backtest.factor_summary([], 0)["coverage"])


@tagged("post_install", "-at_install")
class TestHealthWithOtherWeights(BaseCase):
    def test_health_of_is_combine(self):
        cases = [
            ({"recency": 100, "payment": 40}, DEFAULT_WEIGHTS),
            ({"recency": 33, "trend": 67, "engagement": 0, "delivery": 99}, DEFAULT_WEIGHTS),
            ({"satisfaction": 70}, {**DEFAULT_WEIGHTS, "satisfaction": 0}),
            (dict.fromkeys(FACTORS, 55), dict.fromkeys(FACTORS, 1)),
            ({"recency": 45, "trend": 55}, {**DEFAULT_WEIGHTS, "recency": 5, "trend": 5}),
        ]
        for scores, weights in cases:
            with self.subTest(scores=scores, weights=weights):
                full = {name: scores.get(name) for name in FACTORS}
                self.assertEqual(
                    backtest.health_of(full, weights), health.combine(full, weights)[0]
                )
                as_tuple = tuple(full[name] for name in FACTORS)
                self.assertEqual(
                    backtest.health_of(as_tuple, weights), health.combine(full, weights)[0]
                )

    def test_weighted_auc_matches_the_engine(self):
        """The fast AUC of the calibration equals the AUC of engine.health.combine's scores."""
        rng = random.Random(7)
        for _ in range(50):
            weights = {name: rng.choice((0, 5, 15, 40, 100)) for name in FACTORS}
            if not any(weights.values()):
                continue
            cells = [
                Cell(
                    tuple(rng.choice((None, rng.randrange(101))) for _ in FACTORS),
                    rng.randint(1, 4),
                    0,
                )
                for _ in range(40)
            ]
            cells = [Cell(c.scores, c.customers, rng.randint(0, c.customers)) for c in cells]
            rows = []
            for cell in cells:
                value = health.combine(dict(zip(FACTORS, cell.scores, strict=True)), weights)[0]
                # no factor with weight: health 0, as engine.health.evaluate shows it
                rows.append((value or 0, cell.customers, cell.churned))
            expected = backtest.score_auc(rows)
            got = backtest.weighted_auc(cells, weights)
            if expected is None:
                self.assertIsNone(got)
            else:
                self.assertAlmostEqual(got, expected, places=12)


def _random_cells(rng, count, churn_of):
    """``count`` customer-months with random recency and engagement scores (the others
    without data), churned as ``churn_of(scores, rng)`` says."""
    cells = []
    for _ in range(count):
        recency, engagement = rng.randrange(0, 101, 10), rng.randrange(0, 101, 10)
        scores = (recency, None, rng.randrange(60, 101, 10), engagement, None, None)
        cells.append(Cell(scores, 1, 1 if churn_of(scores, rng) else 0))
    return cells


@tagged("post_install", "-at_install")
class TestCalibration(BaseCase):
    def test_random_outcomes_keep_the_weights(self):
        """Outcomes that have nothing to do with the scores: whatever the search fits on the
        older months, the newer ones show no real gain, so the current weights stay."""
        for seed in range(6):
            with self.subTest(seed=seed):
                rng = random.Random(seed)
                fit = _random_cells(rng, 600, lambda _s, r: r.random() < 0.2)
                holdout = _random_cells(rng, 300, lambda _s, r: r.random() < 0.2)
                found = backtest.calibrate(fit, holdout, DEFAULT_WEIGHTS)
                self.assertEqual(found.weights, DEFAULT_WEIGHTS)
                self.assertFalse(found.changed)
                self.assertIn(found.reason, ("no_gain", "no_better_fit"))
                # the search did fit something on the older months: it is the guard that
                # refused it
                self.assertGreaterEqual(found.fitted_auc, found.fit_auc)

    def test_a_real_signal_changes_the_weights(self):
        """Churn driven by engagement while recency weighs most: the suggestion weighs
        engagement more and ranks the newer months clearly better."""

        def churn(scores, rng):
            return (scores[3] < 40) != (rng.random() < 0.1)  # 10% noise

        rng = random.Random(3)
        fit, holdout = _random_cells(rng, 600, churn), _random_cells(rng, 300, churn)
        found = backtest.calibrate(fit, holdout, DEFAULT_WEIGHTS)
        self.assertTrue(found.changed)
        self.assertEqual(found.reason, "better")
        share = found.weights["engagement"] / sum(found.weights.values())
        self.assertGreater(share, DEFAULT_WEIGHTS["engagement"] / sum(DEFAULT_WEIGHTS.values()))
        self.assertGreater(
            found.fitted_holdout_auc, found.current_holdout_auc + found.required_gain - 1e-9
        )
        self.assertTrue(all(0 <= w <= 100 for w in found.weights.values()))

    def test_too_little_churn_keeps_the_weights(self):
        rng = random.Random(1)
        fit = _random_cells(rng, 50, lambda s, _r: s[3] < 20)
        found = backtest.calibrate(fit, fit[:5], DEFAULT_WEIGHTS)
        self.assertEqual(found.reason, "not_enough_churn")
        self.assertEqual(found.weights, DEFAULT_WEIGHTS)
        found = backtest.calibrate([], [], DEFAULT_WEIGHTS)
        self.assertEqual(found.reason, "not_enough_churn")
        self.assertIsNone(found.current_holdout_auc)

    def test_split_and_bins(self):
        months = [f"2025-{m:02d}-01" for m in range(1, 13)]
        fit, held = backtest.split_months(list(reversed(months)))
        self.assertEqual(fit, months[:8])
        self.assertEqual(held, months[8:])
        self.assertEqual(backtest.split_months(months[:2]), (months[:1], months[1:2]))
        self.assertEqual(backtest.split_months(months[:1]), (months[:1], []))
        # rounding to bins: halves up, never above 100
        self.assertEqual(
            [backtest.bin_score(s, 20) for s in (None, 9, 10, 89, 95)], [None, 0, 20, 80, 100]
        )
