"""Public pages of feedback requests: a customer answers through the private link emailed to
them, without logging in."""

from odoo import http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request
from odoo.tools.misc import get_lang

from ..engine import feedback as engine
from ..models.feedback.retention_feedback import COMMENT_MAX_LENGTH, AnswerLimitReached

PAGE = "customer_retention.retention_feedback_page"
THANKS = "customer_retention.retention_feedback_page_thanks"
INVALID = "customer_retention.retention_feedback_page_invalid"


def public_page(path, method):
    """A route of the feedback page: public (the link's token is the only key), one method,
    not in the sitemap."""
    return http.route(path, type="http", auth="public", methods=[method], sitemap=False)


class RetentionFeedbackController(http.Controller):
    @public_page("/retention/feedback/<string:token>", "GET")
    def feedback_page(self, token, score=None, **kwargs):
        """The question, with the current answer (or the score clicked in the email)."""
        feedback, refusal = self._get_open_feedback(token)
        if refusal:
            return refusal
        values = self._page_values(feedback, token)
        chosen = self._parse_score(feedback.kind, score)
        if chosen is not None:
            values["score"] = chosen
        return request.render(PAGE, values)

    @public_page("/retention/feedback/<string:token>/submit", "POST")
    def feedback_submit(self, token, score=None, comment=None, **kwargs):
        """Record or change the answer; a bad score or comment shows the question again with
        the reason, and nothing is stored. A link takes a few answers an hour: beyond, the
        question is shown again with status 429, and nothing is stored."""
        feedback, refusal = self._get_open_feedback(token)
        if refusal:
            return refusal
        _ = request.env._
        comment = comment or ""
        parsed = self._parse_score(feedback.kind, score)
        error, status = None, 400
        if parsed is None:
            low, high = engine.scale_of(feedback.kind)
            error = _("Choose a score from %(low)s to %(high)s.", low=low, high=high)
        elif len(comment) > COMMENT_MAX_LENGTH:
            error = _(
                "Your comment is too long: %(max)s characters at most.", max=COMMENT_MAX_LENGTH
            )
        if not error:
            try:
                with request.env.cr.savepoint():
                    feedback._answer(parsed, comment)
            except AnswerLimitReached as refused:
                error, status = refused.args[0], 429
            except (UserError, ValidationError):
                error = _("Your answer could not be saved: please check it and send it again.")
        if error:
            values = self._page_values(feedback, token)
            values.update(error=error, score=parsed, comment=comment[:COMMENT_MAX_LENGTH])
            return request.render(PAGE, values, status=status)
        return request.render(THANKS, self._page_values(feedback, token))

    # ------------------------------------------------------------------
    def _get_open_feedback(self, token):
        """(request, None) for the open request of this token, in its contact's language;
        else (None, the polite page): unknown, tampered or expired link, no data of anyone."""
        # sudo: the visitor is not logged in; the unguessable token is their only credential
        # and gives access to this single request, whose values alone reach the page.
        feedback = request.env["retention.feedback"].sudo()._find_by_token(token)
        if not feedback:
            return None, request.render(INVALID, {"expired": False}, status=404)
        lang = get_lang(request.env, feedback.contact_id.lang).code
        request.update_context(lang=lang)
        feedback = feedback.with_context(lang=lang)
        if not feedback._is_open():
            return None, request.render(INVALID, {"expired": True}, status=410)
        return feedback, None

    def _page_values(self, feedback, token):
        values = feedback._public_values()
        values["token"] = token
        return values

    def _parse_score(self, kind, score):
        """The score as an integer on the scale of the question, else None."""
        try:
            value = int(str(score).strip())
        except (TypeError, ValueError):
            return None
        return value if engine.is_valid_score(kind, value) else None
