# Piped into `odoo shell -d DB` by tools/test.sh on the database installed WITH demo data,
# before the uninstall check: the demo tells the story of a year of the practice from the
# first screen. Checks (each failure is named in the result line):
# * reviews in every state (planned, done, cancelled), done ones with every outcome and notes,
#   lost ones with their reason, spread over the past year; a few planned ones overdue, with
#   their activity late;
# * the planner ran at install: no reviewed customer without a next review date, none due
#   without its planned review;
# * follow-up logs, done; feedback answered as promoters, passives and detractors, and some
#   unanswered; health trends both ways (previous scores); customers at risk with their
#   factor breakdown.
# Prints one DEMO_RESULT line for the caller.
from datetime import timedelta

from odoo import fields

from odoo.addons.customer_retention.engine.reviews import REVIEWED_STAGES
from odoo.addons.customer_retention.models.reviews.retention_review import OUTCOMES

env = env  # noqa: F821, PLW0127 (shell global)
company = env.ref("base.main_company")
today = fields.Date.context_today(env["res.partner"])
Review = env["retention.review"].with_company(company)
Partner = env["res.partner"].with_company(company)
problems = []


def count(model, domain):
    return env[model].with_context(active_test=False).search_count(domain)


def need(condition, problem):
    if not condition:
        problems.append(problem)


by_state = {
    state: count("retention.review", [("state", "=", state)])
    for state in ("planned", "done", "cancelled")
}
for state, number in by_state.items():
    need(number, f"no {state} review")
done = Review.search([("state", "=", "done")])
outcomes = {key: len(done.filtered(lambda r, key=key: r.outcome == key)) for key, _l in OUTCOMES}
for outcome, number in outcomes.items():
    need(number, f"no done review with the outcome {outcome}")
need(all(r.notes for r in done), "a done review without notes")
need(
    all((r.lost_reason or "").strip() for r in done if r.outcome == "lost"),
    "a lost review without its reason",
)
need(
    done and min(done.mapped("date_done")) <= today - timedelta(days=300),
    "no review done in the first months of the past year",
)
need(all(r.health_score_snapshot for r in done), "a done review without its health score")
overdue = Review.search([("is_overdue", "=", True)])
need(overdue, "no overdue review")
need(
    all(r.activity_ids and r.activity_ids[0].date_deadline < today for r in overdue),
    "an overdue review whose activity is not late",
)

# the planner ran at install
reviewed = Partner.search(Review._reviewed_customers_domain(company))
undated = reviewed.filtered(
    lambda p: not p.retention_next_review_date and p.retention_review_cadence_effective != "none"
)
need(not undated, f"reviewed customers without a next review date: {undated.mapped('name')}")
due = Review._due_customers(company, today)
need(not due, f"customers due without a planned review: {due.mapped('name')}")

logs = count("retention.followup.log", [("state", "=", "done")])
need(logs, "no follow-up log done")
review_logs = count("retention.followup.log", [("res_model", "=", "retention.review")])
need(review_logs, "no follow-up log of a review outcome")
feedback = {
    category: count("retention.feedback", [("category", "=", category)])
    for category in ("promoter", "passive", "detractor")
}
for category, number in feedback.items():
    need(number, f"no {category} feedback")
unanswered = count("retention.feedback", [("state", "in", ("requested", "expired"))])
need(unanswered, "no unanswered feedback")
trends = {
    trend: Partner.search_count([("retention_health_trend", "=", trend)])
    for trend in ("up", "down")
}
for trend, number in trends.items():
    need(number, f"no customer whose health went {trend}")
need(
    Partner.search_count([("retention_health_score_prev", "!=", False)]),
    "no previous health score",
)
at_risk = Partner.search([("retention_stage", "=", "at_risk")])
need(at_risk, "no customer at risk")
need(all(p.sudo().retention_health_factors for p in at_risk), "an at-risk customer without factors")
need(set(reviewed.mapped("retention_stage")) <= set(REVIEWED_STAGES), "a reviewed stage is unknown")

print(
    f"DEMO_RESULT ok={not problems} reviews={by_state} overdue={len(overdue)} "
    f"outcomes={outcomes} followup_logs={logs} (reviews: {review_logs}) feedback={feedback} "
    f"unanswered={unanswered} trends={trends} at_risk={len(at_risk)} "
    f"problems={'; '.join(problems) or '-'}"
)
