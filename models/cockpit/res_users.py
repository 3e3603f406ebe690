from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    retention_digest_opt_out = fields.Boolean(
        string="No Weekly Retention Digest",
        help="Do not send me the weekly email of my customers to act on.",
    )
    retention_digest_week = fields.Char(
        string="Last Retention Digest Week",
        readonly=True,
        copy=False,
        help="Technical: the ISO week (e.g. 2026-W25) of the last weekly digest sent.",
        groups="base.group_system",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return [*super().SELF_READABLE_FIELDS, "retention_digest_opt_out"]

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return [*super().SELF_WRITEABLE_FIELDS, "retention_digest_opt_out"]
