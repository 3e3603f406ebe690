from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ...engine.reviews import CADENCES
from ..profile.res_partner import INTERNAL_GROUPS
from ..retention_related_count_mixin import related_count


class ResPartner(models.Model):
    """What account reviews add to a customer: its cadence, next review and reviews."""

    _inherit = "res.partner"

    retention_next_review_date = fields.Date(
        string="Next Review",
        company_dependent=True,
        help="When this customer's next account review is due.",
        groups=INTERNAL_GROUPS,
    )
    retention_review_cadence = fields.Selection(
        CADENCES,
        string="Review Cadence",
        company_dependent=True,
        help="How often this customer's account is reviewed. Empty: the cadence set in Settings "
        "for its retention stage, else the default cadence.",
        groups=INTERNAL_GROUPS,
    )
    retention_review_cadence_effective = fields.Selection(
        CADENCES,
        string="Applied Review Cadence",
        compute="_compute_retention_review_cadence_effective",
        help="The cadence in force: the customer's own, else its stage's, else the default.",
        groups=INTERNAL_GROUPS,
    )
    retention_review_ids = fields.One2many(
        "retention.review",
        "partner_id",
        string="Account Reviews",
        groups="customer_retention.group_retention_user",
    )
    retention_review_count = related_count(
        "Reviews", "retention.review", "partner_id", "customer_retention.retention_review_action"
    )

    @api.depends_context("company")
    @api.depends("retention_review_cadence", "retention_stage")
    def _compute_retention_review_cadence_effective(self):
        company = self.env.company
        for partner in self:
            partner.retention_review_cadence_effective = company._retention_review_cadence(
                partner.retention_review_cadence, partner.retention_stage
            )

    def action_retention_plan_review(self):
        """Plan a review of this customer for today in the current company, unless one is
        already planned, and open it."""
        self.ensure_one()
        customer = self.commercial_partner_id
        open_review = self.env["retention.review"].search(
            [
                ("partner_id", "=", customer.id),
                ("company_id", "=", self.env.company.id),
                ("state", "=", "planned"),
            ],
            limit=1,
        )
        if open_review:
            raise UserError(
                self.env._(
                    "%(customer)s already has a review planned on %(date)s: complete or cancel "
                    "it before planning another one.",
                    customer=customer.display_name,
                    date=format_date(self.env, open_review.date_planned),
                )
            )
        review = self.env["retention.review"].create(
            {"partner_id": customer.id, "company_id": self.env.company.id}
        )
        return review._get_records_action(name=self.env._("Account Review"))

    def action_retention_view_reviews(self):
        action = self._retention_open_related("retention_review_count")
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    @api.ondelete(at_uninstall=False)
    def _unlink_except_reviewed(self):
        """Account reviews are the customer's history: they are kept, so the customer too."""
        # sudo: the reviews of every company keep a customer; the message names only the
        # customer being deleted, which the user reads
        reviewed = (
            self.env["retention.review"]
            .sudo()
            ._read_group([("partner_id", "in", self.ids)], ["partner_id"])
        )
        if reviewed:
            customer = self.browse(reviewed[0][0].id)
            raise UserError(
                self.env._(
                    "Archive %(customer)s instead of deleting it: its account reviews are kept "
                    "as history.",
                    customer=customer.display_name,
                )
            )

    def _retention_hand_over_records(self):
        records = super()._retention_hand_over_records()
        records["retention.review"] = set(self.retention_review_ids.ids)
        return records

    def _retention_hand_over_work(self, old, new):
        """The planned reviews the previous account manager was to hold go to the new one
        (their activity follows: retention.review.write)."""
        moved = super()._retention_hand_over_work(old, new)
        reviews = self.retention_review_ids.filtered(
            lambda r: r.state == "planned" and r.user_id == old
        )
        for review in reviews:
            reviewer = self._retention_responsible_user(review.company_id)
            if reviewer and reviewer != old:
                review.user_id = reviewer
        return moved
