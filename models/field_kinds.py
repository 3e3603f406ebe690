"""The kinds of fields the module declares again and again, declared once.

Every feature adds figures to customers, columns to its reports and settings to companies;
what those fields share (who may read them, that users never write them, their storage) is
written here, so that a declaration says only what is its own: type, label, help.
"""

from odoo import fields

#: Who may see revenue and debts: invoicing users and retention managers.
MONEY_GROUPS = "account.group_account_invoice,customer_retention.group_retention_manager"
#: The rest of the retention profile: internal users only (portal and public users read none).
INTERNAL_GROUPS = "base.group_user"


def figure(field_class, string, help_text=None, *, money=False, **options):
    """A figure of the commercial partner, one value per company (company_dependent stores it
    in a jsonb column keyed by company id; reads, searches and group-bys use env.company).
    Written in bulk by the module, never by users. Odoo indexes company-dependent fields by
    default; figures are not indexed: each index costs every refresh an entry per customer."""
    options.setdefault("index", False)
    return field_class(
        string=string,
        help=help_text,
        company_dependent=True,
        readonly=True,
        groups=MONEY_GROUPS if money else INTERNAL_GROUPS,
        **options,
    )


def column(field_class, string, help_text=None, *, money=False, **options):
    """A read-only column of a report or a snapshot row, written by SQL; money columns are
    read by those who may see revenue only."""
    if money:
        options["groups"] = MONEY_GROUPS
    return field_class(string=string, help=help_text, readonly=True, **options)


def internal(field_class, *args, **options):
    """A field of ours on a core model that only internal users read (never portal or public
    users: they can read core models' records)."""
    return field_class(*args, groups=INTERNAL_GROUPS, **options)


def setting(field_class, string, default, help_text, **options):
    """A company setting of the module, with the default a new company starts from."""
    return field_class(string=string, default=default, help=help_text, **options)


#: Who retention records are about: companies, and persons who buy on their own.
COMMERCIAL_CUSTOMER_DOMAIN = "['|', ('is_company', '=', True), ('parent_id', '=', False)]"


def history_customer(help_text=None, **options):
    """The customer a record of their history is about (an account review, a feedback answer,
    a risk case): required, indexed, of the record's company, and kept: a customer with such
    records is archived, not deleted (res.partner refuses with a clear message first)."""
    return fields.Many2one(
        "res.partner",
        string="Customer",
        help=help_text,
        required=True,
        index=True,
        check_company=True,
        ondelete="restrict",
        domain=COMMERCIAL_CUSTOMER_DOMAIN,
        **options,
    )


def record_company(**options):
    """The company a record of the module belongs to (its record rules read it): required,
    indexed, the user's current company by default."""
    return fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company, **options
    )


def employee(string, help_text=None, **options):
    """A user of ours a record names (a reviewer, an account manager, a case's owner): internal
    users only, indexed."""
    return fields.Many2one(
        "res.users",
        string=string,
        help=help_text,
        index=True,
        domain="[('share', '=', False)]",
        **options,
    )
