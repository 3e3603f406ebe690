from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ...engine.health import FACTORS
from ..ui_actions import notification

ORIGINS = [
    ("previous", "In force before"),
    ("applied", "Suggested by Score Check"),
    ("restored", "Restored"),
]
HISTORY_LIMIT = 10
AUC_HELP = (
    "How well these weights ranked the customers who churned above those who did not, on the "
    "newer months of the back-test when the set was recorded (0.5 = chance, 1 = perfect); "
    "empty when it could not be measured."
)


class RetentionWeightSet(models.Model):
    """The health score weights a company used, kept each time Score Check applies new ones or
    an earlier set is restored. Written by those two actions only (no user creates, edits or
    deletes a set: it is history)."""

    _name = "retention.weight.set"
    _description = "Health score weight set"
    _order = "date desc, id desc"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    weight_recency = fields.Integer(string="Recency of purchase", readonly=True)
    weight_trend = fields.Integer(string="Revenue trend", readonly=True)
    weight_payment = fields.Integer(string="Payment behaviour", readonly=True)
    weight_engagement = fields.Integer(string="Engagement", readonly=True)
    weight_satisfaction = fields.Integer(string="Satisfaction", readonly=True)
    weight_delivery = fields.Integer(string="Delivery", readonly=True)
    auc = fields.Float(string="AUC (newer months)", digits=(16, 3), readonly=True, help=AUC_HELP)
    user_id = fields.Many2one("res.users", string="Recorded By", readonly=True)
    origin = fields.Selection(ORIGINS, required=True, readonly=True)
    restored_from_id = fields.Many2one("retention.weight.set", readonly=True, ondelete="set null")
    note = fields.Char(readonly=True)
    is_current = fields.Boolean(
        string="In Force",
        compute="_compute_is_current",
        help="These are the weights of the company now.",
    )

    @api.depends_context("uid")
    @api.depends(*(f"weight_{name}" for name in FACTORS))
    def _compute_is_current(self):
        for weight_set in self:
            company = weight_set.company_id.sudo()
            weight_set.is_current = weight_set._weights() == company._retention_weights()

    @api.depends("date", "origin")
    def _compute_display_name(self):
        labels = dict(self._fields["origin"]._description_selection(self.env))
        for weight_set in self:
            day = fields.Datetime.to_string(weight_set.date)[:10] if weight_set.date else ""
            weight_set.display_name = f"{labels.get(weight_set.origin, '')} ({day})"

    def _weights(self):
        self.ensure_one()
        return {name: self[f"weight_{name}"] for name in FACTORS}

    # ------------------------------------------------------------------
    # Recording and applying (callers check the rights)
    # ------------------------------------------------------------------
    @api.model
    def _keep_current(self, company, auc):
        """Keep the weights in force as a set before they are replaced, unless the latest set
        already holds them (changed in Settings since, or never recorded: a new set)."""
        latest = self.sudo().search([("company_id", "=", company.id)], limit=1)
        current = company._retention_weights()
        if latest and latest._weights() == current:
            return latest
        return self._create_set(company, current, auc=auc, origin="previous")

    @api.model
    def _create_set(self, company, weights, auc, origin, note=False, restored_from=None):
        # sudo: sets are history written by these actions only (no user has create rights)
        values = {f"weight_{name}": weights[name] for name in FACTORS}
        values.update(
            {
                "company_id": company.id,
                "auc": auc if auc is not None else False,
                "user_id": self.env.uid,
                "origin": origin,
                "note": note,
                "restored_from_id": restored_from.id if restored_from else False,
            }
        )
        return self.sudo().create(values)

    @api.model
    def _apply(self, company, weights, auc, origin, note=False, restored_from=None):
        """Write the weights on the company, record them, and queue the company's customers
        for a refresh (the job recomputes their health with the new weights)."""
        company.write({f"retention_weight_{name}": weights[name] for name in FACTORS})
        weight_set = self._create_set(company, weights, auc, origin, note, restored_from)
        self._queue_recompute(company)
        return weight_set

    @api.model
    def _queue_recompute(self, company):
        """Every customer with figures in the company, into the refresh queue, and the refresh
        job triggered: the health scores follow in the background, not in this request."""
        self.env["res.partner"].flush_model()
        self.env.cr.execute(
            "SELECT id FROM res_partner WHERE id = commercial_partner_id AND retention_stage ? %s",
            [str(company.id)],
        )
        partner_ids = [row[0] for row in self.env.cr.fetchall()]
        self.env["retention.profile.builder"]._queue_refresh(partner_ids)
        self.env.ref("customer_retention.ir_cron_retention_refresh_changed").sudo()._trigger()

    @api.model
    def _history(self, company):
        """The latest sets of the company, as the Score Check lists them."""
        sets = self.search([("company_id", "=", company.id)], limit=HISTORY_LIMIT)
        labels = dict(self._fields["origin"]._description_selection(self.env))
        return [
            {
                "id": weight_set.id,
                "date": fields.Datetime.to_string(weight_set.date),
                "weights": weight_set._weights(),
                "auc": weight_set.auc if weight_set.auc else None,
                "user": weight_set.user_id.name or "",
                "origin": labels.get(weight_set.origin, ""),
                "note": weight_set.note or "",
                "is_current": weight_set.is_current,
            }
            for weight_set in sets
        ]

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_restore(self):
        """Administrators: make this set's weights the company's again (the weights in force
        are kept as a set first) and queue the customers for a refresh."""
        self.ensure_one()
        if not self.env.su and not self.env.user.has_group("base.group_system"):
            raise AccessError(self.env._("Only administrators can restore health score weights."))
        self.check_access("read")
        company = self.company_id
        if not self.env.su and company not in self.env.user.company_ids:
            raise AccessError(
                self.env._("You do not work in the company asked for: pick one of yours.")
            )
        weights = self._weights()
        if weights == company._retention_weights():
            raise UserError(self.env._("These weights are already the company's."))
        self._keep_current(company, auc=None)
        self._apply(
            company,
            weights,
            auc=self.auc or None,
            origin="restored",
            note=self.env._(
                "Restored the weights recorded on %(date)s.",
                date=fields.Datetime.to_string(self.date)[:16],
            ),
            restored_from=self,
        )
        return notification(
            self.env._("Weights restored; the customers' health scores are being recomputed.")
        )
