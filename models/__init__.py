# Python grouped by feature, as the views are: each folder holds the models its feature
# defines and the part of Odoo's models (res.partner, project.project, res.company...) it adds.
# Profile comes first: the other features read its figures and extend its fields. Before
# them, the helpers every scheduled job inherits (batches, commits, claims, progress).
from . import retention_job_mixin
from . import profile
from . import reviews
from . import followups
from . import feedback
from . import analytics
