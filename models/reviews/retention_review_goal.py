from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

GOAL_STATES = [("open", "Open"), ("done", "Done"), ("dropped", "Dropped")]
OWNER_SIDES = [("ours", "Ours"), ("customer", "The Customer's")]
#: What a goal of a done or cancelled review may still change: its history is kept as it
#: stood at that review (the open ones live on as copies on the next review).
CLOSED_GOAL_FIELDS = frozenset(["note"])


class RetentionReviewGoal(models.Model):
    """A goal or commitment agreed at an account review: who owns it (our side or the
    customer's), by when, and where it stands.

    Carried over by copy: when the next planned review of the customer is created (or
    exists when a review is completed), each goal still open on the last done review is
    copied to it, the copy pointing at the original (``carried_from_id``). The done review
    keeps its goals as they stood that day; the next review starts with "what we promised
    last time and where it stands" and updates the copies.
    """

    _name = "retention.review.goal"
    _description = "Account Review Goal"
    _order = "review_id, sequence, id"
    _check_company_auto = True

    review_id = fields.Many2one("retention.review", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="review_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="review_id.partner_id", string="Customer")
    sequence = fields.Integer(default=10)
    description = fields.Char(required=True, translate=False)
    owner_side = fields.Selection(
        OWNER_SIDES,
        required=True,
        default="ours",
        help="Ours: a commitment of our team. The Customer's: something the customer agreed to do.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Our Owner",
        domain="[('share', '=', False)]",
        check_company=True,
    )
    contact_id = fields.Many2one(
        "res.partner",
        string="Customer Owner",
        domain="[('commercial_partner_id', '=', partner_id)]",
    )
    date_due = fields.Date(string="Due Date")
    state = fields.Selection(GOAL_STATES, string="Status", required=True, default="open")
    note = fields.Text()
    carried_from_id = fields.Many2one(
        "retention.review.goal",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The same goal on the previous review, where it was still open.",
    )
    carried_from_review_id = fields.Many2one(
        related="carried_from_id.review_id", string="From Review"
    )

    _sql_constraints = [
        (
            "carried_once",
            "UNIQUE (carried_from_id)",
            "A goal is carried to the next review once.",
        )
    ]

    @api.constrains("owner_side", "user_id", "contact_id")
    def _check_owner(self):
        for goal in self:
            _ = self.env._
            if goal.owner_side == "ours" and goal.contact_id:
                message = _(
                    "%(goal)s is ours: name its owner among our users, not the customer's "
                    "contact %(contact)s.",
                    goal=goal.description,
                    contact=goal.contact_id.display_name,
                )
                raise ValidationError(message)
            if goal.owner_side == "customer" and goal.user_id:
                message = _(
                    "%(goal)s is the customer's: name its owner among the customer's contacts, "
                    "not our user %(user)s.",
                    goal=goal.description,
                    user=goal.user_id.name,
                )
                raise ValidationError(message)
            if goal.contact_id and (
                goal.contact_id.commercial_partner_id != goal.review_id.partner_id
            ):
                raise ValidationError(
                    self.env._(
                        "%(contact)s is not a contact of %(customer)s: choose one of the "
                        "customer's contacts as the owner of %(goal)s.",
                        contact=goal.contact_id.display_name,
                        customer=goal.review_id.partner_id.display_name,
                        goal=goal.description,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            reviews = self.env["retention.review"].browse(
                {vals["review_id"] for vals in vals_list if vals.get("review_id")}
            )
            reviews.check_access("write")
            for vals in vals_list:
                if vals.get("carried_from_id"):
                    raise UserError(
                        self.env._("Goals are carried from the last review by the review only.")
                    )
            reviews._check_goals_editable()
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self.review_id.check_access("write")
            if "carried_from_id" in vals or "review_id" in vals:
                raise UserError(
                    self.env._(
                        "A goal stays on its review; goals are carried to the next review by "
                        "the review only."
                    )
                )
            if vals.keys() - CLOSED_GOAL_FIELDS:
                self.review_id._check_goals_editable()
        return super().write(vals)

    def unlink(self):
        if not self.env.su:
            self.review_id.check_access("write")
            self.review_id._check_goals_editable()
        return super().unlink()

    def _carry_values(self, review):
        """The values of this goal's copy on ``review``."""
        self.ensure_one()
        return {
            "review_id": review.id,
            "carried_from_id": self.id,
            "sequence": self.sequence,
            "description": self.description,
            "owner_side": self.owner_side,
            "user_id": self.user_id.id,
            "contact_id": self.contact_id.id,
            "date_due": self.date_due,
            "state": "open",
            "note": self.note,
        }
