# Python grouped by feature, as the views are: each folder holds the models its feature
# defines and the part of Odoo's models (res.partner, project.project, res.company...) and of
# the other features' models it adds. A feature depends only on those loaded before it, and
# the earlier ones reach the later ones through named hooks they define and the later ones
# override (docs/features.md, "Features and their hooks"):
# profile <- follow-ups <- reviews <- feedback <- analytics. Before them, the helpers every
# scheduled job inherits (batches, commits, claims, progress, a cron worker's time limit) and
# the smart-button counts features add to customers and projects.
from . import retention_job_mixin
from . import ir_cron
from . import retention_related_count_mixin
from . import profile
from . import followups
from . import reviews
from . import feedback
from . import analytics
from . import cockpit
