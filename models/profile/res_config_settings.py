from odoo import fields, models
from odoo.exceptions import AccessError

from ..ui_actions import notification


def company_setting(field_type, name):
    """The Settings field that edits the company's field of the same name."""
    return field_type(related=f"company_id.{name}", readonly=False)


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    retention_weight_recency = company_setting(fields.Integer, "retention_weight_recency")
    retention_weight_trend = company_setting(fields.Integer, "retention_weight_trend")
    retention_weight_payment = company_setting(fields.Integer, "retention_weight_payment")
    retention_weight_engagement = company_setting(fields.Integer, "retention_weight_engagement")
    retention_weight_satisfaction = company_setting(fields.Integer, "retention_weight_satisfaction")
    retention_weight_delivery = company_setting(fields.Integer, "retention_weight_delivery")
    retention_churn_days = company_setting(fields.Integer, "retention_churn_days")
    retention_history_months = company_setting(fields.Integer, "retention_history_months")
    retention_at_risk_threshold = company_setting(fields.Integer, "retention_at_risk_threshold")
    retention_won_back_days = company_setting(fields.Integer, "retention_won_back_days")
    retention_onboarding_days = company_setting(fields.Integer, "retention_onboarding_days")
    retention_engagement_full_days = company_setting(
        fields.Integer, "retention_engagement_full_days"
    )
    retention_engagement_zero_days = company_setting(
        fields.Integer, "retention_engagement_zero_days"
    )

    def action_retention_recompute(self):
        """Recompute every customer's figures now (the daily scheduled action does it too):
        a long job, for administrators (every company) and Retention managers (the companies
        they work in) only."""
        user = self.env.user
        if not self.env.su and not user.has_groups(
            "base.group_system,customer_retention.group_retention_manager"
        ):
            raise AccessError(
                self.env._(
                    "Only Retention managers and administrators can recompute the figures of "
                    "every customer."
                )
            )
        if self.env.su or user.has_group("base.group_system"):
            self.env["retention.profile.builder"]._recompute_all()
            message = self.env._("Retention figures recomputed for every customer.")
        else:
            self.env["retention.profile.builder"]._recompute_all(self.env.companies)
            message = self.env._(
                "Retention figures recomputed for every customer of your companies."
            )
        return notification(message, then="close")
