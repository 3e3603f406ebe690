"""Install and uninstall hooks."""

MODULE = "customer_retention"
#: Up to this many customers, installing computes their figures at once; beyond, the refresh
#: job does it in committed batches right after the install.
INSTALL_COMPUTE_LIMIT = 10000


def post_init_hook(env):
    """Figures from the first screen: every customer is queued for a refresh and, on a
    database of modest size, computed now (a reinstall rebuilds them the same way); then the
    monthly snapshots are rebuilt from the whole invoice history, so analytics have history
    from day one; and the first account reviews are planned right away."""
    builder = env["retention.profile.builder"]
    queued = builder._queue_all_customers()
    if queued <= INSTALL_COMPUTE_LIMIT:
        while builder._process_queue_batch(1000):
            pass
    else:
        env.ref(f"{MODULE}.ir_cron_retention_refresh_changed")._trigger()
    env["retention.snapshot"]._backfill()
    _plan_first_reviews(env)


def _plan_first_reviews(env):
    """The review planner runs once right after the install instead of the next night: its
    scheduled job is queued to run at once. The job gives every reviewed customer a next
    review date and plans the reviews due within the lead time, in committed batches that
    resume after a crash, so a database of any size installs as fast as before (the
    install itself plans nothing, and commits nothing)."""
    env.ref(f"{MODULE}.ir_cron_retention_plan_reviews")._trigger()


def uninstall_hook(env):
    """Remove what Odoo would not remove by itself, keep what others rely on."""
    _remove_job_parameters(env)
    _remove_indexes(env)
    _remove_tables(env)
    _remove_activities_of_our_types(env)
    _keep_active_languages(env)


def _remove_job_parameters(env):
    """The jobs' bookkeeping parameters have no xml id."""
    env["ir.config_parameter"].search([("key", "=like", f"{MODULE}.%")]).unlink()


def _remove_indexes(env):
    """The indexes the module added to Odoo's tables (account_move, mail_message,
    project_update, account_partial_reconcile)."""
    from .models.analytics.account_partial_reconcile import RECONCILE_DATE_INDEX
    from .models.profile.account_move import RETENTION_MOVE_INDEXES
    from .models.profile.mail_message import RETENTION_CONTACT_INDEXES, RETENTION_MESSAGE_INDEX
    from .models.profile.project_update import RETENTION_UPDATE_INDEX

    indexes = [*RETENTION_MOVE_INDEXES, RETENTION_MESSAGE_INDEX, *RETENTION_CONTACT_INDEXES]
    for name in [*indexes, RETENTION_UPDATE_INDEX, RECONCILE_DATE_INDEX]:
        env.cr.execute(f'DROP INDEX IF EXISTS "{name}"')


def _remove_tables(env):
    """The stored rows of the metric and cohort reports: the report models read them through a
    query, so Odoo does not know the tables are the module's."""
    env.cr.execute(
        "DROP TABLE IF EXISTS retention_metric_period, retention_metric_total,"
        " retention_cohort_period"
    )


def _remove_activities_of_our_types(env):
    """Activities of the module's activity types (reviews, follow-ups, alerts) would block the
    deletion of those types and leave them behind."""
    type_ids = (
        env["ir.model.data"]
        .search([("module", "=", MODULE), ("model", "=", "mail.activity.type")])
        .mapped("res_id")
    )
    env["mail.activity"].search([("activity_type_id", "in", type_ids)]).unlink()


def _keep_active_languages(env):
    """The module ships the Uzbek language (uz_UZ). Odoo refuses to delete an active language,
    and users, partners and other modules' translations may rely on it once activated: an
    active language is detached from the module (its external id removed) so the uninstall
    leaves it in place; an inactive one is deleted with the module's other data."""
    data = env["ir.model.data"].search([("module", "=", MODULE), ("model", "=", "res.lang")])
    langs = env["res.lang"].with_context(active_test=False).browse(data.mapped("res_id")).exists()
    active_ids = set(langs.filtered("active").ids)
    data.filtered(lambda xmlid: xmlid.res_id in active_ids).unlink()
