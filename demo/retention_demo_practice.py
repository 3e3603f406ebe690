"""Demo data, continued: a year of the retention practice on the demo customers.

The account reviews go through the module's own workflow: each review is created as the
planner creates it (its activity for the reviewer), then completed with the Complete dialog
(outcome, notes, agreed next steps, the lost reason) on its day of the past year, so that
the next review dates, the at-risk tasks, the lost customers and the follow-up logs follow
from what the module does. Then the install runs the jobs a running database would have run:
the figures, the review planner (the reviews coming due, some of them already late) and the
follow-up rules (switched on a few weeks before the install).

What only time would have written is written here: the dates of the messages the workflow
posted, the figures each customer had at each review, the day each customer entered its
retention stage, and the health score before its last change, so that the health trend shows
(Rising, Falling). The random draws use their own seed:
the rest of the demo is the same as without this part.
"""

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, models
from odoo.tools import SQL

from ..engine import reviews as review_engine
from .retention_demo_data import SEED, _at, _paragraph

_logger = logging.getLogger(__name__)

#: The demo's shipped follow-up rules were switched on this many days before the install: the
#: job run at install catches the events of these weeks (the Events From date of each rule).
FOLLOWUP_BACKLOG_DAYS = 30
#: The demo company plans its reviews this many days ahead (Settings; the default is 7).
REVIEW_LEAD_DAYS = 14

# Texts of the reviews, by story: (notes, agreed next steps[, lost reason]). {first} is the
# customer's contact; {tickets} a number of support tickets.
REVIEW_TEXTS = {
    "maintain": (
        (
            "Quarterly review with {first}: {tickets} tickets this quarter, all solved within "
            "the agreed response time. No change of scope for now.",
            "Keep the monthly service report; test a backup restore before the next review.",
        ),
        (
            "Went through the service report with {first}. Happy with the team; next year's "
            "budget is not decided yet.",
            "Ask about next year's budget at the next review.",
        ),
        (
            "Short review call: everything runs, no open issue. {first} asked for the uptime "
            "figures of the year for their board.",
            "Send the uptime figures of the last twelve months.",
        ),
    ),
    "renew": (
        (
            "Yearly review with {first}: very satisfied with the response times and the "
            "reports. Agreed to renew the contract for twelve months at the current scope.",
            "Send the renewal quote this week and update the renewal date.",
        ),
        (
            "Renewal talk with {first}: the contract is renewed; they asked to be invoiced on "
            "the first working day of the month from now on.",
            "Renewal quote with the new invoicing day.",
        ),
    ),
    "expand": (
        (
            "{first} wants the SEO growth programme for their new branch; the current services "
            "stay as they are.",
            "Proposal for the SEO programme by Friday; kick-off meeting in two weeks.",
        ),
        (
            "Review with {first} and their director: they hire ten people next quarter and want "
            "us to manage the new laptops and mailboxes.",
            "Quote for ten more users of the support retainer; plan the new staff's onboarding.",
        ),
    ),
    "at_risk": (
        (
            "Tense review: two outages this quarter and a disputed invoice. {first} mentioned "
            "that they are talking to another agency.",
            "Service review with our technical lead within a week; credit note for the disputed "
            "hours; a weekly status e-mail until things calm down.",
        ),
        (
            "{first} did not come to the review. Their finance team holds our invoices until "
            "the open tickets are solved.",
            "Call {first} directly; solve the three oldest tickets first and send a summary.",
        ),
        (
            "Orders have halved since spring and our last e-mails went unanswered. The current "
            "project is off track.",
            "Meet {first} on site and agree a recovery plan for the project, with dates.",
        ),
    ),
    "lost": (
        (
            "No order for a year; {first} confirmed that they brought IT in-house. Handover "
            "done, backups kept for 90 days.",
            "Ask again in a year how the in-house team copes.",
            "Moved IT in-house",
        ),
        (
            "Their website budget was cut. {first} thanked the team and closed the account.",
            "Send the new services brochure when their budget reopens.",
            "Budget cut, contract stopped",
        ),
        (
            "They chose a cheaper local agency after a tender; our offer was a fifth above.",
            "Ask again when their contract with the other agency ends.",
            "Lost the tender on price",
        ),
    ),
    "recovered": (
        (
            "Follow-up of the at-risk review: the outages are fixed and {first} is satisfied "
            "with the weekly status e-mail.",
            "Back to the quarterly rhythm; stop the weekly e-mail next month.",
        ),
    ),
    "onboarding": (
        (
            "First review after the onboarding: {first} is happy with the start and the whole "
            "team knows the helpdesk address.",
            "Check the first quarter's tickets together at the next review.",
        ),
    ),
    "comeback": (
        (
            "Welcome-back review with {first}: the new location opens next month and needs the "
            "same setup as the first one.",
            "Proposal for the second location; hosting and backups ready before the opening.",
        ),
    ),
    "cancelled": (("{first} is on leave this month: we meet at the next review.", ""),),
}
#: Goals and commitments agreed at the reviews: (description, owner side). Each done review
#: settles the goals carried from the last one (the first done, the second dropped, the rest
#: still open) and agrees new ones, so every done review has goals in every state.
REVIEW_GOALS = (
    ("Send the monthly service report", "ours"),
    ("Test a backup restore together", "ours"),
    ("Share next year's budget", "customer"),
    ("Name a contact for the second site", "customer"),
    ("Propose the price list for next year", "ours"),
    ("Confirm the maintenance window", "customer"),
    ("Train the new staff on the ticket portal", "ours"),
    ("Send the list of users to add", "customer"),
)
#: What a goal settled at the next review says.
GOAL_NOTES = {
    "done": "Done before the review.",
    "dropped": "No longer needed: the customer changed plans.",
}

#: What the account manager wrote when closing the task of an at-risk review.
AT_RISK_TASK_DONE = (
    "Called {first}: agreed a recovery plan and a weekly status e-mail.",
    "Met {first} with our technical lead; the open tickets are planned.",
)
#: What the account manager wrote when closing a follow-up of a renewal or an expansion.
FOLLOWUP_DONE = "Sent to {first}; they confirmed by e-mail."
#: The outcome a story ends with (the story chooses the notes).
STORY_OUTCOMES = {
    "maintain": "maintain",
    "renew": "renew",
    "expand": "expand",
    "at_risk": "at_risk",
    "lost": "lost",
    "recovered": "maintain",
    "onboarding": "maintain",
    "comeback": "expand",
    "cancelled": None,
}
#: How the reviews of the active customers go, in turn: the next review late (due some days
#: ago) or due in the coming days, an at-risk quarter then recovered, a cancelled review, or
#: a plain run of quarterly reviews.
ACTIVE_STORIES = ("late", "dip", "cancelled", "due", "plain", "plain", "plain")
#: Health score at a review, by outcome (a reviewer's judgement follows the figures).
HEALTH_AT_REVIEW = {
    "renew": (72, 90),
    "expand": (76, 92),
    "maintain": (62, 88),
    "at_risk": (40, 58),
    "lost": (18, 32),
}


@dataclass
class DoneReview:
    """A review of the history, for the figures it records afterwards."""

    review: object
    customer: object
    story: str


class RetentionDemoData(models.AbstractModel):
    _inherit = "retention.demo.data"

    @api.model
    def _run_the_practice(self, customers):
        """A year of account reviews, the figures, then the install's jobs (see the module
        docstring). Returns the number of reviews of the history."""
        rng = random.Random(SEED + 1)
        company = self.env.company
        # the demo company prepares its reviews two weeks ahead (Settings)
        company.retention_review_lead_days = REVIEW_LEAD_DAYS
        history = self._create_review_history(customers, company, rng)
        self._recompute_retention_profiles()
        self._date_stages(customers, history, company)
        previous = self._previous_health_scores(customers, company, rng)
        self._record_review_figures(history, previous, company, rng)
        self._set_health_trends(previous, company)
        # the jobs of a running database, at once rather than tonight
        self.env["retention.review"]._cron_plan_reviews()
        self._run_followup_rules(company)
        return len(history)

    # ------------------------------------------------------------------
    # The reviews of the past year
    # ------------------------------------------------------------------
    @api.model
    def _create_review_history(self, customers, company, rng):
        """Each customer's reviews of the past year, planned and completed in date order.
        Returns the done reviews."""
        history = []
        for customer in customers:
            done = []
            peers = [c for c in customers if c.spec.profile == customer.spec.profile]
            customer.review_rank = peers.index(customer)
            for first, stories in self._review_segments(customer, company, rng):
                done += self._review_segment(customer, company, first, stories, rng)
            history += done
        return history

    @api.model
    def _review_segments(self, customer, company, rng):
        """[(first planned day, [(story, days late) of each review])]: runs of reviews that
        follow one another by the cadence, by profile. The days are chosen so that the last
        review falls where the story needs it (the next one due soon, or already late)."""
        today = self._today()
        start = today - relativedelta(years=1)
        spec = customer.spec
        profile = spec.profile
        churn_days = company.retention_churn_days
        if profile == "active":
            return [self._active_segment(customer, company, start, rng)]
        if profile == "at_risk":
            # the reviewers of the customers with the oldest debts are behind: their monthly
            # review is due and not done yet
            behind = spec.overdue_days > 60
            last = today - timedelta(days=rng.randint(38, 50) if behind else rng.randint(8, 24))
            stories = ["at_risk"] * rng.randint(2, 3)
            floor = max(start, customer.start + timedelta(days=30))
            return [self._segment_ending(last, stories, "maintain", floor, company, rng)]
        if profile == "churned":
            last_invoice = max(p["date"] for p in customer.invoice_plans)
            lost_on = last_invoice + timedelta(days=churn_days - rng.randint(5, 30))
            if lost_on < start:
                return []  # gone before the reviews began
            stories = ["lost"] if lost_on - relativedelta(months=1) < start else ["at_risk", "lost"]
            return [self._segment_ending(lost_on, stories, None, start, company, rng)]
        if profile == "won_back":
            return self._won_back_segments(customer, company, start, rng)
        if profile == "new" and (today - customer.start).days >= 45:
            first = customer.start + timedelta(days=rng.randint(28, 38))
            return [(first, [("onboarding", self._delay(rng))])]
        return []

    @api.model
    def _active_segment(self, customer, company, start, rng):
        """Quarterly reviews: mostly nothing to change, a renewal near the anniversary of the
        contract, an expansion now and then; a few customers had an at-risk quarter and
        recovered, a few reviews were cancelled, and a few reviewers are some days late."""
        today = self._today()
        months = review_engine.cadence_months(self._demo_cadence(company))
        story = ACTIVE_STORIES[customer.review_rank % len(ACTIVE_STORIES)]
        last = today - timedelta(days=rng.randint(4, 85))
        if story == "late":
            # the next quarterly review fell due a few days ago and is not done yet
            last = today - relativedelta(months=months) - timedelta(days=rng.randint(3, 9))
        elif story == "due":
            # the next quarterly review falls due in the next few days
            last = today - relativedelta(months=months) + timedelta(days=rng.randint(2, 9))
        count = 1
        while last - relativedelta(months=months * count) >= start:
            count += 1
        days = [last - relativedelta(months=months * (count - 1 - i)) for i in range(count)]
        anniversary = customer.start + relativedelta(years=today.year - customer.start.year)
        if anniversary > today:
            anniversary -= relativedelta(years=1)
        stories = ["maintain"] * count
        stories[min(range(count), key=lambda i: abs((days[i] - anniversary).days))] = "renew"
        free = [i for i, story in enumerate(stories) if story == "maintain"]
        if free and rng.random() < 0.4:
            stories[rng.choice(free)] = "expand"
        if count >= 3 and stories[1] == "maintain" and story == "dip":
            stories[1:2] = ["at_risk", "recovered"]
        elif count >= 3 and stories[1] == "maintain" and story == "cancelled":
            stories[1] = "cancelled"
        floor = max(start, customer.start + timedelta(days=30))
        return self._segment_ending(last, stories, None, floor, company, rng)

    @api.model
    def _won_back_segments(self, customer, company, start, rng):
        """Marked lost when they went quiet; reviewed again a few weeks after they came back,
        then every quarter."""
        today = self._today()
        dates = sorted(p["date"] for p in customer.invoice_plans)
        comeback = min(day for day in dates if (today - day).days <= 365)
        old_end = max(day for day in dates if day < comeback)
        segments = []
        lost_on = old_end + timedelta(days=company.retention_churn_days - rng.randint(5, 30))
        if start <= lost_on < comeback:
            segments.append((lost_on, [("lost", 0)]))
        first = comeback + timedelta(days=rng.randint(20, 35))
        stories = ["comeback"] + ["maintain"] * 4
        segments.append((first, [(story, self._delay(rng)) for story in stories]))
        return segments

    @api.model
    def _segment_ending(self, last, stories, before, floor, company, rng):
        """(first planned day, stories) of a run whose last review is done on ``last``,
        preceded by reviews of the ``before`` story back to ``floor``; the stories that would
        fall before ``floor`` are left out. Each review is done a few days after its planned
        day and the next one planned a cadence after that (as the workflow does): the days
        are counted back the same way."""
        stories = list(stories)
        delays = [self._delay(rng) for _story in stories]
        day = last - timedelta(days=delays[-1])  # planned day of the last review
        for story, delay in zip(reversed(stories[:-1]), reversed(delays[:-1]), strict=True):
            day -= relativedelta(months=self._story_months(story, company))
            day -= timedelta(days=delay)
        while len(stories) > 1 and day < floor:
            day += relativedelta(months=self._story_months(stories.pop(0), company))
            day += timedelta(days=delays.pop(0))
        if before:
            months = self._story_months(before, company)
            while day - relativedelta(months=months) >= floor:
                delay = self._delay(rng)
                day -= relativedelta(months=months) + timedelta(days=delay)
                stories.insert(0, before)
                delays.insert(0, delay)
        return day, list(zip(stories, delays, strict=True))

    @api.model
    def _delay(self, rng):
        """Days between a review's planned day and the day it was done."""
        return rng.choice((0, 0, 1, 1, 2, 3, 5))

    @api.model
    def _story_months(self, story, company):
        """Months to the next review after a review of this story (as the workflow plans it)."""
        stage = "at_risk" if story == "at_risk" else None
        return review_engine.cadence_months(self._demo_cadence(company, stage)) or 12

    @api.model
    def _demo_cadence(self, company, stage=None):
        return company._retention_review_cadence(False, stage)

    @api.model
    def _review_segment(self, customer, company, first, stories, rng):
        """Plan and complete (or cancel) the reviews of one run: each next review is planned
        on the date the workflow gave the customer."""
        today = self._today()
        Review = self.env["retention.review"]
        partner = customer.partner.with_company(company)
        lock_date = company._retention_review_lock_date()
        planned = first
        done_reviews = []
        for story, delay in stories:
            if planned > today - timedelta(days=2):
                break  # due now: the planner plans it at install
            planned = review_engine.first_open_day(planned, lock_date)
            review = Review.create(
                {"partner_id": partner.id, "company_id": company.id, "date_planned": planned}
            )
            texts = rng.choice(REVIEW_TEXTS[story])
            values = {
                "first": customer.contacts[0].name.split(" ")[0],
                "tickets": rng.randint(6, 30),
            }
            notes, next_steps = (text.format(**values) for text in texts[:2])
            if story == "cancelled":
                review.write({"notes": _paragraph(notes)})
                review.action_cancel()
                cadence = review._cadence(partner)
                planned = review_engine.next_review_date(cadence, planned + timedelta(days=delay))
                continue
            day = min(planned + timedelta(days=delay), today - timedelta(days=1))
            self._agree_goals(review, day, customer, rng)
            self._complete_on(review, day, story, notes, next_steps, texts, customer, rng)
            done_reviews.append(DoneReview(review, customer, story))
            planned = partner.retention_next_review_date
            if not planned:
                break  # lost: no next review
        return done_reviews

    @api.model
    def _agree_goals(self, review, day, customer, rng):
        """At the review: the goals carried from the last one are settled (done, dropped, the
        rest still open) and new ones agreed, ours and the customer's; a done and a dropped
        one at a first review too, so each done review shows every state."""
        carried = review.goal_ids.sorted("id")
        for goal, state in zip(carried, ("done", "dropped"), strict=False):
            goal.write({"state": state, "note": GOAL_NOTES[state]})
        states = ["open", "open"]
        states += [state for state in ("done", "dropped") if state not in carried.mapped("state")]
        taken = set(carried.mapped("description"))
        choices = [goal for goal in REVIEW_GOALS if goal[0] not in taken]
        values = []
        for state, (description, side) in zip(
            states, rng.sample(choices, len(states)), strict=False
        ):
            values.append(
                {
                    "review_id": review.id,
                    "description": description,
                    "owner_side": side,
                    "user_id": review.user_id.id if side == "ours" else False,
                    "contact_id": customer.contacts[:1].id if side == "customer" else False,
                    "date_due": day + timedelta(days=rng.randint(20, 80)),
                    "state": state,
                    "note": GOAL_NOTES.get(state, False),
                }
            )
        self.env["retention.review.goal"].create(values)

    @api.model
    def _complete_on(self, review, day, story, notes, next_steps, texts, customer, rng):
        """The Complete dialog, as the reviewer fills it in on that day; the messages the
        workflow posts are dated that day; an at-risk task is closed a few days later, but
        for the customer's latest one."""
        self.env.flush_all()
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM mail_message")
        before = self.env.cr.fetchone()[0]
        outcome = STORY_OUTCOMES[story]
        wizard = self.env["retention.review.complete"].create(
            {
                "review_id": review.id,
                "outcome": outcome,
                "notes": _paragraph(notes),
                "next_steps": _paragraph(next_steps) if next_steps else False,
                "lost_reason": texts[2] if outcome == "lost" else False,
            }
        )
        wizard._complete_review(day)
        self._date_messages_since(before, day, rng)
        self._date_review_followups(review, day, customer, rng)
        self._close_earlier_at_risk_tasks(review, customer, rng)

    @api.model
    def _date_messages_since(self, last_id, day, rng):
        """The messages posted after message ``last_id`` happened on ``day``."""
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT id FROM mail_message WHERE id > %s", last_id))
        moment = _at(day, rng)
        self._backdate_messages([(row[0], moment) for row in self.env.cr.fetchall()])

    @api.model
    def _close_earlier_at_risk_tasks(self, review, customer, rng):
        """By the next review, the account manager had handled the task an at-risk review
        gave them (the only to-dos on the demo's reviewed customers): done a few days after
        that review. The task of the customer's latest at-risk review stays open (late when
        its day has passed)."""
        tasks = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", customer.partner.id),
                ("activity_type_id", "=", self.env.ref("mail.mail_activity_data_todo").id),
                ("date_deadline", "<", review.date_done),
            ]
        )
        if customer.spec.profile == "at_risk":
            # still at risk: the new review's task replaces the previous one (marking it done
            # would log a contact with a customer who stays silent)
            tasks.unlink()
            return
        first = customer.contacts[0].name.split(" ")[0]
        for task in tasks:
            day = task.date_deadline + timedelta(days=rng.randint(1, 4))
            self._mark_done(task, day, rng.choice(AT_RISK_TASK_DONE).format(first=first), rng)

    @api.model
    def _date_review_followups(self, review, day, customer, rng):
        """The follow-up rules this review's outcome fired ran on its day: their logs are
        dated then, their activities due as many days after it, and done by now when that day
        is more than a week ago."""
        logs = self.env["retention.followup.log"].search(
            [("res_model", "=", review._name), ("res_id", "=", review.id)]
        )
        if not logs:
            return
        moment = _at(day, rng)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE retention_followup_log
                   SET create_date = %(moment)s, write_date = %(moment)s,
                       date_done = %(moment)s, next_attempt = %(moment)s
                 WHERE id = ANY(%(ids)s)
                """,
                moment=moment,
                ids=logs.ids,
            )
        )
        logs.invalidate_recordset(["create_date", "write_date", "date_done", "next_attempt"])
        review_type = self.env.ref("customer_retention.mail_activity_type_account_review")
        today = self._today()
        first = customer.contacts[0].name.split(" ")[0]
        for activity in review.activity_ids.filtered(lambda a: a.activity_type_id != review_type):
            deadline = day + (activity.date_deadline - today)
            activity.date_deadline = deadline
            if deadline < today - timedelta(days=7):
                self._mark_done(activity, deadline, FOLLOWUP_DONE.format(first=first), rng)

    @api.model
    def _mark_done(self, activity, day, feedback, rng):
        """Mark an activity done on ``day`` with this feedback, as its assignee did."""
        self.env.flush_all()
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM mail_message")
        before = self.env.cr.fetchone()[0]
        # sudo: the activity is closed in the name of its (internal) assignee
        activity.with_user(activity.user_id).sudo().action_feedback(feedback=feedback)
        self._date_messages_since(before, day, rng)

    # ------------------------------------------------------------------
    # Figures at each review and health trends
    # ------------------------------------------------------------------
    @api.model
    def _date_stages(self, customers, history, company):
        """Since when each customer is in its stage: the builder saw the stages for the
        first time today, the story knows when each began (kept by the builder while the
        stage stays). At risk: since the first of the latest at-risk reviews."""
        today = self._today()
        flagged = {}
        for customer, done in self._by_customer(history):
            day = None
            for review in (d.review for d in done):
                day = (day or review.date_done) if review.outcome == "at_risk" else None
            flagged[customer.partner] = day
        churn = timedelta(days=company.retention_churn_days)
        onboarding = timedelta(days=company.retention_onboarding_days)
        ids, days = [], []
        for customer in customers:
            partner = customer.partner.with_company(company)
            invoiced = sorted(p["date"] for p in customer.invoice_plans)
            since = {
                "prospect": customer.start,
                "new": customer.start,
                "active": customer.start + onboarding,
                "at_risk": flagged.get(customer.partner) or today - timedelta(days=30),
                "churned": min(
                    [partner.retention_lost_date or today, invoiced[-1] + churn]
                    if invoiced
                    else [today]
                ),
                "won_back": min((d for d in invoiced if today - d <= churn), default=today),
            }.get(partner.retention_stage)
            if since:
                ids.append(partner.id)
                days.append(min(since, today))
        self._write_company_figure("retention_stage_date", company, ids, days, "date")

    @api.model
    def _write_company_figure(self, field, company, ids, values, sql_type):
        """Sets a company-dependent figure of these partners in ``company`` in one statement
        (the builder never writes these two the way the demo needs them)."""
        self.env["res.partner"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_partner p
                   SET %(field)s = COALESCE(p.%(field)s, '{}'::jsonb)
                                   || jsonb_build_object(%(company)s, v.value)
                  FROM unnest(%(ids)s::int[], %(values)s::%(type)s[]) AS v(id, value)
                 WHERE p.id = v.id
                """,
                field=SQL.identifier(field),
                company=str(company.id),
                ids=ids,
                values=values,
                type=SQL(sql_type),
            )
        )
        self.env["res.partner"].invalidate_model([field])

    @api.model
    def _previous_health_scores(self, customers, company, rng):
        """{partner: health score before its last change} for the customers whose score
        moved lately: falling for those at risk, rising for those won back and some new ones,
        either way for some active ones."""
        previous = {}
        for customer in customers:
            partner = customer.partner.with_company(company)
            health = partner.retention_health_score
            profile = customer.spec.profile
            roll = rng.random()
            if profile == "at_risk":
                previous[customer.partner] = min(100, health + rng.randint(5, 12))
            elif profile == "won_back" or (profile == "new" and roll < 0.5):
                previous[customer.partner] = max(0, health - rng.randint(6, 16))
            elif profile == "active" and roll < 0.3:
                previous[customer.partner] = max(0, health - rng.randint(3, 8))
            elif profile == "active" and roll < 0.5:
                previous[customer.partner] = min(100, health + rng.randint(3, 7))
        return previous

    @api.model
    def _record_review_figures(self, history, previous, company, rng):
        """The health score, stage and 12-month revenue each review recorded when it was
        completed (the workflow records the figures of the day: these are the figures of
        the review's day). A customer's last review recorded the score it had before its last
        change (else its score now); at-risk customers declined review after review."""
        ids, healths, stages = [], [], []
        for customer, done in self._by_customer(history):
            partner = customer.partner.with_company(company)
            latest = previous.get(customer.partner, partner.retention_health_score)
            scores = [self._health_at_review(d, latest, rng) for d in done[:-1]]
            if customer.spec.profile == "at_risk":
                scores = [max(score, latest + 1) for score in sorted(scores, reverse=True)]
            for review_done, health in zip(done, [*scores, latest], strict=True):
                ids.append(review_done.review.id)
                healths.append(health)
                stages.append(self._stage_at_review(review_done, health, company))
        if not ids:
            return
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE retention_review r
                   SET health_score_snapshot = v.health, stage_snapshot = v.stage,
                       revenue_12m_snapshot = COALESCE((
                            SELECT SUM(m.amount_untaxed_signed) FROM account_move m
                             WHERE m.state = 'posted'
                               AND m.move_type IN ('out_invoice', 'out_refund')
                               AND m.commercial_partner_id = r.partner_id
                               AND m.company_id = r.company_id
                               AND m.invoice_date > r.date_done - INTERVAL '12 months'
                               AND m.invoice_date <= r.date_done), 0)
                  FROM unnest(%s::int[], %s::int[], %s::varchar[]) AS v(id, health, stage)
                 WHERE r.id = v.id
                """,
                ids,
                healths,
                stages,
            )
        )
        self.env["retention.review"].invalidate_model(
            ["health_score_snapshot", "stage_snapshot", "revenue_12m_snapshot"]
        )

    @api.model
    def _health_at_review(self, done, latest, rng):
        """A score in the range of the review's outcome; for a customer doing fine, close to
        the score it has now."""
        low, high = HEALTH_AT_REVIEW[done.review.outcome]
        if done.review.outcome in ("at_risk", "lost") or done.customer.spec.profile == "at_risk":
            return rng.randint(low, high)
        return max(low, min(100, latest + rng.randint(-9, 3)))

    @staticmethod
    def _by_customer(history):
        """[(customer, [its done reviews in date order])]."""
        groups = {}
        for done in history:
            groups.setdefault(id(done.customer), (done.customer, []))[1].append(done)
        return list(groups.values())

    @api.model
    def _stage_at_review(self, done, health, company):
        """The retention stage those figures gave on the review's day."""
        customer, review = done.customer, done.review
        if review.outcome == "lost" or health < company.retention_at_risk_threshold:
            return "at_risk"
        if (review.date_done - customer.start).days <= company.retention_onboarding_days:
            return "new"
        if customer.spec.profile == "won_back":
            return "won_back"
        return "active"

    @api.model
    def _set_health_trends(self, previous, company):
        """The score these customers had before: stored as their current score, then the
        figures recomputed, so that the builder records the change (previous score, trend)
        as it does every night."""
        partners = [partner for partner, _score in previous.items()]
        if not partners:
            return
        self._write_company_figure(
            "retention_health_score",
            company,
            [partner.id for partner in partners],
            [previous[partner] for partner in partners],
            "int",
        )
        self.env["retention.profile.builder"]._compute_partners([p.id for p in partners])

    # ------------------------------------------------------------------
    # Follow-up rules
    # ------------------------------------------------------------------
    @api.model
    def _run_followup_rules(self, company):
        """The company's rules were switched on FOLLOWUP_BACKLOG_DAYS ago: their Events From
        date moves back, and the job runs as it would every quarter of an hour."""
        today = self._today()
        rules = self.env["retention.followup.rule"].search(
            [("company_id", "=", company.id), ("date_from", ">=", today)]
        )
        rules.write({"date_from": today - timedelta(days=FOLLOWUP_BACKLOG_DAYS)})
        self.env["retention.followup.rule"]._cron_run_followups()
