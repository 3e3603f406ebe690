from odoo import fields, models

from ..profile.res_config_settings import company_setting


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    retention_detractor_due_days = company_setting(fields.Integer, "retention_detractor_due_days")
