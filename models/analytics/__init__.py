# Retention analytics: monthly snapshots, their daily job, the dashboard's data.
# The reports built on them (metric report, cohorts) are in report/.
from . import account_partial_reconcile
from . import retention_profile_builder
from . import retention_snapshot
from . import retention_snapshot_job
from . import retention_dashboard
from . import retention_backtest
from . import retention_weight_set
from . import res_company
from . import res_partner
