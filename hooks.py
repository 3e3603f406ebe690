def uninstall_hook(env):
    """Keep the languages this module created when they are in use.

    The module ships the Uzbek language (uz_UZ). Odoo refuses to delete an active language, and
    users, partners and other modules' translations may rely on it once activated: an active
    language is detached from the module (its external id removed) so the uninstallation leaves it
    in place; an inactive one is deleted with the module's other data.
    """
    data = env["ir.model.data"].search(
        [("module", "=", "customer_retention"), ("model", "=", "res.lang")]
    )
    langs = env["res.lang"].with_context(active_test=False).browse(data.mapped("res_id")).exists()
    active_ids = set(langs.filtered("active").ids)
    data.filtered(lambda xmlid: xmlid.res_id in active_ids).unlink()
