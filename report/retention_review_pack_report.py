from odoo import api, models


class ReportRetentionReviewPack(models.AbstractModel):
    """The customer's review pack: the reviews' figures gathered once per language of the
    customers (retention.review._pack_data), without any internal figure."""

    _name = "report.customer_retention.report_retention_review_pack"
    _description = "Account Review Pack"

    #: The team's version adds the health score, the stage, the factors and the notes.
    _internal = False

    @api.model
    def _get_report_values(self, docids, data=None):
        reviews = self.env["retention.review"].browse(docids)
        reviews.check_access("read")
        packs = {}
        if self._internal:
            packs.update(reviews._pack_data())
        else:
            for lang, group in reviews.grouped(lambda r: r.partner_id.lang or "").items():
                packs.update(group.with_context(lang=lang or self.env.lang)._pack_data())
        return {
            "doc_ids": docids,
            "doc_model": "retention.review",
            "docs": reviews,
            "packs": packs,
            "internal": self._internal,
        }


class ReportRetentionReviewPackInternal(models.AbstractModel):
    """The team's version of the pack: the customer's pages plus the internal figures."""

    _name = "report.customer_retention.report_retention_review_pack_internal"
    _inherit = "report.customer_retention.report_retention_review_pack"
    _description = "Account Review Pack (internal)"

    # (reading the reviews, checked in _get_report_values, needs the Retention user group)
    _internal = True
