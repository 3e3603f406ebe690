from odoo import Command, fields
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

#: The day every test runs on (tests freeze time to it).
TODAY = "2026-06-15"


@tagged("post_install", "-at_install")
class RetentionCase(AccountTestInvoicingCommon):
    """Invoices, payments and customers built by hand, with the figures recomputed on demand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.builder = cls.env["retention.profile.builder"]
        cls.company = cls.env.company
        cls.customer = cls.env["res.partner"].create(
            {"name": "Batumi Port Logistics", "is_company": True, "customer_rank": 1}
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Nino Beridze", "parent_id": cls.customer.id, "email": "nino@bpl.example"}
        )

    @classmethod
    def make_invoice(
        cls,
        partner,
        day,
        amount,
        move_type="out_invoice",
        due=None,
        currency=None,
        company=None,
        post=True,
        reversed_entry=None,
    ):
        """A customer invoice (or credit note) of one untaxed line, posted by default."""
        company = company or cls.env.company
        journal = cls.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
        )
        values = {
            "move_type": move_type,
            "partner_id": partner.id,
            "company_id": company.id,
            "journal_id": journal.id,
            "invoice_date": day,
            "date": day,
            "invoice_date_due": due or day,
            "invoice_line_ids": [
                Command.create(
                    {"name": "Consulting", "quantity": 1, "price_unit": amount, "tax_ids": []}
                )
            ],
        }
        if currency:
            values["currency_id"] = currency.id
        if reversed_entry:
            values["reversed_entry_id"] = reversed_entry.id
        move = cls.env["account.move"].with_company(company).create(values)
        if post:
            move.action_post()
        return move

    @classmethod
    def pay(cls, invoices, day):
        """Register the full payment of these invoices on that day."""
        cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices.ids
        ).create({"payment_date": day, "group_payment": False})._create_payments()

    def recompute(self, partners=None):
        partners = partners or self.customer
        self.builder._compute_partners(partners.commercial_partner_id.ids)

    @staticmethod
    def to_date(value):
        return fields.Date.to_date(value)
