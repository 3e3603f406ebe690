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
        key: value
        for key, value in before.items()
        if (set(value) - set(after.get(key) or ()) if key in KEPT else after.get(key) != value)
    }
    # the migration queues every customer for a refresh by the new builder
    env.cr.execute("SELECT COUNT(*) FROM retention_profile_queue")
    marked = env.cr.fetchone()[0]
    # and rebuilds the analytics history that the install hook would have built
    snapshots = env["retention.snapshot"].search_count([])
    # 18.0.1.2.0 stores the metric report's rows, built from the snapshots by the migration
    env.cr.execute("SELECT COUNT(*) FROM retention_metric_period")
    metric_rows = env.cr.fetchone()[0]
    from odoo.addons.customer_retention.models.retention_profile_builder import FIGURE_COLUMNS

    # 18.0.1.2.0 drops what the queue and the computed invoice flags replace, and the indexes
    # of the figures (the stage's stays)
    env.cr.execute(
        """
        SELECT table_name || '.' || column_name FROM information_schema.columns
         WHERE (table_name, column_name) IN (('res_partner', 'retention_dirty'),
                                             ('account_move', 'retention_is_first_invoice'),
                                             ('account_move', 'retention_is_repeat'))
         UNION ALL
        SELECT indexname FROM pg_indexes WHERE tablename = 'res_partner' AND indexname = ANY(%s)
        """,
        [
            [
                f"res_partner__{column}_index"
                for column, _cast, _nullable in FIGURE_COLUMNS
                if column != "retention_stage"
            ]
        ],
    )
    leftovers = [row[0] for row in env.cr.fetchall()]
    ok = (
        not lost
        and before["retention.review"]
        and before["retention.followup.log"]
        and marked >= before["customers_with_figures"]
        and snapshots > 0
        and metric_rows > 0
        and not leftovers
    )
    print(
        f"UPGRADE_RESULT ok={bool(ok)} version={version} "
        f"kept={ {key: len(value) if key in KEPT else value for key, value in before.items()} } "
        f"lost={lost} "
        f"marked_for_refresh={marked} snapshots={snapshots} "
        f"metric_rows={metric_rows} leftovers={leftovers}"
    )
