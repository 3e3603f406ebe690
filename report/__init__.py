# Reports with their SQL as overridable methods (as account.invoice.report does).
from . import retention_report_dimensions
from . import retention_metric_report
from . import retention_cohort_report
from . import retention_review_pack_report
