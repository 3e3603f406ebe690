from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    # Set in bulk by retention.profile.builder when the customer's figures are refreshed.
    retention_is_first_invoice = fields.Boolean(
        string="First Invoice",
        readonly=True,
        copy=False,
        help="The customer's first posted invoice in this company: the start of onboarding.",
    )
    retention_is_repeat = fields.Boolean(
        string="Repeat Business",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Posted invoice of a customer who had an earlier invoice in this company.",
    )
