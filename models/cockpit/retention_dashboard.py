from datetime import timedelta

from odoo import api, fields, models

#: The window of detractor answers the "loop closed within 7 days" KPI counts, and its trend's.
LOOP_WINDOW_DAYS = 90


class RetentionDashboard(models.AbstractModel):
    """What the cockpit adds to the dashboard: the detractor loop KPI."""

    _inherit = "retention.dashboard"

    @api.model
    def get_dashboard_data(self, period_type="month", company_id=None, filters=None):
        data = super().get_dashboard_data(period_type, company_id=company_id, filters=filters)
        company = self.env["res.company"].browse(data["company_id"])
        data["detractor_loop"] = self._detractor_loop(company)
        return data

    @api.model
    def _detractor_loop(self, company):
        """% of the detractor answers of the last LOOP_WINDOW_DAYS whose case closed within 7
        days, and the same for the window before (the trend); None without answers."""
        now = fields.Datetime.now()
        window = timedelta(days=LOOP_WINDOW_DAYS)

        def share(start, end=None):
            # sudo: counts over the company's answers, shown to whoever reads the dashboard
            answers = self.env["retention.feedback"].sudo()
            domain = [
                ("company_id", "=", company.id),
                ("category", "=", "detractor"),
                ("date_answered", ">=", start),
            ]
            if end:
                domain.append(("date_answered", "<", end))
            total = answers.search_count(domain)
            closed = answers.search_count(domain + [("risk_id.closed_within_7_days", "=", True)])
            return round(100.0 * closed / total, 1) if total else None

        return {
            "closed_within_7_days": share(now - window),
            "previous": share(now - 2 * window, now - window),
        }
