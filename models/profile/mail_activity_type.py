from odoo import fields, models


class MailActivityType(models.Model):
    _inherit = "mail.activity.type"

    retention_counts_as_contact = fields.Boolean(
        string="Counts as customer contact",
        help="When an activity of this type is marked done on a customer, one of their "
        "projects or invoices, it counts as a contact for the retention profile "
        "(last contact date and engagement). Calls and meetings count by default.",
    )
