# Piped into `odoo shell -d DB` by tools/upgrade_check.sh. UPGRADE_STEP=before prints the
# records an upgrade must keep as one UPGRADE_COUNTS line of JSON; UPGRADE_STEP=after reads
# that line from UPGRADE_BEFORE, compares and prints one UPGRADE_RESULT line.
#
# The previous release is tools/previous_release (UPGRADE_FROM, set by upgrade_check.sh). What
# a release's migration must do is checked by the functions listed for it in MIGRATION_CHECKS:
# each one gets the environment after the upgrade and the "before" counts and returns a list of
# problems (empty when fine). What the "before" step prepares for them (data only an older
# release could hold) is done by the functions listed in PREPARE, run on the previous release
# before counting. Only the releases after UPGRADE_FROM apply (their migrations are the ones
# that run); ALWAYS_CHECKED applies to every upgrade.
import json
import os
from datetime import date

KEPT = (
    "retention.review",
    "retention.followup.rule",
    "retention.followup.action",
    "retention.followup.log",
    "retention.feedback",
)


def snapshot(environment):
    # the ids of the records: each one must survive (a new release may ship more)
    counts = {
        model: sorted(environment[model].with_context(active_test=False).search([]).ids)
        for model in KEPT
        if model in environment
    }
    environment.cr.execute(
        "SELECT COUNT(*) FROM res_partner WHERE retention_stage IS NOT NULL "
        "AND retention_stage::text NOT LIKE '%%prospect%%'"
    )
    counts["customers_with_figures"] = environment.cr.fetchone()[0]
    done = environment["retention.review"].search([("state", "=", "done")])
    counts["done_review_outcomes"] = sorted(done.mapped("outcome"))
    return counts


def check_analytics_kept(environment, before):
    """The snapshots and stored metric rows survive the upgrade."""
    problems = []
    if not environment["retention.snapshot"].search_count([]):
        problems.append("no snapshot left")
    environment.cr.execute("SELECT COUNT(*) FROM retention_metric_period")
    if not environment.cr.fetchone()[0]:
        problems.append("no stored metric row left")
    return problems


FILTER_RULES = {
    # name: customer filter saved on the previous release (which evaluated filters)
    "Upgrade check: filter with an expression": "[('user_id', '!=', uid)]",
    "Upgrade check: literal filter": "[('is_company', '=', True)]",
}


def prepare_followup_filters(environment):
    """Two rules whose filters the previous release accepted: one with a name (uid), one
    literal."""
    for name, text in FILTER_RULES.items():
        environment["retention.followup.rule"].create(
            {"name": name, "trigger": "first_invoice", "partner_domain": text}
        )


def check_followup_filters(environment, before):
    """Issue #15: a filter that is not a literal is replaced (rule archived, old text kept in
    its error); a literal one is kept as it was."""
    problems = []
    rules = environment["retention.followup.rule"].with_context(active_test=False)
    dynamic, literal = (rules.search([("name", "=", name)], limit=1) for name in FILTER_RULES)
    old_text = FILTER_RULES[dynamic.name] if dynamic else ""
    if not dynamic or dynamic.active or dynamic.partner_domain != '[("id", "=", 0)]':
        problems.append("a filter with an expression was not replaced, or its rule kept active")
    elif old_text not in (dynamic.last_error or ""):
        problems.append("the old filter with an expression is not kept on its rule")
    if not literal or not literal.active or literal.partner_domain != FILTER_RULES[literal.name]:
        problems.append("a literal filter was changed")
    return problems


FEEDBACK_TOKENS_KEY = "customer_retention.upgrade_check_feedback_tokens"


def prepare_feedback_tokens(environment):
    """18.0.1.3.0 renames the column of the feedback links' secret (access_token ->
    feedback_token): note every request's token before the upgrade."""
    environment.cr.execute("SELECT id, access_token FROM retention_feedback ORDER BY id")
    tokens = {str(feedback_id): token for feedback_id, token in environment.cr.fetchall()}
    environment["ir.config_parameter"].set_param(FEEDBACK_TOKENS_KEY, json.dumps(tokens))


def check_feedback_tokens(environment, before):
    """Every emailed link still opens its request; the old column is gone; a deleted contact
    no longer deletes the answers, a customer with feedback cannot be deleted."""
    problems = []
    tokens = json.loads(environment["ir.config_parameter"].get_param(FEEDBACK_TOKENS_KEY) or "{}")
    if not tokens:
        problems.append("no feedback request to check the links of")
    Feedback = environment["retention.feedback"]
    for feedback_id, token in tokens.items():
        if Feedback._find_by_token(token).id != int(feedback_id):
            problems.append(f"the link of feedback request {feedback_id} no longer opens it")
    environment.cr.execute(
        "SELECT 1 FROM information_schema.columns "
        "WHERE table_name = 'retention_feedback' AND column_name = 'access_token'"
    )
    if environment.cr.fetchone():
        problems.append("retention_feedback.access_token still exists")
    environment.cr.execute(
        "SELECT conname, confdeltype FROM pg_constraint "
        "WHERE conrelid = 'retention_feedback'::regclass AND conname IN "
        "('retention_feedback_contact_id_fkey', 'retention_feedback_partner_id_fkey', "
        "'retention_feedback_feedback_token_unique')"
    )
    found = dict(environment.cr.fetchall())
    expected = {
        "retention_feedback_contact_id_fkey": "n",  # set null
        "retention_feedback_partner_id_fkey": "r",  # restrict
        "retention_feedback_feedback_token_unique": None,
    }
    for name, on_delete in expected.items():
        if name not in found:
            problems.append(f"constraint {name} missing")
        elif on_delete and found[name] != on_delete:
            problems.append(f"constraint {name}: on delete {found[name]!r}, not {on_delete!r}")
    return problems


def check_snapshot_factor_columns(environment, before):
    """18.0.1.4.0 (issue #18): the snapshots of an older release get one column per factor
    (added by the model's init, empty until the history is rebuilt); Score Check runs on them."""
    problems = []
    expected = {
        f"{name}_score"
        for name in ("recency", "trend", "payment", "engagement", "satisfaction", "delivery")
    }
    environment.cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'retention_snapshot' AND column_name = ANY(%s)",
        [sorted(expected)],
    )
    found = {row[0] for row in environment.cr.fetchall()}
    if expected - found:
        problems.append(f"snapshot factor columns missing: {sorted(expected - found)}")
    company = environment["res.company"].search([], limit=1)
    result = environment["retention.backtest"].run(company.id)
    if not isinstance(result["customers"], int) or len(result["bands"]) != 4:
        problems.append("the back-test does not run on the upgraded snapshots")
    return problems


def check_snapshot_stages_due(environment, before):
    """Issue #16: a snapshot month's stage follows the stage rules in days: every month with
    snapshots is due for a rebuild by the daily job, or was rebuilt by the upgrade itself (the
    health history step backfills the companies without history: stamped done today)."""
    environment.cr.execute(
        """
        SELECT COUNT(DISTINCT (s.company_id, s.month))
          FROM retention_snapshot s
         WHERE NOT EXISTS (SELECT 1 FROM retention_snapshot_job j
                            WHERE j.company_id = s.company_id AND j.month = s.month
                              AND (j.done_on IS NULL OR j.done_on >= CURRENT_DATE - 1))
        """
    )
    left = environment.cr.fetchone()[0]
    return [f"{left} snapshot months neither rebuilt nor marked for a rebuild"] if left else []


def check_health_history_built(environment, before):
    """Issue #18: the upgraded database has its health history: every closed month of the
    history window that has snapshots has health and factor scores (the demo's companies had
    none before: the previous release stored no factor score)."""
    problems = []
    Snapshot = environment["retention.snapshot"]
    today = environment.cr.now().date()
    for company in environment["res.company"].search([]):
        months = Snapshot._history_months(company, date(1900, 1, 1), today)
        if not months:
            continue
        environment.cr.execute(
            """
            SELECT month, COUNT(*) FILTER (WHERE health_score IS NOT NULL
                                             AND recency_score IS NOT NULL)
              FROM retention_snapshot
             WHERE company_id = %s AND month = ANY(%s::date[])
             GROUP BY month HAVING COUNT(*) FILTER (WHERE health_score IS NOT NULL
                                                      AND recency_score IS NOT NULL) = 0
            """,
            [company.id, months],
        )
        empty = [str(row[0]) for row in environment.cr.fetchall()]
        if empty:
            problems.append(f"{company.name}: no health history for {', '.join(empty)}")
    return problems


#: per release: functions(env) run on the previous release before counting (data that
#: release's migration must handle)
def check_cohort_cells_built(environment, before):
    """Issue #21: the cohort report's cells are stored, built from the snapshots by the
    migration (the report reads only them)."""
    environment.cr.execute("SELECT to_regclass('retention_cohort_period')")
    if environment.cr.fetchone()[0] is None:
        return ["no table of stored cohort cells"]
    environment.cr.execute("SELECT COUNT(*) FROM retention_cohort_period")
    if not environment.cr.fetchone()[0]:
        return ["no stored cohort cell (the cohort report is empty)"]
    return []


PREPARE = {
    "18.0.1.3.0": [prepare_followup_filters, prepare_feedback_tokens],
}
#: per release: functions(env, before) -> [problem, ...] run after the upgrade
MIGRATION_CHECKS = {
    "18.0.1.3.0": [check_followup_filters, check_feedback_tokens],
    "18.0.1.4.0": [
        check_snapshot_factor_columns,
        check_snapshot_stages_due,
        check_health_history_built,
        check_cohort_cells_built,
    ],
}
ALWAYS_CHECKED = [check_analytics_kept]


def _version_key(version):
    return tuple(int(part) for part in version.split("."))


def releases_after(table, version):
    """The functions of ``table`` for the releases newer than ``version``, oldest first."""
    newer = sorted((r for r in table if _version_key(r) > _version_key(version)), key=_version_key)
    return [function for release in newer for function in table[release]]


UPGRADE_FROM = os.environ["UPGRADE_FROM"]


env = env  # noqa: F821,PLW0127 (shell global)
if os.environ["UPGRADE_STEP"] == "before":
    # what a few days of use leave behind: planned reviews, one completed, follow-up logs
    env["retention.review"]._cron_plan_reviews()
    env["retention.followup.rule"]._cron_run_followups()
    review = env["retention.review"].search([("state", "=", "planned")], limit=1)
    if review:
        review.write({"state": "done", "outcome": "renew", "date_done": review.date_planned})
    for prepare in releases_after(PREPARE, UPGRADE_FROM):
        prepare(env)
    env.cr.commit()
    print("UPGRADE_COUNTS " + json.dumps(snapshot(env)))
else:
    before = json.loads(os.environ["UPGRADE_BEFORE"])
    after = snapshot(env)
    version = env["ir.module.module"].search([("name", "=", "customer_retention")]).latest_version
    lost = {
        key: value
        for key, value in before.items()
        if (set(value) - set(after.get(key) or ()) if key in KEPT else after.get(key) != value)
    }
    checks = ALWAYS_CHECKED + releases_after(MIGRATION_CHECKS, UPGRADE_FROM)
    problems = [problem for check in checks for problem in check(env, before)]
    ok = (
        not lost
        and before["retention.review"]
        and before["retention.followup.log"]
        and not problems
    )
    print(
        f"UPGRADE_RESULT ok={bool(ok)} version={version} "
        f"kept={ {key: len(value) if key in KEPT else value for key, value in before.items()} } "
        f"lost={lost} problems={problems}"
    )
