"""The retention metrics maths (engine/metrics.py), checked against values computed by hand."""

from odoo.tests import BaseCase, tagged

from ..engine import metrics
from ..engine.metrics import CustomerPeriod as C


@tagged("post_install", "-at_install")
class TestRetentionMetricsEngine(BaseCase):
    def test_movements(self):
        # expansion: 1000 -> 1500
        moves = metrics.revenue_movements(True, 1000, True, 1500)
        self.assertEqual(
            (moves.retained, moves.expansion, moves.contraction, moves.churned), (1000, 500, 0, 0)
        )
        # contraction: 1000 -> 400
        moves = metrics.revenue_movements(True, 1000, True, 400)
        self.assertEqual(
            (moves.retained, moves.expansion, moves.contraction, moves.churned), (400, 0, 600, 0)
        )
        # churn: active at start, not at the end
        moves = metrics.revenue_movements(True, 1000, False, 0)
        self.assertEqual((moves.start, moves.retained, moves.churned), (1000, 0, 1000))
        # absent at the start: new business, not retention
        self.assertEqual(metrics.revenue_movements(False, 0, True, 800), metrics.Movements())

    def test_rates_by_hand(self):
        rows = [
            # retained, grew 1000 -> 1500; first invoiced earlier: 500 repeat revenue
            C(True, True, 1000, 1500, revenue_period=500, repeat=True, revenue_lifetime=4000),
            # retained, shrank 2000 -> 1200, at risk at the end
            C(
                True,
                True,
                2000,
                1200,
                revenue_period=0,
                repeat=True,
                at_risk=True,
                revenue_lifetime=6000,
            ),
            # lost: 12-month revenue 600 at the start
            C(True, False, 600, 0, revenue_period=0, repeat=True),
            # new this period: 300 invoiced, not repeat
            C(False, True, 0, 300, revenue_period=300, new=True, revenue_lifetime=300),
            # won back this period: invoiced before, so its revenue is repeat revenue
            C(False, True, 0, 200, revenue_period=200, repeat=True, revenue_lifetime=1200),
        ]
        result = metrics.summarize(rows)
        self.assertEqual(result["customers_start"], 3)
        self.assertEqual(result["customers_end"], 4)
        self.assertEqual(result["customers_gained"], 2)
        self.assertEqual(result["customers_lost"], 1)
        # (4 - 2) / 3
        self.assertAlmostEqual(result["customer_retention_rate"], 200 / 3)
        self.assertAlmostEqual(result["logo_churn_rate"], 100 / 3)
        # start revenue 3600; churned 600; contraction 800; expansion 500
        self.assertEqual(result["revenue_start"], 3600)
        self.assertAlmostEqual(result["revenue_churn_rate"], 100 * 600 / 3600)
        self.assertAlmostEqual(result["gross_revenue_retention"], 100 * (3600 - 600 - 800) / 3600)
        self.assertAlmostEqual(
            result["net_revenue_retention"], 100 * (3600 - 600 - 800 + 500) / 3600
        )
        # repeat: 500 + 200 of 1000
        self.assertAlmostEqual(result["repeat_revenue_share"], 70.0)
        self.assertEqual(result["revenue_at_risk"], 1200)
        # (4000 + 6000 + 300 + 1200) / 4 customers at the end
        self.assertAlmostEqual(result["average_lifetime_value"], 11500 / 4)

    def test_undefined_rates_are_none(self):
        """No customer at the start, no revenue: the rates are undefined, not 0, no crash."""
        result = metrics.summarize([C(False, True, 0, 300, revenue_period=300, new=True)])
        self.assertIsNone(result["customer_retention_rate"])
        self.assertIsNone(result["logo_churn_rate"])
        self.assertIsNone(result["gross_revenue_retention"])
        self.assertIsNone(result["net_revenue_retention"])
        self.assertIsNone(result["revenue_churn_rate"])
        self.assertEqual(result["repeat_revenue_share"], 0.0)
        empty = metrics.summarize([])
        self.assertIsNone(empty["repeat_revenue_share"])
        self.assertIsNone(empty["average_lifetime_value"])
        # a period whose revenue is all refunds
        self.assertIsNone(metrics.repeat_revenue_share(-50, -100))

    def test_refund_below_zero_counts_as_lost(self):
        """A customer whose credit notes exceed its invoices is not active: lost, all churned."""
        result = metrics.summarize([C(True, False, 900, -100)])
        self.assertEqual(result["customers_lost"], 1)
        self.assertEqual(result["revenue_churned"], 900)
        self.assertEqual(result["gross_revenue_retention"], 0.0)
        self.assertEqual(result["net_revenue_retention"], 0.0)

    def test_trend(self):
        self.assertEqual(metrics.trend(80, 70), "up")
        self.assertEqual(metrics.trend(70, 80), "down")
        self.assertEqual(metrics.trend(70, 70.01, tolerance=0.05), "steady")
        self.assertIsNone(metrics.trend(None, 70))
        self.assertIsNone(metrics.trend(70, None))
