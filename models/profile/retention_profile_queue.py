from odoo import fields, models


class RetentionProfileQueue(models.Model):
    """A customer whose retention figures are due for a recompute: the unit of work of the
    refresh jobs (retention.profile.builder).

    A narrow table of its own rather than a flag on res_partner: marking every customer for the
    daily run and clearing the marks batch after batch insert and delete these small rows
    instead of rewriting res_partner rows and their ~30 indexes (bench/README.md). Workers claim
    rows with FOR UPDATE SKIP LOCKED and delete them in the transaction that writes the
    figures, so a crash leaves the rest queued for the next run.
    """

    _name = "retention.profile.queue"
    _description = "Customer due for a retention figures refresh"
    _order = "partner_id"
    _log_access = False

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, ondelete="cascade"
    )

    _sql_constraints = [
        ("partner_uniq", "UNIQUE(partner_id)", "A customer is queued for a refresh only once."),
    ]
