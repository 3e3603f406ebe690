"""The dashboard's data method: figures consistent with the report, every figure clickable."""

from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import TODAY, RetentionAnalyticsCase


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestRetentionDashboard(RetentionAnalyticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = cls.to_date(TODAY)
        cls.review = cls.env["retention.review"].create(
            {
                "partner_id": cls.a.id,
                "company_id": cls.company.id,
                "date_planned": today + timedelta(days=10),
            }
        )
        cls.c.retention_renewal_date = today + timedelta(days=20)
        cls.Dashboard = cls.env["retention.dashboard"]

    def kpis(self, data):
        return {kpi["key"]: kpi for kpi in data["kpis"]}

    def test_quarter_kpis_match_the_hand_computed_metrics(self):
        # the running period's revenue at risk is D's 12-month revenue now (the builder's)
        self.d.with_company(self.company).sudo().retention_revenue_12m = 1200
        data = self.Dashboard.get_dashboard_data("quarter", self.company.id)
        self.assertEqual(data["period_label"], "Q2 2026")
        self.assertEqual(data["previous_label"], "Q1 2026")
        kpis = self.kpis(data)
        self.assertAlmostEqual(kpis["customer_retention_rate"]["value"], 60.0)
        self.assertEqual(kpis["customer_retention_rate"]["display"], "60.0 %")
        self.assertAlmostEqual(kpis["logo_churn_rate"]["value"], 40.0)
        self.assertEqual(kpis["customers_end"]["value"], 4)
        self.assertAlmostEqual(kpis["gross_revenue_retention"]["value"], 100 * 4500 / 6400)
        self.assertAlmostEqual(kpis["net_revenue_retention"]["value"], 100 * 4700 / 6400)
        self.assertAlmostEqual(kpis["revenue_churn_rate"]["value"], 100 * 1400 / 6400)
        self.assertAlmostEqual(kpis["repeat_revenue_share"]["value"], 70.0)
        self.assertAlmostEqual(kpis["revenue_at_risk"]["value"], 1200)
        self.assertAlmostEqual(kpis["average_lifetime_value"]["value"], 1500)
        # Q1 2026: start (Dec 2025) A, B, D, E; end (March 2026) A, B, C, D, E: nobody lost
        self.assertAlmostEqual(kpis["customer_retention_rate"]["previous"], 100.0)
        self.assertEqual(kpis["customer_retention_rate"]["trend"], "down")
        self.assertFalse(kpis["customer_retention_rate"]["good"])
        self.assertEqual(kpis["logo_churn_rate"]["trend"], "up")
        self.assertFalse(kpis["logo_churn_rate"]["good"])
        # the health history as of the end of March: E (one invoice of April 2025, unpaid and
        # overdue, no purchase since) was at risk then, with its 600 of the last 12 months
        self.assertAlmostEqual(kpis["revenue_at_risk"]["previous"], 600)
        self.assertEqual(kpis["revenue_at_risk"]["trend"], "up")
        self.assertFalse(kpis["revenue_at_risk"]["good"])
        # the help is the definition
        self.assertIn("customers gained", kpis["customer_retention_rate"]["help"])

    def test_every_kpi_opens_the_rows_behind_it(self):
        data = self.Dashboard.get_dashboard_data("quarter", self.company.id)
        kpis = self.kpis(data)
        Report = self.env["retention.metric.report"]

        def rows(key):
            action = kpis[key]["action"]
            self.assertEqual(action["res_model"], "retention.metric.report")
            return Report.search(action["domain"])

        self.assertEqual(len(rows("customer_retention_rate")), 5)
        self.assertEqual(rows("logo_churn_rate").partner_id, self.b | self.e)
        # revenue at risk of the running period: the customers at risk now (the list below)
        at_risk = kpis["revenue_at_risk"]["action"]
        self.assertEqual(at_risk["res_model"], "res.partner")
        self.assertEqual(
            self.env["res.partner"].with_company(self.company).search(at_risk["domain"]), self.d
        )
        self.assertEqual(rows("customers_end").partner_id, self.a | self.c | self.d | self.f)

    def test_history_curve_and_lists(self):
        data = self.Dashboard.get_dashboard_data("month", self.company.id)
        self.assertEqual(len(data["history"]), 12)
        last = data["history"][-1]
        self.assertEqual(last["period_start"], "2026-06-01")
        # June 2026: start (May) A, C, D, F (B's May row says it churned); end the same
        self.assertAlmostEqual(last["customer_retention_rate"], 100.0)
        Report = self.env["retention.metric.report"]
        self.assertEqual(
            Report.search(last["action"]["domain"]).partner_id,
            self.a | self.b | self.c | self.d | self.f,
        )
        # at risk: D, with its 12-month revenue
        [risky] = data["at_risk"]
        self.assertEqual(risky["id"], self.d.id)
        self.assertEqual(risky["action"]["res_id"], self.d.id)
        # the planned review and the renewal
        self.assertEqual([r["id"] for r in data["reviews"]["items"]], self.review.ids)
        self.assertEqual(data["renewals"]["count"], 1)
        self.assertEqual(data["renewals"]["items"][0]["key"], f"res.partner-{self.c.id}")
        # stages: D is at risk; a click opens the customers of that stage
        stages = {stage["stage"]: stage for stage in data["stages"]}
        self.assertGreaterEqual(stages["at_risk"]["count"], 1)
        partners = (
            self.env["res.partner"]
            .with_company(self.company)
            .search(stages["at_risk"]["action"]["domain"])
        )
        self.assertIn(self.d, partners)

    def test_filters_narrow_the_figures(self):
        self.a.retention_account_manager_id = self.env.user
        self.recompute(self.a)  # a stage: the filter offers the managers of customers
        data = self.Dashboard.get_dashboard_data(
            "quarter", self.company.id, {"account_manager_id": self.env.user.id}
        )
        kpis = self.kpis(data)
        # A alone: retained, 3000 -> 2500
        self.assertEqual(kpis["customer_retention_rate"]["value"], 100.0)
        self.assertAlmostEqual(kpis["gross_revenue_retention"]["value"], 100 * 2500 / 3000)
        self.assertIn(
            self.env.user.id, [o["id"] for o in data["filter_options"]["account_manager_id"]]
        )

    def test_filter_options_are_those_of_the_customers(self):
        industry = self.env["res.partner.industry"].create({"name": "Dashboard Test Industry"})
        belgium, japan = self.env.ref("base.be"), self.env.ref("base.jp")
        self.a.write(
            {
                "country_id": belgium.id,
                "industry_id": industry.id,
                "retention_account_manager_id": self.env.user.id,
            }
        )
        # a partner without invoices is no customer: its country is not offered
        prospect = self.env["res.partner"].create(
            {"name": "Dashboard Prospect", "is_company": True, "country_id": japan.id}
        )
        self.recompute(self.a | prospect)
        options = self.Dashboard._filter_options(self.company)
        self.assertIn(belgium.id, [o["id"] for o in options["country_id"]])
        self.assertNotIn(japan.id, [o["id"] for o in options["country_id"]])
        self.assertIn({"id": industry.id, "name": industry.display_name}, options["industry_id"])
        self.assertIn(self.env.user.id, [o["id"] for o in options["account_manager_id"]])
        # what a grouped read per field gives, sorted by name
        Partner = self.env["res.partner"].with_company(self.company)
        domain = [("retention_stage", "not in", (False, "prospect"))]
        for key, name in (
            ("account_manager_id", "retention_account_manager_id"),
            ("country_id", "country_id"),
            ("industry_id", "industry_id"),
        ):
            groups = Partner._read_group(domain + [(name, "!=", False)], [name], [])
            expected = sorted((rec.display_name, rec.id) for (rec,) in groups)
            self.assertEqual([(o["name"], o["id"]) for o in options[key]], expected, key)

    def test_undefined_figures_are_empty(self):
        """Year 2024: nobody before, so no retention rate: shown empty, not 0."""
        with freeze_time("2024-06-15"):
            data = self.Dashboard.get_dashboard_data("year", self.company.id)
        kpis = self.kpis(data)
        self.assertIsNone(kpis["customer_retention_rate"]["value"])
        self.assertEqual(kpis["customer_retention_rate"]["display"], "")

    def test_bad_period(self):
        with self.assertRaises(UserError):
            self.Dashboard.get_dashboard_data("week", self.company.id)

    def test_history_dates(self):
        data = self.Dashboard.get_dashboard_data("year", self.company.id)
        self.assertEqual(data["history"][-1]["period_start"], str(date(2026, 1, 1)))


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestStoredPeriodTotals(RetentionAnalyticsCase):
    """The dashboard without filters reads the sums stored per company and period (issue
    #21: summing 100,000 customers' rows took 0.56 s at each opening): they must be what a
    grouped read of the report gives, for every period, after every rebuild."""

    def grouped(self, period_type):
        Dashboard = self.env["retention.dashboard"]
        starts = (
            self.env["retention.metric.report"]
            .search([("company_id", "=", self.company.id), ("period_type", "=", period_type)])
            .mapped("period_start")
        )
        domain = [("company_id", "=", self.company.id), ("period_type", "=", period_type)]
        read = Dashboard._period_totals(domain, sorted(set(starts)), True)
        stored = Dashboard._company_period_totals(self.company, period_type, read.keys(), True)
        return read, stored

    def assert_stored_sums_are_the_grouped_read(self):
        for period_type in ("month", "quarter", "year"):
            read, stored = self.grouped(period_type)
            self.assertTrue(read, period_type)
            self.assertEqual(stored.keys(), read.keys(), period_type)
            for start, figures in read.items():
                for name, value in figures.items():
                    self.assertAlmostEqual(stored[start][name], value, 2, (start, name))
                    # counts stay whole numbers, as a grouped read gives them
                    self.assertIs(type(stored[start][name]), type(value), (start, name))

    def test_the_sums_follow_every_rebuild(self):
        self.assert_stored_sums_are_the_grouped_read()
        year = self.to_date("2026-01-01")
        before = self.grouped("year")[1][year]
        # a new invoice in the running month: its periods are rebuilt
        self.make_invoice(self.b, "2026-06-05", 4000)
        june = self.to_date("2026-06-01")
        self.Snapshot._rebuild(self.company, june, self.to_date(TODAY))
        self.Snapshot._rebuild_reports(self.company, june)
        after = self.grouped("year")[1][year]
        self.assertAlmostEqual(after["revenue_period"], before["revenue_period"] + 4000)
        self.assert_stored_sums_are_the_grouped_read()

    def test_an_upgrade_fills_the_new_table(self):
        read, _stored = self.grouped("quarter")
        self.env.cr.execute("DROP TABLE retention_metric_total")
        self.env["retention.metric.report"].init()
        self.assertEqual(self.grouped("quarter")[1].keys(), read.keys())
        self.assert_stored_sums_are_the_grouped_read()

    def test_a_user_without_money_rights_gets_no_amount(self):
        user = self.new_company_user("counts_only", "customer_retention.group_retention_user")
        Dashboard = self.env["retention.dashboard"].with_user(user)
        totals = Dashboard._company_period_totals(
            self.company, "year", [self.to_date("2026-01-01")], False
        )
        figures = totals[self.to_date("2026-01-01")]
        self.assertGreater(figures["customers_end"], 0)
        self.assertEqual(figures["revenue_end"], 0)
        data = Dashboard.get_dashboard_data("year", self.company.id)
        self.assertFalse(data["money"])
        self.assertNotIn("revenue_at_risk", {kpi["key"] for kpi in data["kpis"]})
