# Piped into `odoo shell -d DB` by tools/upgrade_check.sh. UPGRADE_STEP=before prints the
# records an upgrade must keep as one UPGRADE_COUNTS line of JSON; UPGRADE_STEP=after reads
# that line from UPGRADE_BEFORE, compares and prints one UPGRADE_RESULT line.
import json
import os

KEPT = (
    "retention.review",
    "retention.followup.rule",
    "retention.followup.action",
    "retention.followup.log",
)


def snapshot(environment):
    counts = {
        model: environment[model].with_context(active_test=False).search_count([])
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


env = env  # noqa: F821,PLW0127 (shell global)
if os.environ["UPGRADE_STEP"] == "before":
    # what a few days of use leave behind: planned reviews, one completed, follow-up logs
    env["retention.review"]._cron_plan_reviews()
    env["retention.followup.rule"]._cron_run_followups()
    review = env["retention.review"].search([("state", "=", "planned")], limit=1)
    if review:
        review.write({"state": "done", "outcome": "renew", "date_done": review.date_planned})
    env.cr.commit()
    print("UPGRADE_COUNTS " + json.dumps(snapshot(env)))
else:
    before = json.loads(os.environ["UPGRADE_BEFORE"])
    after = snapshot(env)
    version = env["ir.module.module"].search([("name", "=", "customer_retention")]).latest_version
    lost = {
        key: (value, after.get(key)) for key, value in before.items() if after.get(key) != value
    }
    # the 18.0.1.1.0 migration marks every customer for a refresh by the new engine
    env.cr.execute("SELECT COUNT(*) FROM res_partner WHERE retention_dirty")
    marked = env.cr.fetchone()[0]
    # and rebuilds the analytics history that the install hook would have built
    snapshots = env["retention.snapshot"].search_count([])
    ok = (
        not lost
        and before["retention.review"] > 0
        and before["retention.followup.log"] > 0
        and marked >= before["customers_with_figures"]
        and snapshots > 0
    )
    print(
        f"UPGRADE_RESULT ok={ok} version={version} kept={sorted(before)} changed={lost} "
        f"marked_for_refresh={marked} snapshots={snapshots}"
    )
