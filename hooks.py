"""Install and uninstall hooks."""

#: Up to this many customers, installing computes their figures at once; beyond, the refresh
#: job does it in committed batches right after the install.
INSTALL_COMPUTE_LIMIT = 10000


def post_init_hook(env):
    """Figures from the first screen: every customer is marked for a refresh and, on a
    database of modest size, computed now (a reinstall rebuilds them the same way)."""
    builder = env["retention.profile.builder"]
    marked = builder._mark_all_customers_dirty()
    if marked <= INSTALL_COMPUTE_LIMIT:
        while builder._process_dirty_batch(1000):
            pass
    else:
        env.ref("customer_retention.ir_cron_retention_refresh_changed")._trigger()


def uninstall_hook(env):
    """The jobs' bookkeeping parameters have no xml id: remove them with the module."""
    env["ir.config_parameter"].search([("key", "=like", "customer_retention.%")]).unlink()
