from odoo import fields, models


class RetentionChurnReason(models.Model):
    """Why a customer was lost, from a list the admins keep (shipped: price, quality of work,
    missed deadlines...); on risk cases closed as lost and on customers (their latest)."""

    _name = "retention.churn.reason"
    _description = "Churn Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    avoidable = fields.Boolean(
        default=True,
        help="The company could have kept the customer (price, quality, deadlines...), unlike "
        "a project that simply ended or a budget cut.",
    )
    active = fields.Boolean(default=True)
