import re
import secrets
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.models import parse_read_group_spec
from odoo.tools import SQL, consteq, format_date, format_datetime

from ...engine import feedback as engine
from ..field_kinds import history_customer, record_company
from ..ui_actions import notification


class NullableInteger(fields.Integer):
    """A whole number stored as NULL, and read as empty, while it has no value: the score of
    an unanswered request. Odoo's Integer stores and shows such a value as 0, which reads as
    the worst NPS in lists and lowers the averages of pivots (SQL's AVG ignores NULL). A real
    0 (an NPS answer) is kept as 0."""

    def convert_to_column(self, value, record, values=None, validate=True):
        return None if value is None or value is False else int(value)

    def convert_to_cache(self, value, record, validate=True):
        if isinstance(value, dict):
            value = value.get("id", None)
        return None if value is None or value is False else int(value)

    def convert_to_record(self, value, record):
        return False if value is None else value

    def convert_to_export(self, value, record):
        return "" if value is False or value is None else value


KINDS = [("nps", "NPS (0-10)"), ("csat", "CSAT (1-5)")]
ORIGINS = [("project", "Project"), ("review", "Account Review"), ("manual", "Manual")]
STATES = [("requested", "Requested"), ("answered", "Answered"), ("expired", "Expired")]
CATEGORIES = [
    (engine.DETRACTOR, "Detractor"),
    (engine.PASSIVE, "Passive"),
    (engine.PROMOTER, "Promoter"),
]
#: Longest comment a customer may leave (characters).
COMMENT_MAX_LENGTH = 2000
#: The tokens made by secrets.token_urlsafe(32): 43 URL-safe base64 characters.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
TEMPLATE_XMLID = "customer_retention.mail_template_feedback_request"
ALERT_ACTIVITY_XMLID = "customer_retention.mail_activity_type_detractor"
#: Stored measures whose average, over the answers of their kind only, is the NPS / CSAT.
POINT_MEASURES = {"nps_points": engine.NPS, "csat_points": engine.CSAT}
#: Answers a link takes per window (a changed answer counts): more are refused until the
#: window ends, so that a script cannot flood the request and its chatter.
ANSWER_LIMIT = 5
ANSWER_WINDOW = timedelta(hours=1)

#: The answer and the workflow of a request. The module writes them as superuser after its own
#: checks (the public page, the expiry job, Send again); a Retention Manager may correct them,
#: logged in the chatter; other users never.
MANAGER_FIELDS = (
    "state",
    "score",
    "comment",
    "date_answered",
    "date_expiry",
    "date_requested",
    "kind",
    "partner_id",
    "contact_id",
    "company_id",
    "origin",
)
#: Never set by a user when a request is created: it starts unanswered.
ANSWER_FIELDS = ("score", "comment", "date_answered")
#: Dates a Retention Manager only may choose when creating a request.
DATE_FIELDS = ("date_requested", "date_expiry")
#: Written by the module only, as superuser: no user may set them, managers included.
MODULE_FIELDS = (
    "feedback_token",
    "alert_activity_id",
    "alerted",
    "category",
    "nps_points",
    "csat_points",
    "answer_window_start",
    "answer_window_count",
    "answer_message_id",
)
MANAGER_GROUP = "customer_retention.group_retention_manager"


class AnswerLimitReached(UserError):
    """The link took too many answers in the current window (see ANSWER_LIMIT)."""


class RetentionFeedback(models.Model):
    """One feedback request to a customer contact, and its answer.

    The contact gets an email with a private link (an unguessable token) to a public page
    asking one question: NPS (0-10) or CSAT (1-5). The answer can be changed until the request
    expires. Answers feed the satisfaction factor of the health score; a detractor raises an
    alert activity for the account manager, once per request.

    Odoo's rating.rating is not used to store the answers: its scale is fixed to 1/3/5 and
    NPS needs 0-10. Ratings still count in the health score next to these answers.
    """

    _name = "retention.feedback"
    _description = "Customer Feedback"
    _inherit = ["mail.thread", "mail.activity.mixin", "retention.job.mixin"]
    _order = "date_requested desc, id desc"
    _check_company_auto = True
    _rec_names_search = ["partner_id", "contact_id"]

    # deleting a customer with answers is refused (res.partner._unlink_except_retention_feedback)
    partner_id = history_customer("The commercial customer the feedback is about.")
    contact_id = fields.Many2one(
        "res.partner",
        # required when a request is made (_check_contact); emptied only when the contact is
        # deleted, so that the answer stays with the customer
        ondelete="set null",
        index="btree_not_null",
        check_company=True,
        help="Who is asked: the person the email goes to, in their language. Empty when the "
        "contact was deleted after the request: the answer stays with the customer.",
    )
    company_id = record_company()
    user_id = fields.Many2one(
        "res.users",
        string="Account Manager",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
        help="Who looked after the customer when the request was made: its account manager, "
        "else its salesperson, else the fallback reviewer of the company.",
    )
    origin = fields.Selection(ORIGINS, required=True, default="manual", readonly=True)
    project_id = fields.Many2one(
        "project.project",
        index="btree_not_null",
        ondelete="set null",
        check_company=True,
    )
    review_id = fields.Many2one(
        "retention.review",
        string="Account Review",
        index="btree_not_null",
        ondelete="set null",
        check_company=True,
    )
    kind = fields.Selection(
        KINDS,
        string="Question",
        required=True,
        default=lambda self: self.env.company.retention_feedback_kind or engine.NPS,
        help="NPS: how likely is the customer to recommend you, 0-10. "
        "CSAT: how satisfied is the customer, 1-5.",
    )
    score = NullableInteger(
        aggregator="avg",
        readonly=True,
        copy=False,
        help="The answer; empty until the customer answers (averages count answers only).",
    )
    comment = fields.Text(readonly=True, copy=False, help="What the customer wrote, as plain text.")
    state = fields.Selection(
        STATES,
        string="Status",
        required=True,
        default="requested",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    date_requested = fields.Datetime(
        string="Requested On",
        required=True,
        readonly=True,
        copy=False,
        default=fields.Datetime.now,
    )
    date_expiry = fields.Datetime(
        string="Expires On",
        compute="_compute_date_expiry",
        store=True,
        readonly=False,
        precompute=True,
        copy=False,
        help="The link can be used, and the answer changed, until then.",
    )
    date_answered = fields.Datetime(string="Answered On", readonly=True, copy=False, index=True)
    category = fields.Selection(
        CATEGORIES,
        compute="_compute_measures",
        store=True,
        index=True,
        help="NPS: promoters 9-10, passives 7-8, detractors 0-6. "
        "CSAT: promoters 4-5, passives 3, detractors 1-2.",
    )
    nps_points = fields.Integer(
        string="NPS",
        compute="_compute_measures",
        store=True,
        aggregator="avg",
        help="Average it over answers to get the NPS: +100 per promoter, -100 per detractor, "
        "0 per passive. In pivots and graphs the average counts answered NPS requests only, so "
        "the figure of each group IS its NPS (-100 to +100).",
    )
    csat_points = fields.Integer(
        string="CSAT (%)",
        compute="_compute_measures",
        store=True,
        aggregator="avg",
        help="Average it over answers to get the CSAT: 100 per answer of 4-5, else 0. In "
        "pivots and graphs the average counts answered CSAT requests only, so the figure of "
        "each group IS its CSAT (% satisfied).",
    )
    # Not named access_token: mail and portal take a field of that name as a key to the
    # record's chatter (_mail_post_token_field). This secret opens the feedback page only.
    feedback_token = fields.Char(
        string="Feedback Link Token",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: secrets.token_urlsafe(32),
        groups="base.group_system",  # the link is built with sudo; users never read the secret
        help="Technical: the secret in the link sent to the contact.",
    )
    alert_activity_id = fields.Many2one(
        "mail.activity", string="Detractor Alert", readonly=True, copy=False, ondelete="set null"
    )
    alerted = fields.Boolean(
        readonly=True, copy=False, help="A detractor alert was raised for this request."
    )
    answer_window_start = fields.Datetime(
        readonly=True,
        copy=False,
        help="Technical: start of the hour in which the answers through the link are counted.",
    )
    answer_window_count = fields.Integer(
        readonly=True,
        copy=False,
        help="Technical: answers received through the link since the start of the window.",
    )
    answer_message_id = fields.Many2one(
        "mail.message",
        string="Answer Note",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="Technical: the chatter note of the answer, updated when the answer changes.",
    )

    _sql_constraints = [
        ("feedback_token_unique", "UNIQUE (feedback_token)", "Feedback links must be unique."),
    ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends("partner_id", "company_id")
    def _compute_user_id(self):
        for feedback in self:
            feedback.user_id = (
                feedback.partner_id._retention_responsible_user(feedback.company_id)
                if feedback.partner_id
                else False
            )

    @api.depends("date_requested", "company_id")
    def _compute_date_expiry(self):
        for feedback in self:
            days = feedback.company_id.sudo().retention_feedback_validity_days or 30
            start = feedback.date_requested or fields.Datetime.now()
            feedback.date_expiry = start + timedelta(days=days)

    @api.depends("kind", "score", "state")
    def _compute_measures(self):
        for feedback in self:
            answered = feedback.state == "answered"
            kind, score = feedback.kind, feedback.score
            feedback.category = engine.category_of(kind, score) if answered else False
            feedback.nps_points = engine.nps_points(kind, score) if answered else 0
            feedback.csat_points = engine.csat_points(kind, score) if answered else 0

    @api.depends("partner_id", "kind", "date_requested")
    def _compute_display_name(self):
        labels = dict(KINDS)
        for feedback in self:
            feedback.display_name = self.env._(
                "%(kind)s of %(customer)s, %(date)s",
                kind=labels.get(feedback.kind, ""),
                customer=feedback.partner_id.display_name or "",
                date=format_date(self.env, feedback.date_requested),
            )

    # ------------------------------------------------------------------
    # Pivot and graph: the average of the points counts the answers of their kind only
    # ------------------------------------------------------------------
    @api.model
    def _read_group_select(self, aggregate_spec, query):
        if aggregate_spec != "__count":
            fname, _property, func = parse_read_group_spec(aggregate_spec)
            if func == "avg" and fname in POINT_MEASURES:
                super()._read_group_select(aggregate_spec, query)  # access checks
                return SQL(
                    "AVG(CASE WHEN %s = %s AND %s = 'answered' THEN %s END)",
                    self._field_to_sql(self._table, "kind", query),
                    POINT_MEASURES[fname],
                    self._field_to_sql(self._table, "state", query),
                    self._field_to_sql(self._table, fname, query),
                )
        return super()._read_group_select(aggregate_spec, query)

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("kind", "score", "state")
    def _check_score(self):
        for feedback in self:
            if feedback.state != "answered" and not feedback.score:
                continue
            if not engine.is_valid_score(feedback.kind, feedback.score):
                low, high = engine.scale_of(feedback.kind)
                raise ValidationError(
                    self.env._(
                        "The score must be a whole number from %(low)s to %(high)s, not %(score)s.",
                        low=low,
                        high=high,
                        score=feedback.score,
                    )
                )

    @api.constrains("comment")
    def _check_comment(self):
        for feedback in self:
            if feedback.comment and len(feedback.comment) > COMMENT_MAX_LENGTH:
                raise ValidationError(
                    self.env._(
                        "The comment is too long: %(max)s characters at most, not %(length)s.",
                        max=COMMENT_MAX_LENGTH,
                        length=len(feedback.comment),
                    )
                )

    @api.constrains("partner_id", "contact_id")
    def _check_contact(self):
        for feedback in self:
            if not feedback.contact_id:
                raise ValidationError(self.env._("Choose the contact to ask for feedback."))
            if feedback.partner_id != feedback.partner_id.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "Feedback is about a commercial customer (a company or an individual), "
                        "not %(partner)s.",
                        partner=feedback.partner_id.display_name,
                    )
                )
            if feedback.contact_id.commercial_partner_id != feedback.partner_id:
                raise ValidationError(
                    self.env._(
                        "The contact %(contact)s does not belong to the customer %(customer)s.",
                        contact=feedback.contact_id.display_name,
                        customer=feedback.partner_id.display_name,
                    )
                )

    # ------------------------------------------------------------------
    # Who writes what (Odoo does not enforce readonly=True on RPC writes)
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                self._check_user_values(vals, creating=True)
        return super().create(vals_list)

    def write(self, vals):
        logged = ()
        if not self.env.su:
            self._check_user_values(vals, creating=False)
            logged = [fname for fname in MANAGER_FIELDS if fname in vals]
            before = {feedback: feedback._display_values(logged) for feedback in self}
        result = super().write(vals)
        if logged:
            for feedback, old_values in before.items():
                feedback._log_manager_change(old_values, feedback._display_values(logged))
        return result

    def _field_labels(self, fnames):
        return ", ".join(self._fields[fname]._description_string(self.env) for fname in fnames)

    @api.model
    def _check_user_values(self, vals, creating):
        """AccessError when a user (not the module working as superuser) sets a field that is
        not theirs to set: the answer and the workflow, the module's own fields, a company
        they are not in. The messages name fields, never records."""
        _ = self.env._
        module_only = [fname for fname in MODULE_FIELDS if fname in vals]
        if module_only:
            raise AccessError(
                _(
                    "%(fields)s of a feedback request are kept by the module: they cannot be "
                    "set by hand.",
                    fields=self._field_labels(module_only),
                )
            )
        if creating:
            answer = [fname for fname in ANSWER_FIELDS if fname in vals]
            if vals.get("state", "requested") != "requested":
                answer.insert(0, "state")
            if answer:
                raise AccessError(
                    _(
                        "A feedback request is created unanswered: %(fields)s cannot be set. "
                        "The customer answers through the link in the email.",
                        fields=self._field_labels(answer),
                    )
                )
        managed = DATE_FIELDS if creating else MANAGER_FIELDS
        protected = [fname for fname in managed if fname in vals]
        if protected and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                _(
                    "Only a Retention Manager can change %(fields)s of a feedback request: the "
                    "customer answers through the link in the email, and Send again reopens an "
                    "expired request.",
                    fields=self._field_labels(protected),
                )
            )
        company_id = vals.get("company_id")
        if company_id and company_id not in self.env.user.company_ids.ids:
            raise AccessError(
                _("A feedback request can only belong to one of the companies you work in.")
            )

    def _display_values(self, fnames):
        """{field: the value as a person reads it} of this request."""
        self.ensure_one()
        values = {}
        for fname in fnames:
            field, value = self._fields[fname], self[fname]
            if field.type == "selection":
                text = dict(field._description_selection(self.env)).get(value)
            elif field.type == "many2one":
                text = value.display_name
            elif field.type == "datetime":
                text = format_datetime(self.env, value) if value else ""
            elif field.type == "integer":
                text = str(value) if value or self.state == "answered" else ""
            else:
                text = value
            values[fname] = text or "-"
        return values

    def _log_manager_change(self, old_values, new_values):
        """A manager changed the answer or the workflow: who, and each field old → new."""
        changes = [fname for fname in old_values if old_values[fname] != new_values[fname]]
        if not changes:
            return
        lines = Markup().join(
            Markup("<li>%s</li>")
            % self.env._(
                "%(field)s: %(old)s → %(new)s",
                field=self._fields[fname]._description_string(self.env),
                old=old_values[fname],
                new=new_values[fname],
            )
            for fname in changes
        )
        intro = self.env._("Changed by %(user)s:", user=self.env.user.name)
        self.message_post(
            body=Markup("<p>%s</p><ul>%s</ul>") % (intro, lines), subtype_xmlid="mail.mt_note"
        )

    # ------------------------------------------------------------------
    # The chatter is no portal thread
    # ------------------------------------------------------------------
    @api.model
    def _get_thread_with_access(self, thread_id, mode="read", **kwargs):
        """Only the rights of the user open the chatter of a request (/mail/message/post,
        /mail/chatter_fetch, /mail/thread/data...): the token and signed hash the portal
        accepts instead are ignored. The secret of the link opens the feedback page only. (No
        field is named after _mail_post_token_field: the portal's token checks fail closed.)"""
        kwargs = {
            key: value for key, value in kwargs.items() if key not in ("token", "hash", "pid")
        }
        return super()._get_thread_with_access(thread_id, mode, **kwargs)

    # ------------------------------------------------------------------
    # The public link
    # ------------------------------------------------------------------
    def _get_feedback_url(self):
        """The absolute link of the public page of this request."""
        self.ensure_one()
        # sudo: the secret is hidden from users (groups); the callers decide who gets the link
        return f"{self.get_base_url()}/retention/feedback/{self.sudo().feedback_token}"

    def _email_score_links(self):
        """[(score, link)] for the email: each link opens the page with that score chosen
        (nothing is recorded until the customer sends the form)."""
        self.ensure_one()
        low, high = engine.scale_of(self.kind)
        url = self._get_feedback_url()
        return [(score, f"{url}?score={score}") for score in range(low, high + 1)]

    @api.model
    def _find_by_token(self, token):
        """The request of this token (as superuser), or an empty recordset for a malformed,
        unknown or tampered token. The database finds the candidate by its unique token; the
        comparison is then repeated in constant time."""
        if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
            return self.browse()
        # sudo: the visitor of the public page has no rights; the token is their credential
        feedback = self.sudo().search([("feedback_token", "=", token)], limit=1)
        if not feedback or not consteq(feedback.feedback_token, token):
            return self.browse()
        return feedback

    def _is_open(self):
        """Whether the link can still be used: not expired (by date or by the job)."""
        self.ensure_one()
        return self.state != "expired" and fields.Datetime.now() < self.date_expiry

    def _public_values(self):
        """The only data of this request the public page shows: no record reaches it."""
        self.ensure_one()
        low, high = engine.scale_of(self.kind)
        company = self.company_id
        return {
            "feedback_kind": self.kind,
            "scores": list(range(low, high + 1)),
            "low": low,
            "high": high,
            "score": self.score if self.state == "answered" else None,
            "comment": self.comment or "",
            "answered": self.state == "answered",
            "company_name": company.name,
            "company_id": company.id,
            "project_name": self.project_id.name or "",
            "expiry": format_date(self.env, self.date_expiry),
            "comment_max": COMMENT_MAX_LENGTH,
        }

    # ------------------------------------------------------------------
    # Requesting
    # ------------------------------------------------------------------
    @api.model
    def _contact_for(self, partner):
        """Who to ask on behalf of this partner: itself when it has an email, else the first
        contact of its company that has one. UserError when nobody can be emailed."""
        # sudo: the customer's contacts are searched for an email whoever asks; _request
        # checked that the caller may read the partner
        partner = partner.sudo()
        if partner.email:
            return partner
        customer = partner.commercial_partner_id
        contact = (customer | customer.child_ids).filtered(lambda p: p.email and p.active)[:1]
        if not contact:
            raise UserError(
                self.env._(
                    "Nobody can be asked for feedback at %(customer)s: add an email address to "
                    "the customer or one of its contacts.",
                    customer=customer.display_name,
                )
            )
        return contact

    @api.model
    def _request(
        self, partner, kind=None, origin="manual", project=None, review=None, company=None
    ):
        """Create a request to ``partner`` (a contact, or a customer: its emailable contact)
        and email it; returns the new request. The caller must be able to read the partner,
        project and review it asks about (the contact is then looked up as superuser)."""
        for record in (partner, project, review):
            if record:
                record.check_access("read")
        company = company or self.env.company
        contact = self._contact_for(partner)
        feedback = self.create(
            {
                "partner_id": contact.commercial_partner_id.id,
                "contact_id": contact.id,
                "company_id": company.id,
                "kind": kind or company.retention_feedback_kind or engine.NPS,
                "origin": origin,
                "project_id": project.id if project else False,
                "review_id": review.id if review else False,
            }
        )
        feedback._send_request()
        return feedback

    def _send_request(self):
        """Email the request with its link, in the contact's language; logged on the request."""
        template = self.env.ref(TEMPLATE_XMLID)
        for feedback in self:
            feedback.message_post_with_source(
                template, message_type="comment", subtype_xmlid="mail.mt_comment"
            )

    def action_send_again(self):
        """Send the email again (same link); a request that expired gets a new date. For the
        users who may change these requests; an answered request is not asked again."""
        self.check_access("write")
        _ = self.env._
        for feedback in self:
            if feedback.state == "answered":
                raise UserError(
                    _(
                        "%(request)s is answered already: it is not sent again.",
                        request=feedback.display_name,
                    )
                )
            if not feedback.contact_id:
                raise UserError(
                    _(
                        "The contact of %(request)s was deleted: request feedback from the "
                        "customer again.",
                        request=feedback.display_name,
                    )
                )
        expired = self.filtered(lambda feedback: feedback.state == "expired")
        # sudo: reopening an expired request is this button's job, and the state and dates
        # are written by the module only; the caller's right to change them was checked above.
        # The expiry date follows the new request date (computed).
        expired.sudo().write({"state": "requested", "date_requested": fields.Datetime.now()})
        self._send_request()
        return True

    def action_open_public_page(self):
        """Preview the page the customer sees (opens the link): for the users who may change
        this request, as the link lets its holder answer."""
        self.ensure_one()
        self.check_access("write")
        return {"type": "ir.actions.act_url", "url": self._get_feedback_url(), "target": "new"}

    @api.model
    def _notify_requested(self, feedback):
        return notification(
            self.env._("Feedback request sent to %(contact)s.", contact=feedback.contact_id.name)
        )

    # ------------------------------------------------------------------
    # Answering (public page)
    # ------------------------------------------------------------------
    def _contact_name(self):
        """Who answers: the contact, or the customer once the contact was deleted."""
        return self.contact_id.name or self.partner_id.name

    def _answer(self, score, comment=None):
        """Record (or change) the answer of an open request; ValidationError on a bad score or
        comment, UserError when the request expired, AnswerLimitReached when the link took
        ANSWER_LIMIT answers in the current window. Called by the public page for the holder
        of the link's token; a changed answer updates the answer note instead of adding one."""
        self.ensure_one()
        # sudo: the answer, its note and the alert are written by the module only, for the
        # holder of the token (the public page found this request by it), after the checks below
        feedback = self.sudo()
        if not feedback._is_open():
            raise UserError(self.env._("This feedback request has expired."))
        now = fields.Datetime.now()
        window_start, answers = feedback.answer_window_start, feedback.answer_window_count
        if not window_start or now - window_start >= ANSWER_WINDOW:
            window_start, answers = now, 0
        if answers >= ANSWER_LIMIT:
            raise AnswerLimitReached(
                self.env._(
                    "This answer was changed several times in the last hour: please try again "
                    "later."
                )
            )
        comment = (comment or "").strip() or False
        first = feedback.state != "answered"
        feedback.write(
            {
                "score": score,
                "comment": comment,
                "state": "answered",
                "date_answered": now,
                "answer_window_start": window_start,
                "answer_window_count": answers + 1,
            }
        )
        if feedback.category == engine.DETRACTOR:
            feedback._raise_detractor_alert()
        elif feedback.alert_activity_id:
            feedback._update_alert_note()
        feedback._post_answer_note(first)
        feedback.partner_id._retention_refresh_soon()
        return True

    def _post_answer_note(self, first):
        """The chatter note of the answer, as the contact: posted once, then updated."""
        body = self.env._(
            "%(who)s %(action)s: %(score)s.",
            who=self._contact_name(),
            action=self.env._("answered") if first else self.env._("changed the answer"),
            score=self.score,
        )
        note = self.answer_message_id
        if note and note.model == self._name and note.res_id == self.id:
            # our own note (no tracking values): its content is replaced, marked as edited
            self._message_update_content(note, body, strict=False)
            return
        note = self.message_post(
            body=body,
            subtype_xmlid="mail.mt_note",
            author_id=(self.contact_id or self.partner_id).id,
        )
        self.write({"answer_message_id": note.id})

    def _alert_assignee(self):
        """Who looks after the customer now (res.partner._retention_responsible_user), else
        whoever requested the feedback."""
        self.ensure_one()
        user = self.partner_id._retention_responsible_user(self.company_id)
        if not user and self.create_uid and not self.create_uid.share:
            user = self.create_uid
        return user

    def _alert_note(self):
        self.ensure_one()
        note = Markup("<p>%s</p>") % self.env._(
            "%(contact)s answered %(score)s to the %(kind)s question.",
            contact=self._contact_name(),
            score=self.score,
            kind=dict(KINDS)[self.kind],
        )
        if self.comment:
            note += Markup("<blockquote>%s</blockquote>") % self.comment
        return note + Markup("<p>%s</p>") % self._get_html_link(title=self.display_name)

    def _raise_detractor_alert(self):
        """One alert activity per request on the customer, for the account manager; a
        changed answer updates it instead of adding another. Called as superuser by _answer."""
        self.ensure_one()
        if self.alerted:
            if self.alert_activity_id:
                self._update_alert_note()
            return
        user = self._alert_assignee()
        activity = self.env["mail.activity"]
        if user:
            # sudo: the alert is the module's, whoever answered (see _answer)
            activity = self.partner_id.sudo().activity_schedule(
                ALERT_ACTIVITY_XMLID,
                summary=self.env._(
                    "Detractor feedback: call %(contact)s", contact=self._contact_name()
                ),
                note=self._alert_note(),
                user_id=user.id,
                date_deadline=fields.Date.context_today(self),
            )
        self.sudo().write({"alerted": True, "alert_activity_id": activity.id})

    def _update_alert_note(self):
        """Rewrite the note of this request's own alert: the activity must still be the
        detractor alert on this customer, else nothing is touched."""
        # sudo: the alert activity is assigned to someone else than whoever answered
        activity = self.alert_activity_id.sudo()
        if (
            activity.res_model == "res.partner"
            and activity.res_id == self.partner_id.id
            and activity.activity_type_id == self.env.ref(ALERT_ACTIVITY_XMLID)
        ):
            activity.write({"note": self._alert_note()})

    # ------------------------------------------------------------------
    # Expiry
    # ------------------------------------------------------------------
    @api.model
    def _cron_expire_requests(self):
        """Daily: unanswered requests past their expiry date become expired (the public page
        refuses them already by date), committed with the progress reported by the job helper
        (retention.job.mixin): the first batch expires them all, the next finds none."""
        done, _remaining = self._job_run_batches(iter(self._expire_overdue_requests, 0))
        return done

    @api.model
    def _expire_overdue_requests(self):
        """One UPDATE of every overdue request; returns how many expired."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE retention_feedback SET state = 'expired', write_date = %(now)s
                 WHERE state = 'requested' AND date_expiry <= %(now)s
                """,
                now=fields.Datetime.now(),
            )
        )
        expired = self.env.cr.rowcount
        self.invalidate_model(["state"])
        return expired
