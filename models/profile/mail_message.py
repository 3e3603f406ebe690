from odoo import api, models
from odoo.tools import SQL, create_index, index_exists

#: Index of the refresh job's scan for new messages (EXPLAIN before/after in bench/README.md).
RETENTION_MESSAGE_INDEX = "mail_message_retention_create_date_idx"

#: The messages that can be a contact with a customer (emails and messages that are not
#: internal, and done activities), as the predicate of the partial indexes below. The builder
#: repeats it word for word in its lookups: PostgreSQL uses a partial index only for a query
#: whose conditions contain its predicate.
_CONTACT_PREDICATE = (
    "(({a}message_type IN ('email', 'comment', 'email_outgoing') AND {a}is_internal IS NOT TRUE)"
    " OR {a}mail_activity_type_id IS NOT NULL)"
)
CONTACT_PREDICATE = _CONTACT_PREDICATE.format(a="")
#: Covering the columns the builder tests, so that its per-record lookups of the latest
#: contact read the index alone (index-only scans), not the 4 million rows of mail_message.
_CONTACT_COLUMNS = "date, message_type, is_internal, subtype_id, mail_activity_type_id"
RETENTION_CONTACT_INDEXES = {
    # latest contact on a customer, contact, project or invoice
    "mail_message_retention_record_contact_idx": "model, res_id",
    # latest message a customer's contact wrote, wherever
    "mail_message_retention_author_contact_idx": "author_id",
}


def contact_predicate(alias):
    """CONTACT_PREDICATE for the mail_message table aliased ``alias``."""
    return SQL(_CONTACT_PREDICATE.format(a=f"{alias}."))


class MailMessage(models.Model):
    _inherit = "mail.message"

    def init(self):
        super().init()
        # the refresh job looks for the messages posted since its last run; create_date only
        # grows, so the index stays small to maintain
        create_index(self.env.cr, RETENTION_MESSAGE_INDEX, self._table, ["create_date"])
        for name, keys in RETENTION_CONTACT_INDEXES.items():
            if not index_exists(self.env.cr, name):
                self.env.cr.execute(
                    SQL(
                        "CREATE INDEX %s ON mail_message (%s) INCLUDE (%s) WHERE %s",
                        SQL.identifier(name),
                        SQL(keys),
                        SQL(_CONTACT_COLUMNS),
                        SQL(CONTACT_PREDICATE),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        messages._retention_refresh_contacted()
        return messages

    def _retention_refresh_contacted(self):
        """A call or meeting logged (a done activity) on a customer, or a message to it,
        refreshes its figures at once (its last contact and engagement) instead of at the next
        run of the refresh job (issue #17). Only messages on partners and on records with a
        customer (projects, invoices...) that count as a contact (CONTACT_PREDICATE)."""
        contacts = self.filtered(
            lambda m: (
                m.model
                and m.res_id
                and (
                    m.mail_activity_type_id
                    or (
                        m.message_type in ("email", "comment", "email_outgoing")
                        and not m.is_internal
                    )
                )
            )
        )
        if not contacts:
            return
        partner_ids = set()
        for model, messages in contacts.grouped("model").items():
            if model not in self.env:
                continue
            Model = self.env[model].sudo()
            ids = messages.mapped("res_id")
            if model == "res.partner":
                partner_ids.update(ids)
            elif "partner_id" in Model._fields and Model._fields["partner_id"].comodel_name == (
                "res.partner"
            ):
                # sudo: which customer the record is of, whoever posted on it
                partner_ids.update(Model.browse(ids).exists().partner_id.ids)
        self.env["res.partner"].browse(list(partner_ids))._retention_refresh_soon()
