from dataclasses import fields as fields_of

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ...engine.health import DEFAULT_WEIGHTS, FACTORS, StageRules
from ..field_kinds import setting

WEIGHT_HELP = "Weight of this factor in the health score (0 to 100; 0 leaves it out)."
#: Longest window of the stage rules and engagement, in days (ten years).
MAX_WINDOW_DAYS = 3650


#: The facts the stage rules read, as SQL expressions (retention_stage_sql).
STAGE_FACTS = ("as_of", "first_invoice", "last_invoice", "winback", "lost", "health")


def retention_stage_sql(rules, row, **facts):
    """engine.health.retention_stage in SQL: the same rules in the same order, with the same
    day windows (``rules``, a StageRules), on facts given as SQL expressions: the day the
    stage is taken ``as_of`` (its ``today``), the dates of the customer's first and last
    invoice, of its latest win-back invoice and of its loss recorded by a review (each NULL
    when there is none as of that day), and the health score (NULL when unknown: then never
    at risk). Each fact is the column of its name (STAGE_FACTS) of the table or alias ``row``
    unless given in ``facts``. The only SQL of the stage rules; tests/test_rule_owners.py
    holds it against the engine."""
    unknown = set(facts) - set(STAGE_FACTS)
    if unknown:
        raise TypeError(f"retention_stage_sql: unknown facts {sorted(unknown)}")
    facts = {name: facts.get(name, SQL.identifier(row, name)) for name in STAGE_FACTS}
    return SQL(
        """
        CASE WHEN %(last_invoice)s IS NULL THEN 'prospect'
             WHEN %(as_of)s - %(last_invoice)s > %(churn)s THEN 'churned'
             WHEN %(lost)s IS NOT NULL AND %(last_invoice)s <= %(lost)s THEN 'churned'
             WHEN %(health)s < %(threshold)s THEN 'at_risk'
             WHEN %(as_of)s - %(winback)s <= %(won_back)s THEN 'won_back'
             WHEN %(as_of)s - %(first_invoice)s <= %(onboarding)s THEN 'new'
             ELSE 'active' END
        """,
        **facts,
        churn=rules.churn_days,
        threshold=rules.at_risk_threshold,
        won_back=rules.won_back_days,
        onboarding=rules.onboarding_days,
    )


def weight_setting(factor, label):
    """The company's weight of one health factor, starting from the engine's default."""
    return setting(fields.Integer, label, DEFAULT_WEIGHTS[factor], WEIGHT_HELP)


class ResCompany(models.Model):
    _inherit = "res.company"

    # Health score weights: one per factor of engine.health.FACTORS.
    retention_weight_recency = weight_setting("recency", "Recency of purchase weight")
    retention_weight_trend = weight_setting("trend", "Revenue trend weight")
    retention_weight_payment = weight_setting("payment", "Payment behaviour weight")
    retention_weight_engagement = weight_setting("engagement", "Engagement weight")
    retention_weight_satisfaction = weight_setting("satisfaction", "Satisfaction weight")
    retention_weight_delivery = weight_setting("delivery", "Delivery weight")

    retention_history_months = setting(
        fields.Integer,
        "Health history (months)",
        24,
        "How many closed months before the current one keep a health score and factor "
        "scores as of their last day (the health chart and the back-test read them). "
        "Changing it, or one of the stage rules, has the daily snapshot job rebuild every "
        "month of the history.",
    )

    # Stage rules.
    retention_churn_days = setting(
        fields.Integer,
        "Churn window (days)",
        365,
        "A customer whose last invoice is older than this is churned.",
    )
    retention_at_risk_threshold = setting(
        fields.Integer,
        "At-risk threshold",
        50,
        "A customer whose health score is below this is at risk.",
    )
    retention_won_back_days = setting(
        fields.Integer,
        "Won-back period (days)",
        180,
        "A customer invoiced again after a gap longer than the churn window stays "
        "'won back' for this many days.",
    )
    retention_onboarding_days = setting(
        fields.Integer,
        "Onboarding period (days)",
        90,
        "A customer whose first invoice is more recent than this is new.",
    )
    retention_engagement_full_days = setting(
        fields.Integer,
        "Engagement: full score until (days)",
        30,
        "Engagement scores 100 while the last contact is at most this many days old.",
    )
    retention_engagement_zero_days = setting(
        fields.Integer,
        "Engagement: zero score from (days)",
        180,
        "Engagement scores 0 once the last contact is this many days old or more.",
    )

    retention_weights_changed_on = fields.Datetime(
        string="Health Weights Changed On",
        readonly=True,
        help="When the health score weights last changed: scores computed since follow the "
        "new weights, without counting the change in the customers' health trend.",
    )

    def _retention_changing(self, vals, names):
        """The companies of ``self`` whose value of one of the fields ``names`` ``vals``
        changes (read before the write)."""
        if not set(names) & vals.keys():
            return self.browse()
        return self.filtered(
            lambda company: any(name in vals and company[name] != vals[name] for name in names)
        )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        # sudo: the index is the database's, made for whoever may create a company
        self.env["res.partner"].sudo()._retention_create_stage_indexes(companies)
        return companies

    def write(self, vals):
        changed = self._retention_changing(vals, [f"retention_weight_{name}" for name in FACTORS])
        result = super().write(vals)
        if changed:
            # sudo: the date is the module's record of the change, written for whoever may
            # change the weights
            changed.sudo().write({"retention_weights_changed_on": fields.Datetime.now()})
        return result

    def _retention_weights(self):
        """The health score weights of this company, keyed by factor name."""
        self.ensure_one()
        return {name: self[f"retention_weight_{name}"] for name in FACTORS}

    def _retention_fallback_responsible(self):
        """Hook: who looks after the customers of this company that have neither an account
        manager nor a salesperson who may (res.partner._retention_responsible_users). Nobody
        here; account reviews return their fallback reviewer."""
        self.ensure_one()
        return self.env["res.users"]

    def _retention_stage_rules(self):
        self.ensure_one()
        # every number of the rules is a setting of the same name: retention_<name>
        return StageRules(
            **{rule.name: self[f"retention_{rule.name}"] for rule in fields_of(StageRules)}
        )

    def _retention_stage_sql(self, row, **facts):
        """This company's stage rules in SQL, on the facts given (see retention_stage_sql)."""
        self.ensure_one()
        return retention_stage_sql(self._retention_stage_rules(), row, **facts)

    @api.constrains(*(f"retention_weight_{name}" for name in FACTORS))
    def _check_retention_weights(self):
        for company in self:
            weights = company._retention_weights()
            if any(weight < 0 or weight > 100 for weight in weights.values()):
                raise ValidationError(
                    self.env._(
                        "Health score weights must be between 0 and 100 (company %(company)s).",
                        company=company.name,
                    )
                )
            if not any(weights.values()):
                raise ValidationError(
                    self.env._(
                        "At least one health score weight must be above zero, otherwise no "
                        "health score can be computed (company %(company)s).",
                        company=company.name,
                    )
                )

    @api.constrains("retention_history_months")
    def _check_retention_history_months(self):
        for company in self:
            if not 0 <= company.retention_history_months <= 120:
                raise ValidationError(
                    self.env._(
                        "The health history must be between 0 and 120 months (company "
                        "%(company)s).",
                        company=company.name,
                    )
                )

    @api.constrains(
        "retention_churn_days",
        "retention_won_back_days",
        "retention_onboarding_days",
        "retention_engagement_full_days",
        "retention_engagement_zero_days",
    )
    def _check_retention_windows(self):
        for company in self:
            windows = {
                self.env._("Churn window"): company.retention_churn_days,
                self.env._("Won-back period"): company.retention_won_back_days,
                self.env._("Onboarding period"): company.retention_onboarding_days,
                self.env._("Engagement full-score days"): company.retention_engagement_full_days,
                self.env._("Engagement zero-score days"): company.retention_engagement_zero_days,
            }
            for label, days in windows.items():
                if not 1 <= days <= MAX_WINDOW_DAYS:
                    raise ValidationError(
                        self.env._(
                            "%(setting)s must be between 1 and %(max)s days, not %(days)s.",
                            setting=label,
                            max=MAX_WINDOW_DAYS,
                            days=days,
                        )
                    )
            if company.retention_engagement_full_days >= company.retention_engagement_zero_days:
                raise ValidationError(
                    self.env._(
                        "Engagement: the full-score days (%(full)s) must be fewer than the "
                        "zero-score days (%(zero)s).",
                        full=company.retention_engagement_full_days,
                        zero=company.retention_engagement_zero_days,
                    )
                )

    @api.constrains("retention_at_risk_threshold")
    def _check_retention_at_risk_threshold(self):
        for company in self:
            if not 0 <= company.retention_at_risk_threshold <= 100:
                raise ValidationError(
                    self.env._(
                        "The at-risk threshold is a health score: between 0 and 100, not %(value)s.",  # noqa: E501
                        value=company.retention_at_risk_threshold,
                    )
                )
