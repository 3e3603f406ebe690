from odoo import models

from ..models.profile.res_partner import DROP_PROTECTED_KEY


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_values(self, src_partners, dst_partner):
        """The merge writes every field of the merged contacts on the one kept: the retention
        figures (refused to users' writes, see res.partner.write) are left to the builder,
        which gets the customer queued since its invoices and projects moved by SQL."""
        super()._update_values(src_partners, dst_partner.with_context(**{DROP_PROTECTED_KEY: True}))
        self.env["retention.profile.builder"]._queue_refresh(dst_partner.ids)
