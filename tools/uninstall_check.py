# Piped into `odoo shell -d DB` by tools/test.sh (the shell execs its stdin with `env` set):
# uninstall customer_retention the way Apps > Uninstall does, then prove the database still
# works and the module left no records behind. Prints one UNINSTALL_RESULT line for the caller.
import odoo

MODULE = "customer_retention"
module = env["ir.module.module"].search([("name", "=", MODULE)])  # noqa: F821 (shell global)
assert module.state == "installed", f"{MODULE} is {module.state or 'absent'}, not installed"
module.button_immediate_uninstall()  # commits and rebuilds the registry itself

# A new cursor on the rebuilt registry: the old environment belongs to the old registry.
with odoo.modules.registry.Registry(env.cr.dbname).cursor() as cr:  # noqa: F821
    fresh = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    state = fresh["ir.module.module"].search([("name", "=", MODULE)]).state
    partners = fresh["res.partner"].search_count([])
    leftovers = fresh["ir.model.data"].search_count([("module", "=", MODULE)])
    ok = state == "uninstalled" and partners > 0 and leftovers == 0
    print(f"UNINSTALL_RESULT ok={ok} state={state} partners={partners} leftover_xmlids={leftovers}")
