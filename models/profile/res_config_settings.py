from odoo import fields, models
from odoo.exceptions import AccessError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    retention_weight_recency = fields.Integer(
        related="company_id.retention_weight_recency", readonly=False
    )
    retention_weight_trend = fields.Integer(
        related="company_id.retention_weight_trend", readonly=False
    )
    retention_weight_payment = fields.Integer(
        related="company_id.retention_weight_payment", readonly=False
    )
    retention_weight_engagement = fields.Integer(
        related="company_id.retention_weight_engagement", readonly=False
    )
    retention_weight_satisfaction = fields.Integer(
        related="company_id.retention_weight_satisfaction", readonly=False
    )
    retention_weight_delivery = fields.Integer(
        related="company_id.retention_weight_delivery", readonly=False
    )
    retention_churn_days = fields.Integer(related="company_id.retention_churn_days", readonly=False)
    retention_at_risk_threshold = fields.Integer(
        related="company_id.retention_at_risk_threshold", readonly=False
    )
    retention_won_back_days = fields.Integer(
        related="company_id.retention_won_back_days", readonly=False
    )
    retention_onboarding_days = fields.Integer(
        related="company_id.retention_onboarding_days", readonly=False
    )
    retention_engagement_full_days = fields.Integer(
        related="company_id.retention_engagement_full_days", readonly=False
    )
    retention_engagement_zero_days = fields.Integer(
        related="company_id.retention_engagement_zero_days", readonly=False
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
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": message,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
