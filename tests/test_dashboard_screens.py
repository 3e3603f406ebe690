"""The dashboard holds together (issue #17): its filters narrow every panel, the Revenue at
Risk card and the list below it agree, users without invoicing rights see the at-risk
customers without amounts, the chart shows only periods with data, and a figure opens a
focused list."""

from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import RETENTION_USER, TODAY, RetentionAnalyticsCase


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestDashboardScreens(RetentionAnalyticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = cls.to_date(TODAY)
        cls.add_groups("project.group_project_manager")
        cls.Dashboard = cls.env["retention.dashboard"]
        # every customer but D (kept at risk) gets its stage from the profile builder
        cls.builder._compute_partners((cls.a | cls.b | cls.c | cls.e | cls.f).ids)
        cls.manager = cls.new_company_user("dash_am", f"base.group_user,{RETENTION_USER}")
        cls.tag = cls.env["res.partner.category"].create({"name": "Dashboard Key Account"})
        cls.industry = cls.env["res.partner.industry"].create({"name": "Dashboard Shipping"})
        cls.georgia = cls.env.ref("base.ge")
        # D (at risk) carries every filter value; C (a renewal) and A (a review) none
        cls.d.write(
            {
                "category_id": [Command.link(cls.tag.id)],
                "industry_id": cls.industry.id,
                "country_id": cls.georgia.id,
            }
        )
        cls.d.with_company(cls.company).retention_account_manager_id = cls.manager
        cls.c.retention_renewal_date = today + timedelta(days=20)
        cls.d_project = cls.env["project.project"].create(
            {
                "name": "D Port Terminal",
                "partner_id": cls.d.id,
                "retention_renewal_date": today + timedelta(days=30),
            }
        )
        cls.env["retention.review"].create(
            {
                "partner_id": cls.a.id,
                "company_id": cls.company.id,
                "date_planned": today + timedelta(days=10),
            }
        )
        cls.filters = {
            "account_manager_id": cls.manager.id,
            "category_id": cls.tag.id,
            "country_id": cls.georgia.id,
            "industry_id": cls.industry.id,
        }

    def data(self, filters=None, period_type="month", user=None):
        dashboard = self.Dashboard.with_user(user) if user else self.Dashboard
        return dashboard.get_dashboard_data(period_type, self.company.id, filters)

    def test_each_filter_narrows_stages_at_risk_and_renewals(self):
        everyone = self.data()
        self.assertGreater(sum(s["count"] for s in everyone["stages"]), 1)
        self.assertEqual(everyone["renewals"]["count"], 2)
        self.assertEqual(everyone["reviews"]["count"], 1)
        for key, value in self.filters.items():
            with self.subTest(filter=key):
                data = self.data({key: value})
                stages = {s["stage"]: s["count"] for s in data["stages"]}
                # D alone, at risk
                self.assertEqual(sum(stages.values()), 1)
                self.assertEqual(stages["at_risk"], 1)
                self.assertEqual([c["id"] for c in data["at_risk"]], self.d.ids)
                # C's renewal is not D's; D's project renewal is
                self.assertEqual(data["renewals"]["count"], 1)
                self.assertEqual(
                    data["renewals"]["items"][0]["key"], f"project.project-{self.d_project.id}"
                )
                # A's review is not D's
                self.assertEqual(data["reviews"]["count"], 0)
                # a click opens the same customers
                stage_action = next(s for s in data["stages"] if s["stage"] == "at_risk")["action"]
                Partner = self.env["res.partner"].with_company(self.company)
                self.assertEqual(Partner.search(stage_action["domain"]), self.d)

    def test_revenue_at_risk_card_sums_the_list(self):
        # B is at risk now (a stage change since the stored rows were built)
        self.b.with_company(self.company).sudo().write(
            {"retention_stage": "at_risk", "retention_health_score": 30}
        )
        for period_type in ("month", "quarter", "year"):
            data = self.data(period_type=period_type)
            card = next(k for k in data["kpis"] if k["key"] == "revenue_at_risk")
            Partner = self.env["res.partner"].with_company(self.company)
            listed = Partner.search(data["at_risk_action"]["domain"])
            self.assertLessEqual(self.b | self.d, listed)
            self.assertEqual({c["id"] for c in data["at_risk"]}, set(listed.ids))
            self.assertAlmostEqual(card["value"], sum(listed.mapped("retention_revenue_12m")))
            self.assertEqual(card["display"], data["at_risk_total"])
            self.assertEqual(card["action"]["res_model"], "res.partner")
            self.assertEqual(data["at_risk_count"], len(listed))
            self.assertIn("at risk now", card["help"])

    def test_at_risk_panel_without_invoicing_rights(self):
        data = self.data(user=self.manager)
        self.assertFalse(data["money"])
        self.assertIn(self.d.id, [c["id"] for c in data["at_risk"]])
        self.assertTrue(data["at_risk"])
        self.assertTrue(all(c["revenue"] == "" for c in data["at_risk"]))
        self.assertEqual(data["at_risk_count"], len(data["at_risk"]))
        # lowest health first
        healths = [c["health"] for c in data["at_risk"]]
        self.assertEqual(healths, sorted(healths))
        self.assertEqual(data["at_risk_total"], "")
        self.assertNotIn("revenue_at_risk", [k["key"] for k in data["kpis"]])
        self.assertTrue(all(p["net_revenue_retention"] is None for p in data["history"]))

    def test_history_shows_only_periods_with_data(self):
        # the first invoice is of March 2024: the years 2024 to 2026, not twelve
        years = [p["label"] for p in self.data(period_type="year")["history"]]
        self.assertEqual(years, ["2024", "2025", "2026"])
        self.assertEqual(len(self.data(period_type="month")["history"]), 12)

    def test_a_figure_opens_a_focused_list(self):
        data = self.data(period_type="quarter")
        focused = self.env.ref("customer_retention.retention_metric_report_view_list_dashboard")
        for kpi in data["kpis"]:
            if kpi["key"] == "revenue_at_risk":
                continue
            self.assertEqual(kpi["action"]["views"][0], [focused.id, "list"], kpi["key"])
        self.assertEqual(data["history"][-1]["action"]["views"][0], [focused.id, "list"])
        columns = self.env["retention.metric.report"].get_view(focused.id, "list")["arch"]
        self.assertLessEqual(columns.count("<field "), 14)

    def test_percentages_use_the_language_decimal_separator(self):
        self.env["res.lang"]._activate_lang("ka_GE")
        lang = self.env["res.lang"]._lang_get("ka_GE")
        dashboard = self.Dashboard.with_context(lang="ka_GE")
        self.assertEqual(
            dashboard._format(96.4, "percent", self.company), f"96{lang.decimal_point}4 %"
        )
        self.assertEqual(self.Dashboard._format(96.4, "percent", self.company), "96.4 %")
