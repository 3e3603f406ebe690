from . import models
from . import wizard


def post_init_hook(env):
    """Monthly retention snapshots rebuilt from the invoice history at once."""
    env["retention.snapshot"]._backfill()
