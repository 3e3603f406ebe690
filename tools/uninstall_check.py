# Piped into `odoo shell -d DB` by tools/test.sh (the shell execs its stdin with `env` set):
# uninstall customer_retention the way Apps > Uninstall does, prove the database still works,
# that partners, projects and invoices are intact and the module left nothing behind; then
# install it again (without demo data) and check the figures are rebuilt.
# Prints one UNINSTALL_RESULT line for the caller.
import odoo

MODULE = "customer_retention"
KEPT = ("res.partner", "project.project", "account.move")


def counts(environment):
    return {
        model: environment[model].with_context(active_test=False).search_count([]) for model in KEPT
    }


def fresh_env(cr):
    return odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


# what use leaves behind first: planned reviews, follow-up activities and logs
env["retention.review"]._cron_plan_reviews()  # noqa: F821 (shell global)
env["retention.followup.rule"]._cron_run_followups()  # noqa: F821
env.cr.commit()  # noqa: F821
before = counts(env)  # noqa: F821
module = env["ir.module.module"].search([("name", "=", MODULE)])  # noqa: F821
assert module.state == "installed", f"{MODULE} is {module.state or 'absent'}, not installed"
module.button_immediate_uninstall()  # commits and rebuilds the registry itself

# A new cursor on the rebuilt registry: the old environment belongs to the old registry.
with odoo.modules.registry.Registry(env.cr.dbname).cursor() as cr:  # noqa: F821
    fresh = fresh_env(cr)
    state = fresh["ir.module.module"].search([("name", "=", MODULE)]).state
    after = counts(fresh)
    leftovers = fresh["ir.model.data"].search_count([("module", "=", MODULE)])
    params = fresh["ir.config_parameter"].search_count([("key", "=like", f"{MODULE}.%")])
    cr.execute(
        "SELECT COUNT(*) FROM information_schema.columns "
        "WHERE table_name IN ('res_partner', 'project_project', 'account_move') "
        "AND column_name LIKE 'retention\\_%%'"
    )
    columns = cr.fetchone()[0]
    # the module's own tables (ORM models and the stored report rows) and its indexes on
    # Odoo's tables
    cr.execute(
        "SELECT (SELECT COUNT(*) FROM information_schema.tables "
        "         WHERE table_schema = 'public' AND table_name LIKE 'retention\\_%%')"
        "     + (SELECT COUNT(*) FROM pg_indexes WHERE indexname LIKE '%%retention%%')"
    )
    tables = cr.fetchone()[0]
    # install again, without demo data this time: the hook rebuilds the figures
    cr.execute("UPDATE ir_module_module SET demo = FALSE WHERE name = %s", [MODULE])
    fresh["ir.module.module"].search([("name", "=", MODULE)]).button_immediate_install()

with odoo.modules.registry.Registry(env.cr.dbname).cursor() as cr:  # noqa: F821
    again = fresh_env(cr)
    reinstalled = again["ir.module.module"].search([("name", "=", MODULE)]).state
    cr.execute(
        "SELECT COUNT(*) FROM res_partner WHERE retention_stage IS NOT NULL "
        "AND retention_stage::text NOT LIKE '%%prospect%%'"
    )
    with_figures = cr.fetchone()[0]

ok = (
    state == "uninstalled"
    and before == after
    and leftovers == 0
    and params == 0
    and columns == 0
    and tables == 0
    and reinstalled == "installed"
    and with_figures > 0
)
print(
    f"UNINSTALL_RESULT ok={ok} state={state} kept={after == before} {after} "
    f"leftover_xmlids={leftovers} leftover_params={params} leftover_columns={columns} "
    f"leftover_tables_and_indexes={tables} "
    f"reinstalled={reinstalled} customers_with_figures_after_reinstall={with_figures}"
)
