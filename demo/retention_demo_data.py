"""Demo data: a service business with three years of customer history.

Everything is built in Python rather than XML because the history is relative to the
install day (so the demo never goes stale) and because invoices must go through Odoo's own
flows (post, credit note, payment) to look real to the retention figures. The generator is
deterministic: the same install day gives the same data.
"""

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import SQL

from ..engine import feedback as engine_feedback

_logger = logging.getLogger(__name__)

SEED = 20261122

#: Context for every write: no tracking, no auto-subscription, no e-mail sent or queued.
DEMO_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_auto_subscribe_no_notify": True,
    "mail_notify_force_send": False,
    "mail_activity_quick_update": True,
    "no_reset_password": True,
}

#: The reference of the first demo customer: its presence means the demo is already there.
FIRST_REF = "CUST-1001"

# key: (name, internal reference, list price, billed monthly)
SERVICES = {
    "consulting": ("Consulting hour", "SRV-CONS", 150.0),
    "maintenance": ("Website maintenance (monthly)", "SRV-WMNT", 450.0),
    "it_support": ("IT support retainer", "SRV-ITSR", 1200.0),
    "seo_audit": ("SEO audit", "SRV-SEOA", 1800.0),
    "seo_monthly": ("SEO growth programme (monthly)", "SRV-SEOM", 600.0),
    "hosting": ("Cloud hosting (monthly)", "SRV-HOST", 90.0),
    "security": ("Security assessment", "SRV-SECA", 3500.0),
    "milestone": ("Website development (milestone)", "SRV-WDEV", 4000.0),
    "training": ("Training day", "SRV-TRNG", 950.0),
}


@dataclass(frozen=True)
class CustomerSpec:
    """One demo customer: who they are and how their story goes."""

    name: str
    city: str
    country: str  # ISO code
    industry: str  # letter of base.res_partner_industry_X
    domain: str
    phone: str
    contacts: tuple  # ((name, job position), ...)
    profile: str  # new, active, at_risk, churned, won_back, prospect
    billing: str = "retainer"  # retainer (every `months` months) or project (lump sums)
    services: tuple = ("it_support",)  # services billed by a retainer
    months: int = 1  # retainer billing period: 1 monthly, 3 quarterly
    size: float = 1.0  # scales the prices
    currency: str = ""  # "EUR" for customers billed in the second currency
    manager: str = "admin"  # salesperson: admin or demo
    overdue_days: int = 0  # age of the oldest unpaid invoice past due
    credit_notes: int = 0
    referred_by: str = ""  # name of the customer who recommended them


# fmt: off
CUSTOMERS = (
    # ---- active: buying regularly for years, paid, in touch ----
    CustomerSpec("Tbilisi Dental Clinic", "Tbilisi", "GE", "Q", "tbilisidental.ge",
                 "+995 32 224 1187", (("Nino Beridze", "Practice Manager"),
                                      ("Giorgi Kapanadze", "Head Dentist")),
                 "active", services=("maintenance", "it_support"), size=0.8,
                 credit_notes=1),
    CustomerSpec("Samarkand Silk Hotel", "Samarkand", "UZ", "I", "samarkandsilk.uz",
                 "+998 66 233 4510", (("Dilnoza Karimova", "General Manager"),
                                      ("Rustam Aliev", "Marketing Manager")),
                 "active", services=("maintenance", "seo_monthly"), manager="demo"),
    CustomerSpec("Batumi Port Logistics", "Batumi", "GE", "H", "batumiportlogistics.ge",
                 "+995 422 27 55 10", (("Levan Tsiklauri", "IT Director"),),
                 "active", services=("it_support", "hosting"), size=1.6, months=3),
    CustomerSpec("Tashkent Fintech Hub", "Tashkent", "UZ", "K", "fintechhub.uz",
                 "+998 71 205 7788", (("Aziz Rakhimov", "CTO"),
                                      ("Malika Yusupova", "Office Manager")),
                 "active", billing="project", size=1.3, manager="demo", credit_notes=1),
    CustomerSpec("Kutaisi Wine Cellars", "Kutaisi", "GE", "C", "kutaisiwine.ge",
                 "+995 431 24 12 90", (("Tamar Lomidze", "Owner"),),
                 "active", services=("maintenance", "hosting"), size=0.7, months=3),
    CustomerSpec("Bukhara Craft Collective", "Bukhara", "UZ", "G", "bukharacraft.uz",
                 "+998 65 221 3040", (("Sherzod Nazarov", "Director"),
                                      ("Gulnora Saidova", "E-commerce Lead")),
                 "active", billing="project", size=0.6, manager="demo"),
    CustomerSpec("Rustavi Steel Service Center", "Rustavi", "GE", "C", "rustavisteel.ge",
                 "+995 341 25 60 70", (("Davit Gelashvili", "Plant Manager"),),
                 "active", services=("it_support",), size=1.4, months=3),
    CustomerSpec("Amsterdam Design Studio", "Amsterdam", "NL", "M", "adstudio.nl",
                 "+31 20 794 1122", (("Sanne de Vries", "Creative Director"),),
                 "active", billing="project", currency="EUR", size=1.1),
    CustomerSpec("Berlin Mobility GmbH", "Berlin", "DE", "H", "berlinmobility.de",
                 "+49 30 2089 4410", (("Jonas Weber", "Head of IT"),
                                      ("Lea Fischer", "Procurement")),
                 "active", services=("it_support", "hosting"), currency="EUR", size=1.2,
                 manager="demo", months=3),
    CustomerSpec("Caucasus Legal Partners", "Tbilisi", "GE", "M", "caucasuslegal.ge",
                 "+995 32 243 9900", (("Ana Chkheidze", "Managing Partner"),),
                 "active", services=("it_support", "hosting"), size=0.9, months=3,
                 referred_by="Tbilisi Dental Clinic"),
    CustomerSpec("Fergana Textile Group", "Fergana", "UZ", "C", "fergana-textile.uz",
                 "+998 73 244 1520", (("Bakhodir Tursunov", "CFO"),
                                      ("Zarina Ismoilova", "IT Officer")),
                 "active", services=("it_support",), size=1.1, manager="demo", months=3),
    CustomerSpec("Istanbul Bosphorus Travel", "Istanbul", "TR", "N", "bosphorustravel.com.tr",
                 "+90 212 555 0148", (("Elif Yilmaz", "Digital Marketing Manager"),),
                 "active", billing="project", size=0.9),
    CustomerSpec("Sighnaghi Boutique Hotels", "Sighnaghi", "GE", "I", "sighnaghihotels.ge",
                 "+995 355 23 11 44", (("Keti Mamaladze", "Owner"),),
                 "active", services=("maintenance", "seo_monthly"), size=0.6, months=3,
                 referred_by="Kutaisi Wine Cellars"),
    CustomerSpec("Tashkent City Pharmacy", "Tashkent", "UZ", "Q", "citypharmacy.uz",
                 "+998 71 150 2233", (("Olim Khasanov", "Operations Director"),
                                      ("Nodira Ergasheva", "Accountant")),
                 "active", services=("it_support", "hosting"), size=1.0, manager="demo",
                 overdue_days=12),
    # ---- new: first invoice within the onboarding period ----
    CustomerSpec("Mtskheta Guesthouse Network", "Mtskheta", "GE", "I", "mtskhetastay.ge",
                 "+995 32 251 7766", (("Irakli Jorbenadze", "Founder"),),
                 "new", services=("maintenance", "hosting"), size=0.7,
                 referred_by="Borjomi Spa Resort"),
    CustomerSpec("Namangan AgroTech", "Namangan", "UZ", "A", "namanganagro.uz",
                 "+998 69 227 8090", (("Jasur Mirzaev", "CEO"),),
                 "new", billing="project", size=0.8, manager="demo",
                 referred_by="Fergana Textile Group"),
    CustomerSpec("Vienna Coffee Roasters", "Vienna", "AT", "I", "viennaroasters.at",
                 "+43 1 236 4490", (("Lukas Gruber", "Managing Director"),),
                 "new", services=("maintenance", "seo_monthly"), currency="EUR", size=0.8,
                 referred_by="Berlin Mobility GmbH"),
    CustomerSpec("Almaty EdTech Platform", "Almaty", "KZ", "P", "almatyedtech.kz",
                 "+7 727 355 2040", (("Aigerim Suleimenova", "Product Owner"),),
                 "new", billing="project", size=1.0),
    # ---- at risk: declining, overdue, quiet, troubled projects ----
    CustomerSpec("Gori Medical Laboratory", "Gori", "GE", "Q", "gorilab.ge",
                 "+995 370 27 30 12", (("Maia Natsvlishvili", "Lab Director"),),
                 "at_risk", services=("it_support",), size=0.9, overdue_days=95,
                 credit_notes=1),
    CustomerSpec("Khiva Heritage Tours", "Khiva", "UZ", "N", "khivatours.uz",
                 "+998 62 375 4411", (("Farrukh Sadikov", "Owner"),),
                 "at_risk", services=("maintenance", "seo_monthly"), size=0.8, manager="demo",
                 overdue_days=110),
    CustomerSpec("Zugdidi Fresh Markets", "Zugdidi", "GE", "G", "zugdidifresh.ge",
                 "+995 415 25 40 60", (("Zurab Kvaratskhelia", "Owner"),
                                       ("Eka Gogua", "Bookkeeper")),
                 "at_risk", services=("it_support",), size=1.0, overdue_days=45, credit_notes=2),
    CustomerSpec("Andijan Auto Parts", "Andijan", "UZ", "G", "andijanparts.uz",
                 "+998 74 223 6070", (("Sardor Umarov", "Commercial Director"),),
                 "at_risk", billing="project", size=1.0, manager="demo", overdue_days=60),
    CustomerSpec("Baku Energy Consulting", "Baku", "AZ", "D", "bakuenergy.az",
                 "+994 12 404 7788", (("Leyla Mammadova", "Partner"),),
                 "at_risk", billing="project", size=1.2, overdue_days=35, credit_notes=1),
    CustomerSpec("Yerevan Software Labs", "Yerevan", "AM", "J", "yerevanlabs.am",
                 "+374 10 545 321", (("Armen Petrosyan", "COO"),),
                 "at_risk", services=("it_support",), size=0.8, overdue_days=75),
    # ---- churned: last invoice more than a year ago ----
    CustomerSpec("Telavi Wine Tours", "Telavi", "GE", "I", "telaviwinetours.ge",
                 "+995 350 27 14 14", (("Sopho Khutsishvili", "Manager"),),
                 "churned", services=("maintenance", "seo_monthly"), size=0.6),
    CustomerSpec("Nukus Water Services", "Nukus", "UZ", "E", "nukuswater.uz",
                 "+998 61 222 1199", (("Kamal Ismailov", "Chief Engineer"),),
                 "churned", billing="project", size=1.0, manager="demo"),
    CustomerSpec("Poti Shipping Agency", "Poti", "GE", "H", "potishipping.ge",
                 "+995 493 22 00 77", (("Giga Chanturia", "Operations Manager"),),
                 "churned", services=("it_support",), size=0.9, credit_notes=1),
    CustomerSpec("Karshi Construction Group", "Karshi", "UZ", "F", "karshibuild.uz",
                 "+998 75 221 5566", (("Ulugbek Kholmatov", "Project Director"),),
                 "churned", billing="project", size=1.5, manager="demo"),
    CustomerSpec("Prague Event Agency", "Prague", "CZ", "R", "pragueevents.cz",
                 "+420 224 811 730", (("Tereza Novakova", "Event Director"),),
                 "churned", services=("maintenance", "hosting"), currency="EUR", size=0.9,
                 months=3),
    # ---- won back: a gap longer than a year, then invoiced again recently ----
    CustomerSpec("Borjomi Spa Resort", "Borjomi", "GE", "I", "borjomispa.ge",
                 "+995 367 22 10 10", (("Natia Abashidze", "Resort Director"),
                                       ("Luka Meskhi", "IT Administrator")),
                 "won_back", services=("it_support", "hosting"), size=1.0),
    CustomerSpec("Termez Trade House", "Termez", "UZ", "G", "termeztrade.uz",
                 "+998 76 223 0808", (("Dilshod Karimov", "Director"),),
                 "won_back", billing="project", size=0.9, manager="demo"),
    CustomerSpec("Lisbon Language School", "Lisbon", "PT", "P", "lisbonlanguage.pt",
                 "+351 21 340 5512", (("Ines Carvalho", "Director"),),
                 "won_back", services=("maintenance", "hosting"), currency="EUR", size=0.8),
    # ---- prospects: in touch, never invoiced ----
    CustomerSpec("Kobuleti Beach Resort", "Kobuleti", "GE", "I", "kobuletibeach.ge",
                 "+995 426 24 33 00", (("Mariam Tsintsadze", "Marketing Manager"),),
                 "prospect", referred_by="Batumi Port Logistics"),
    CustomerSpec("Urgench Solar Energy", "Urgench", "UZ", "D", "urgenchsolar.uz",
                 "+998 62 226 9010", (("Timur Abdullaev", "General Director"),),
                 "prospect", manager="demo"),
    CustomerSpec("Dushanbe Printing House", "Dushanbe", "TJ", "C", "dushanbeprint.tj",
                 "+992 37 221 4455", (("Firuz Rahimov", "Owner"),),
                 "prospect"),
)
# fmt: on

# ---------------------------------------------------------------------------
# Texts of the exchanges, by profile: {first} is the customer's contact, {manager} ours.
# ---------------------------------------------------------------------------
INCOMING = {
    "happy": (
        "Hi {manager}, thanks for the quick fix on the contact form yesterday. "
        "Everything works again.",
        "Could you send us a quote for the extra training day we discussed?",
        "We are hiring two people next month: can you prepare their laptops and mailboxes?",
        "The monthly report looks good. Can we plan the next review at the start of the quarter?",
        "Thanks for the smooth migration over the weekend, the team did not notice a thing.",
        "Our new branch opens in spring. Could you include it in the support contract?",
    ),
    "unhappy": (
        "{manager}, the website was down again on Monday morning. "
        "That is the third time this quarter.",
        "We are reviewing next year's budget and will probably reduce the scope of the contract.",
        "The last invoice does not match the hours we agreed. Please correct it before we pay.",
        "Honestly, we expected the new booking engine to be live two months ago.",
    ),
    "farewell": (
        "We have decided to bring IT in-house from next month. Thank you for the collaboration.",
        "Our budget has been cut; please stop the maintenance contract at the end of the month.",
    ),
    "won_back": (
        "Hi {manager}, it has been a while! We are opening a second location and need your help "
        "again. Are you available?",
    ),
    "welcome": (
        "Signed contract attached. Looking forward to working with you!",
        "Here are the admin credentials for the current hosting, as requested.",
    ),
    "prospect": (
        "We are looking for a partner to rebuild our website. Could you share some references?",
        "Thanks for the call. What would a yearly support contract for 25 users cost?",
    ),
}
OUTGOING = {
    "happy": (
        "Hello {first}, attached is the monthly service report: "
        "99.9% uptime and 14 tickets solved.",
        "Hi {first}, as promised, here is the proposal for the next phase.",
        "Dear {first}, we will patch the servers on Saturday at 22:00; "
        "expected downtime 15 minutes.",
        "Hi {first}, thank you for the meeting today. Summary and next steps below.",
    ),
    "unhappy": (
        "Hi {first}, sorry for the outage. The cause was a failed certificate renewal; monitoring "
        "is now in place.",
        "Dear {first}, a friendly reminder that some invoices are past due. Could you check with "
        "your accounts department?",
    ),
    "farewell": (
        "Hi {first}, sorry to see you go. The handover documentation is attached; we keep your "
        "backups for 90 days.",
    ),
    "won_back": (
        "Great to hear from you, {first}! Our proposal for the new location is attached.",
    ),
    "welcome": (
        "Welcome aboard, {first}! Here is your onboarding plan and the helpdesk address.",
        "Hi {first}, the kick-off is confirmed. See you on Tuesday at 10:00.",
    ),
    "prospect": (
        "Hi {first}, thank you for your interest. Our portfolio and a first estimate are attached.",
        "Dear {first}, the proposal for the yearly support contract is attached. Happy to discuss.",
    ),
}
#: Exchanges about an invoice, by direction: (normal, when the customer is unhappy).
INVOICE_TEXTS = {
    "in": (
        (
            "Could you send this invoice again with our VAT number on it?",
            "Payment is scheduled for Friday.",
            "Which purchase order does this invoice refer to?",
        ),
        (
            "We do not agree with the hours on this invoice; please send the timesheet.",
            "Payment is on hold until the open tickets are solved.",
        ),
    ),
    "out": (
        ("Hi {first}, please find the invoice attached. Thank you for your business!",),
        ("Dear {first}, a friendly reminder that this invoice is now past due.",),
    ),
}
NOTES = {
    "happy": (
        "Very satisfied customer; good candidate for a case study.",
        "Asked about the SEO package: mention it at the next review.",
    ),
    "unhappy": (
        "No answer to our last two e-mails. {first} may have left: try the main number.",
        "Heard they are talking to another agency. Plan an account review soon.",
        "Finance asks to hold new work until the overdue balance is settled.",
    ),
}
CALLS = {
    "happy": (
        "Quarterly review: happy with response times, interested in the SEO package.",
        "Renewal call: agreed on twelve more months at the current scope.",
        "Checked in after the go-live: no open issues.",
    ),
    "unhappy": (
        "Complained about slow ticket handling; promised a service review.",
        "Discussed the overdue invoices: payment promised 'next week'.",
    ),
    "farewell": ("Exit call: moving to an in-house team, satisfied with the handover.",),
    "welcome": ("Kick-off meeting: goals, contacts and the first month's plan agreed.",),
    "prospect": ("Discovery call: needs, budget and timeline discussed.",),
}
PROJECTS = {
    "retainer": ("IT support & helpdesk", "Website care plan", "Managed hosting & backups"),
    "project": (
        "Website relaunch",
        "Booking engine",
        "ERP integration",
        "Network upgrade",
        "Security hardening",
        "Mobile app MVP",
        "Online shop",
    ),
}
TASKS = (
    "Kick-off workshop",
    "Audit of the current setup",
    "Design mock-ups",
    "Migrate mailboxes",
    "Configure backups",
    "Monthly SEO report",
    "Fix the contact form",
    "Staff training session",
    "Go-live checklist",
    "Performance tuning",
    "Security patching",
    "Content update",
    "Replace the office firewall",
    "Set up monitoring alerts",
    "Accessibility review",
)
#: What project work is invoiced (twice as many milestones as the rest).
PROJECT_WORK = ("milestone", "milestone", "consulting", "seo_audit", "security", "training")
RATING_FEEDBACK = {
    5: "Great job, fast and friendly.",
    3: "Done, but it took longer than expected.",
    1: "Not what we asked for, and late.",
}


@dataclass
class Customer:
    """A demo customer while it is being built: its records and its planned history."""

    spec: CustomerSpec
    partner: object = None
    contacts: object = None
    user: object = None  # salesperson
    invoice_plans: list = field(default_factory=list)
    invoices: object = None
    projects: object = None
    start: object = None  # first day of the relationship
    last_contact: object = None
    touchpoints: list = field(default_factory=list)  # days of the exchanges
    comeback: object = None  # won back: the day they asked us for work again
    review_rank: int = 0  # rank among the customers of its profile (the reviews' story)


class RetentionDemoData(models.AbstractModel):
    _name = "retention.demo.data"
    _description = "Retention demo data generator"

    # ------------------------------------------------------------------
    # Entry point
    # ------------------------------------------------------------------
    @api.model
    def _generate_demo_data(self):
        """Build the demo service business (called by demo/customer_retention_demo.xml)."""
        started = time.monotonic()
        gen = self._demo_env()
        if (
            gen.env["res.partner"]
            .with_context(active_test=False)
            .search_count([("ref", "=", FIRST_REF)], limit=1)
        ):
            return False  # already there: a module update must not duplicate the history
        company = gen.env.company
        gen._ensure_chart_of_accounts(company)
        gen._enable_project_stages()
        rng = random.Random(SEED)
        today = fields.Date.context_today(gen)
        gen = gen.with_context(demo_today=today)
        products = gen._create_service_products()
        customers = gen._create_customers(CUSTOMERS, rng)
        gen._plan_invoices(customers, products, rng)
        gen._create_invoices(customers, company)
        gen._create_credit_notes(customers, rng)
        gen._register_payments(customers, company)
        gen._create_projects(customers, rng)
        gen._create_ratings(customers, rng)
        gen._create_feedback(customers, rng)
        gen._post_exchanges(customers, rng)
        gen._backdate_messages(gen._log_done_activities(customers, rng))
        gen._schedule_open_activities(customers, rng)
        gen._set_retention_fields(customers, rng)
        reviews = gen._run_the_practice(customers)  # demo/retention_demo_practice.py
        _logger.info(
            "customer_retention demo: %s customers, %s invoices, %s projects, %s reviews done "
            "in %.1f s",
            len(customers),
            sum(len(c.invoices or []) for c in customers),
            sum(len(c.projects or []) for c in customers),
            reviews,
            time.monotonic() - started,
        )
        return True

    def _demo_env(self):
        """Act as the administrator (messages and activities are theirs, not OdooBot's), with
        superuser rights and without any mail side effect."""
        admin = self.env.ref("base.user_admin", raise_if_not_found=False) or self.env.user
        # sudo: demo data is installed by the administrator for every company and user
        return self.with_user(admin).sudo().with_context(**DEMO_CONTEXT)

    def _today(self):
        return self.env.context.get("demo_today") or fields.Date.context_today(self)

    # ------------------------------------------------------------------
    # Setup
    # ------------------------------------------------------------------
    @api.model
    def _ensure_chart_of_accounts(self, company):
        """Invoices need accounts and journals: a database without a chart gets the generic one."""
        if not company.chart_template:
            ChartTemplate = self.env["account.chart.template"]
            ChartTemplate.try_loading("generic_coa", company, install_demo=False)

    @api.model
    def _enable_project_stages(self):
        """Show the project stages (To Do, In Progress, Done...) the demo projects move through."""
        group = self.env.ref("project.group_project_stages", raise_if_not_found=False)
        employees = self.env.ref("base.group_user")
        if group and group not in employees.implied_ids:
            employees.write({"implied_ids": [Command.link(group.id)]})

    @api.model
    def _second_currency(self, company):
        """EUR for a company in another currency (USD otherwise), active, with quarterly
        rates over the demo period when the pair is EUR/USD."""
        code = "USD" if company.currency_id.name == "EUR" else "EUR"
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", code)], limit=1)
        )
        if not currency:
            return self.env["res.currency"]
        currency.active = True
        base_rate = {"USD": {"EUR": 0.92}, "EUR": {"USD": 1.08}}.get(company.currency_id.name, {})
        if code in base_rate:
            today = self._today()
            first = today.replace(day=1) - relativedelta(months=(today.month - 1) % 3, years=3)
            days = []
            while first <= today:
                days.append(first)
                first += relativedelta(months=3)
            existing = set(
                self.env["res.currency.rate"]
                .search(
                    [
                        ("currency_id", "=", currency.id),
                        ("company_id", "=", company.id),
                        ("name", "in", days),
                    ]
                )
                .mapped("name")
            )
            wobble = (0.0, 0.015, -0.01, 0.02, 0.005, -0.02, 0.01, 0.025, -0.005, 0.0, 0.015)
            self.env["res.currency.rate"].create(
                [
                    {
                        "currency_id": currency.id,
                        "company_id": company.id,
                        "name": day,
                        "rate": round(base_rate[code] * (1 + wobble[i % len(wobble)]), 4),
                    }
                    for i, day in enumerate(days)
                    if day not in existing
                ]
            )
        return currency

    @api.model
    def _create_service_products(self):
        """The services the demo company sells, found by internal reference or created."""
        products = {}
        Product = self.env["product.product"]
        for key, (name, code, price) in SERVICES.items():
            product = Product.search([("default_code", "=", code)], limit=1)
            if not product:
                product = Product.create(
                    {"name": name, "default_code": code, "type": "service", "list_price": price}
                )
            products[key] = product
        return products

    # ------------------------------------------------------------------
    # Customers
    # ------------------------------------------------------------------
    @api.model
    def _create_customers(self, specs, rng):
        """Companies with one or two contacts each, a salesperson and a customer rank."""
        admin = self.env.user
        demo_user = self.env.ref("base.user_demo", raise_if_not_found=False) or admin
        codes = list({spec.country for spec in specs})
        countries = {c.code: c for c in self.env["res.country"].search([("code", "in", codes)])}
        customers = []
        company_vals = []
        for index, spec in enumerate(specs):
            user = demo_user if spec.manager == "demo" else admin
            industry = self.env.ref(
                f"base.res_partner_industry_{spec.industry}", raise_if_not_found=False
            )
            company_vals.append(
                {
                    "name": spec.name,
                    "is_company": True,
                    "ref": f"CUST-{1001 + index}",
                    "street": f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
                    "city": spec.city,
                    "country_id": countries.get(spec.country, self.env["res.country"]).id,
                    "phone": spec.phone,
                    "email": f"info@{spec.domain}",
                    "website": f"https://www.{spec.domain}",
                    "industry_id": industry.id if industry else False,
                    "user_id": user.id,
                    "customer_rank": 1,
                }
            )
            customers.append(Customer(spec=spec, user=user))
        companies = self.env["res.partner"].create(company_vals)
        contact_vals = []
        for customer, company in zip(customers, companies, strict=True):
            customer.partner = company
            for name, function in customer.spec.contacts:
                first, last = name.lower().split(" ", 1)
                contact_vals.append(
                    {
                        "name": name,
                        "parent_id": company.id,
                        "type": "contact",
                        "function": function,
                        "email": f"{first}.{last.replace(' ', '')}@{customer.spec.domain}",
                        "phone": company.phone,
                        "user_id": customer.user.id,
                    }
                )
        contacts = self.env["res.partner"].create(contact_vals)
        for customer in customers:
            customer.contacts = contacts.filtered(lambda c, p=customer.partner: c.parent_id == p)
        return customers

    # ------------------------------------------------------------------
    # Invoices, credit notes, payments
    # ------------------------------------------------------------------
    @api.model
    def _billing_periods(self, spec, rng):
        """(first day, last day) of each period the customer was invoiced, by profile."""
        today = self._today()

        def ago(low, high):
            return today - timedelta(days=rng.randint(low, high))

        recent_end = (5, 35) if spec.billing == "retainer" else (15, 50)
        if spec.profile == "active":
            return [(ago(300, 900), ago(*recent_end))]
        if spec.profile == "new":
            return [(ago(25, 85), ago(3, 15))]
        if spec.profile == "at_risk":
            # the last invoices are the unpaid ones, up to overdue_days past their 30-day term
            return [(ago(700, 800), ago(60, max(60, min(75, spec.overdue_days + 30))))]
        if spec.profile == "churned":
            return [(ago(800, 1095), ago(400, 740))]
        if spec.profile == "won_back":
            return [(ago(900, 1095), ago(560, 700)), (ago(60, 170), ago(5, 30))]
        return []

    @api.model
    def _billing_dates(self, spec, start, end, rng):
        """Invoice dates from the last one backwards: every billing period for retainers,
        every six to fifteen weeks for project work (four to seven for customers at risk, whose
        regular orders then stopped)."""
        gaps = (30, 50) if spec.profile == "at_risk" else (45, 105)
        dates = []
        day = end
        while day >= start:
            dates.append(day)
            if spec.billing == "retainer":
                day -= relativedelta(months=spec.months)
            else:
                day -= timedelta(days=rng.randint(*gaps))
        return sorted(dates) or [end]

    @api.model
    def _price_factor(self, spec, day):
        """Active customers grew over time; customers at risk cut the scope in the last year."""
        age = (self._today() - day).days
        if spec.profile == "active":
            return 1.0 + 0.2 * max(0.0, 1 - age / 1095)
        if spec.profile == "at_risk":
            return 0.5 if age <= 365 else 1.0
        return 1.0

    @api.model
    def _invoice_lines(self, spec, day, products, rng):
        """(product, label, quantity, unit price) of one invoice."""
        factor = self._price_factor(spec, day) * spec.size
        month = day.strftime("%B %Y")
        lines = []
        if spec.billing == "retainer":
            period = month if spec.months == 1 else f"Q{(day.month - 1) // 3 + 1} {day.year}"
            for key in spec.services:
                product = products[key]
                price = round(product.list_price * factor / 5) * 5
                lines.append((product, f"{product.name} - {period}", spec.months, price))
            if rng.random() < 0.25:
                consulting = products["consulting"]
                hours = rng.randint(2, 10)
                lines.append((consulting, "Extra consulting hours", hours, consulting.list_price))
        elif spec.profile == "at_risk":
            # steady consulting work, cut back in the last year
            product = products["consulting"]
            hours = max(4, round(rng.randint(24, 40) * factor))
            lines.append((product, f"Consulting - {month}", hours, product.list_price))
        else:
            kind = rng.choice(PROJECT_WORK)
            product = products[kind]
            if kind == "consulting":
                hours = rng.randint(8, 40)
                lines.append((product, f"Consulting - {month}", hours, product.list_price))
            elif kind == "training":
                price = round(product.list_price * spec.size)
                lines.append((product, product.name, rng.randint(1, 3), price))
            else:
                price = round(product.list_price * factor * rng.uniform(0.7, 1.4) / 50) * 50
                lines.append((product, product.name, 1, price))
        return lines

    @api.model
    def _plan_invoices(self, customers, products, rng):
        """Decide every invoice's date, lines and payment before creating anything, so that
        creation and posting can happen in date order and in batches."""
        today = self._today()
        for customer in customers:
            spec = customer.spec
            periods = self._billing_periods(spec, rng)
            if periods:
                customer.start = periods[0][0]
            else:  # prospects: first talks a few weeks ago
                customer.start = today - timedelta(days=rng.randint(20, 60))
            pay_days = (25, 55) if spec.profile == "at_risk" else (4, 26)
            for day in [
                d for first, last in periods for d in self._billing_dates(spec, first, last, rng)
            ]:
                paid_on = day + timedelta(days=rng.randint(*pay_days))
                if spec.overdue_days and (today - day).days <= spec.overdue_days + 30:
                    paid_on = None  # left unpaid past the due date
                elif paid_on >= today:
                    paid_on = None  # not due yet
                lines = self._invoice_lines(spec, day, products, rng)
                customer.invoice_plans.append({"date": day, "lines": lines, "paid_on": paid_on})

    @api.model
    def _create_invoices(self, customers, company):
        """Customer invoices created and posted in date order (so numbers follow dates),
        a hundred at a time."""
        journal = self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        term = self.env.ref("account.account_payment_term_30days", raise_if_not_found=False)
        second_currency = (
            self._second_currency(company) if any(c.spec.currency for c in customers) else None
        )
        rows = []
        for customer in customers:
            currency = company.currency_id
            if customer.spec.currency and second_currency:
                currency = second_currency
            for plan in customer.invoice_plans:
                rows.append((plan["date"], customer, plan, currency))
        rows.sort(key=lambda row: (row[0], row[1].partner.id))
        Move = self.env["account.move"].with_company(company)
        for customer in customers:
            customer.invoices = Move.browse()
        for chunk in _chunks(rows, 100):
            moves = Move.create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": customer.partner.id,
                        "invoice_date": day,
                        "journal_id": journal.id,
                        "currency_id": currency.id,
                        "invoice_user_id": customer.user.id,
                        "invoice_payment_term_id": term.id if term else False,
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "product_id": p.id,
                                    "name": name,
                                    "quantity": qty,
                                    "price_unit": price,
                                }
                            )
                            for p, name, qty, price in plan["lines"]
                        ],
                    }
                    for day, customer, plan, currency in chunk
                ]
            )
            moves.action_post()
            for (_day, customer, plan, _currency), move in zip(chunk, moves, strict=True):
                plan["move"] = move
                customer.invoices |= move

    @api.model
    def _create_credit_notes(self, customers, rng):
        """Credit notes for part of an invoice (hours not delivered, a disputed line), issued
        a few days after it and matched with it, as the reversal wizard does."""
        today = self._today()
        vals_list, targets = [], []
        for customer in customers:
            spec = customer.spec
            if not spec.credit_notes:
                continue
            plans = customer.invoice_plans
            # customers at risk disputed recent invoices; the others an older one
            pool = (
                [p for p in plans if (today - p["date"]).days <= 300]
                if spec.profile == "at_risk"
                else plans[1:-2]
            )
            for plan in rng.sample(pool, min(spec.credit_notes, len(pool))):
                move = plan["move"]
                line = move.invoice_line_ids[0]
                share = rng.choice((0.1, 0.2, 0.25))
                vals_list.append(
                    {
                        "move_type": "out_refund",
                        "partner_id": move.partner_id.id,
                        "invoice_date": min(
                            plan["date"] + timedelta(days=rng.randint(1, 3)), today
                        ),
                        "journal_id": move.journal_id.id,
                        "currency_id": move.currency_id.id,
                        "invoice_user_id": move.invoice_user_id.id,
                        "reversed_entry_id": move.id,
                        "ref": f"Reversal of: {move.name}, "
                        + rng.choice(
                            ("hours not delivered", "disputed line", "service outage discount")
                        ),
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "product_id": line.product_id.id,
                                    "name": f"Credit: {line.name}",
                                    "quantity": 1,
                                    "price_unit": round(move.amount_untaxed * share, 2),
                                    "tax_ids": [Command.set(line.tax_ids.ids)],
                                }
                            )
                        ],
                    }
                )
                targets.append(move)
        if not vals_list:
            return
        refunds = self.env["account.move"].create(vals_list)
        refunds.action_post()
        for refund, move in zip(refunds, targets, strict=True):
            (refund.line_ids | move.line_ids).filtered(
                lambda line: (
                    line.account_id.account_type == "asset_receivable" and not line.reconciled
                )
            ).reconcile()
            for customer in customers:
                if customer.partner == move.commercial_partner_id:
                    customer.invoices |= refund

    @api.model
    def _register_payments(self, customers, company):
        """Pay what was paid, each invoice on its own day, into the company's bank journal.

        This is what the payment wizard (account.payment.register) does for each invoice:
        a payment of the residual, posted, then reconciled with the invoice. Done here a
        hundred invoices at a time: a wizard per payment day cost about half a second per
        invoice, and the demo pays some 400 of them."""
        journal = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        method_line = journal._get_available_payment_method_lines("inbound")[:1]
        Payment = self.env["account.payment"].with_context(skip_invoice_sync=True)
        to_pay = sorted(
            (
                (plan["paid_on"], plan["move"])
                for c in customers
                for plan in c.invoice_plans
                if plan["paid_on"]
            ),
            key=lambda pair: (pair[0], pair[1].id),
        )
        for chunk in _chunks(to_pay, 100):
            receivables = [
                move.line_ids.filtered(
                    lambda line: (
                        line.account_id.account_type == "asset_receivable" and not line.reconciled
                    )
                )
                for _day, move in chunk
            ]
            payments = Payment.create(
                [
                    {
                        "date": day,
                        "amount": move.amount_residual,
                        "payment_type": "inbound",
                        "partner_type": "customer",
                        "memo": move.payment_reference or move.name,
                        "journal_id": journal.id,
                        "company_id": company.id,
                        "currency_id": move.currency_id.id,
                        "partner_id": move.commercial_partner_id.id,
                        "payment_method_line_id": method_line.id,
                        "destination_account_id": lines.account_id[:1].id,
                        "invoice_ids": [Command.set(move.ids)],
                    }
                    for (day, move), lines in zip(chunk, receivables, strict=True)
                ]
            )
            payments.action_post()
            self.env["account.move.line"]._reconcile_plan(
                [
                    payment.move_id.line_ids.filtered(
                        lambda line, a=lines.account_id: line.account_id in a
                    )
                    | lines
                    for payment, lines in zip(payments, receivables, strict=True)
                ]
            )

    # ------------------------------------------------------------------
    # Projects, status updates, tasks, ratings
    # ------------------------------------------------------------------
    @api.model
    def _project_stages(self):
        stages = {}
        for key, xmlid in (
            ("todo", "project_project_stage_0"),
            ("progress", "project_project_stage_1"),
            ("done", "project_project_stage_2"),
            ("cancelled", "project_project_stage_3"),
        ):
            stages[key] = (
                self.env.ref(f"project.{xmlid}", raise_if_not_found=False)
                or self.env["project.project.stage"]
            )
        return stages

    @api.model
    def _task_stages(self):
        """The task columns shared by the demo projects."""
        TaskType = self.env["project.task.type"]
        names = (("To Do", False), ("In Progress", False), ("Client Review", False), ("Done", True))
        stages = []
        for sequence, (name, fold) in enumerate(names, start=1):
            stage = TaskType.search(
                [("name", "=", name), ("user_id", "=", False), ("fold", "=", fold)], limit=1
            )
            stages.append(
                stage or TaskType.create({"name": name, "sequence": sequence, "fold": fold})
            )
        return stages

    @api.model
    def _project_plans(self, customer, rng):
        """(name, stage key, start, end, status updates [(date, status)], archived, renewal)
        of the customer's projects, by profile."""
        spec = customer.spec
        today = self._today()
        kind = spec.billing
        names = rng.sample(PROJECTS[kind], 2)
        start = customer.start
        last_invoice = max((p["date"] for p in customer.invoice_plans), default=today)

        def updates(first, last, statuses):
            """Status updates from first to last, the given statuses ending the series."""
            span = max((last - first).days, 1)
            count = max(len(statuses), min(6, span // 45))
            series = ["on_track"] * (count - len(statuses)) + list(statuses)
            return [
                (first + timedelta(days=round(span * (i + 1) / count)), status)
                for i, status in enumerate(series)
            ]

        def first_project(days, archived):
            """The customer's first project, done after ``days`` (a range) from their start and
            archived (True, or with this probability); returns its end and plan."""
            end = start + timedelta(days=rng.randint(*days))
            archived = archived is True or rng.random() < archived
            return end, (
                f"{names[1]} {start.year}",
                "done",
                start,
                end,
                updates(start, end, ["done"]),
                archived,
                None,
            )

        plans = []
        if spec.profile == "active":
            if (today - start).days > 500:
                end, plan = first_project((150, 300), 0.5)
                plans.append(plan)
            recent = today - timedelta(days=rng.randint(3, 20))
            status = "at_risk" if rng.random() < 0.15 else "on_track"
            renewal = today + timedelta(days=rng.randint(20, 90)) if kind == "retainer" else None
            plans.append(
                (
                    names[0],
                    "progress",
                    max(start, today - timedelta(days=400)),
                    today + timedelta(days=rng.randint(60, 200)),
                    updates(max(start, today - timedelta(days=300)), recent, [status]),
                    False,
                    renewal,
                )
            )
        elif spec.profile == "new":
            plans.append(
                (
                    f"Onboarding: {names[0]}",
                    rng.choice(("todo", "progress")),
                    start,
                    today + timedelta(days=rng.randint(60, 150)),
                    [(today - timedelta(days=rng.randint(2, 12)), "on_track")],
                    False,
                    None,
                )
            )
        elif spec.profile == "at_risk":
            end, plan = first_project((120, 250), True)
            plans.append(plan)
            last_update = today - timedelta(days=rng.randint(40, 100))
            plans.append(
                (
                    names[0],
                    "progress",
                    today - timedelta(days=rng.randint(250, 400)),
                    today - timedelta(days=rng.randint(10, 40)),
                    updates(
                        today - timedelta(days=300),
                        last_update,
                        ["at_risk", rng.choice(("off_track", "at_risk", "off_track"))],
                    ),
                    False,
                    None,
                )
            )
        elif spec.profile == "churned":
            end, plan = first_project((150, 300), 0.6)
            plans.append(plan)
            closing = last_invoice + timedelta(days=rng.randint(5, 25))
            stage = "cancelled" if spec.billing == "project" else "done"
            second_start = min(end, closing - timedelta(days=rng.randint(120, 240)))
            plans.append(
                (
                    names[0],
                    stage,
                    second_start,
                    closing,
                    updates(
                        second_start,
                        closing,
                        ["off_track", "on_hold"] if stage == "cancelled" else ["done"],
                    ),
                    False,
                    None,
                )
            )
        elif spec.profile == "won_back":
            old_end, plan = first_project((200, 330), True)
            plans.append(plan)
            comeback = min(
                (p["date"] for p in customer.invoice_plans if (today - p["date"]).days <= 180),
                default=today - timedelta(days=30),
            )
            plans.append(
                (
                    f"{names[0]} (new location)",
                    "progress",
                    comeback,
                    today + timedelta(days=rng.randint(90, 200)),
                    updates(comeback, today - timedelta(days=rng.randint(3, 15)), ["on_track"]),
                    False,
                    today + timedelta(days=rng.randint(120, 200)),
                )
            )
        elif spec.profile == "prospect" and rng.random() < 0.7:
            plans.append(
                (
                    f"Proposal: {names[0]}",
                    "todo",
                    today - timedelta(days=rng.randint(10, 30)),
                    today + timedelta(days=rng.randint(30, 60)),
                    [],
                    False,
                    None,
                )
            )
        return plans

    @api.model
    def _create_projects(self, customers, rng):
        """Projects in several stages with their status updates and tasks; closed ones in a
        folded stage, some archived; open ones at risk have overdue tasks."""
        stages = self._project_stages()
        task_stages = self._task_stages()
        Project = self.env["project.project"]
        planned = []
        for customer in customers:
            for plan in self._project_plans(customer, rng):
                planned.append((customer, plan))
        projects = Project.create(
            [
                {
                    "name": f"{customer.spec.name} - {name}",
                    "partner_id": customer.partner.id,
                    "user_id": customer.user.id,
                    "stage_id": stages[stage].id or False,
                    "date_start": start,
                    "date": end if end > start else start + timedelta(days=30),
                    "type_ids": [Command.set([s.id for s in task_stages])],
                    "privacy_visibility": "portal",
                    "company_id": self.env.company.id,
                }
                for customer, (name, stage, start, end, _updates, _archived, _renewal) in planned
            ]
        )
        update_vals, task_vals, closed_dates = [], [], {}
        for (customer, plan), project in zip(planned, projects, strict=True):
            name, stage, start, end, updates, archived, renewal = plan
            customer.projects = (customer.projects or Project) | project
            for index, (day, status) in enumerate(updates, start=1):
                update_vals.append(
                    {
                        "project_id": project.id,
                        "name": f"{STATUS_TITLES[status]} - {day.strftime('%B %Y')}",
                        "status": status,
                        "date": day,
                        "progress": 100
                        if status == "done"
                        else min(95, round(100 * index / (len(updates) + 2))),
                        "user_id": customer.user.id,
                        "description": Markup("<p>%s</p>") % STATUS_NOTES[status],
                    }
                )
            closed = stage in ("done", "cancelled")
            if closed:
                closed_dates[project.id] = end
            task_vals += self._task_values(customer, project, plan, task_stages, closed, rng)
            if renewal and "retention_renewal_date" in project._fields:
                project.retention_renewal_date = renewal
        self.env["project.task"].create(task_vals)
        # created in date order: each project's last_update_id ends on its latest update
        self.env["project.update"].create(
            sorted(update_vals, key=lambda v: (v["project_id"], v["date"]))
        )
        to_archive = Project.browse(
            project.id for (_c, plan), project in zip(planned, projects, strict=True) if plan[5]
        )
        to_archive.write({"active": False})
        self._backdate_closing(closed_dates)
        return projects

    @api.model
    def _task_values(self, customer, project, plan, task_stages, closed, rng):
        """Done tasks for closed projects; for open ones a mix of done and open tasks, with
        deadlines passed when the project is off track."""
        today = self._today()
        _name, _stage, start, end, updates, _archived, _renewal = plan
        troubled = updates and updates[-1][1] in ("at_risk", "off_track")
        if customer.spec.profile == "prospect":
            count = rng.randint(2, 3)
        else:
            count = rng.randint(3, 5) if closed else rng.randint(4, 8)
        vals = []
        for name in rng.sample(TASKS, count):
            if closed or rng.random() < 0.35:
                state, stage = "1_done", task_stages[3]
                deadline = start + timedelta(
                    days=rng.randint(5, max(6, (min(end, today) - start).days))
                )
            else:
                state = rng.choice(
                    (
                        "01_in_progress",
                        "01_in_progress",
                        "02_changes_requested",
                        "04_waiting_normal",
                    )
                )
                stage = rng.choice(task_stages[:3])
                late = troubled and rng.random() < 0.7
                deadline = (
                    today - timedelta(days=rng.randint(5, 60))
                    if late
                    else today + timedelta(days=rng.randint(5, 45))
                )
            vals.append(
                {
                    "name": name,
                    "project_id": project.id,
                    "partner_id": customer.partner.id,
                    "stage_id": stage.id,
                    "state": state,
                    "date_deadline": datetime.combine(deadline, datetime.min.time()).replace(
                        hour=16
                    ),
                    "user_ids": [Command.set(customer.user.ids)],
                }
            )
        return vals

    @api.model
    def _backdate_closing(self, closed_dates):
        """Closed projects were closed on their end date, not on the install day."""
        if not closed_dates or "retention_date_closed" not in self.env["project.project"]._fields:
            return
        self.env["project.project"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                UPDATE project_project p SET retention_date_closed = v.day
                  FROM unnest(%s::int[], %s::date[]) AS v(id, day)
                 WHERE p.id = v.id AND p.retention_is_closed
                """,
                list(closed_dates),
                list(closed_dates.values()),
            )
        )
        self.env["project.project"].invalidate_model(["retention_date_closed"])

    @api.model
    def _create_ratings(self, customers, rng):
        """Customer ratings on done tasks: happy customers give 5 (sometimes 3), customers at
        risk and churned ones gave 1 last; won-back customers are happy again."""
        today = self._today()
        task_model = self.env["ir.model"]._get_id("project.task")
        latest = {
            "active": (5, 5, 5, 3),
            "new": (5,),
            "won_back": (5,),
            "at_risk": (1,),
            "churned": (1, 3),
        }
        vals_list, dates = [], []
        for customer in customers:
            choices = latest.get(customer.spec.profile)
            if not choices or not customer.projects:
                continue
            if customer.spec.profile != "at_risk" and rng.random() < 0.2:
                continue  # not every customer answers the rating requests
            tasks = (
                self.env["project.task"]
                .with_context(active_test=False)
                .search(
                    [("project_id", "in", customer.projects.ids), ("state", "=", "1_done")],
                    order="date_deadline, id",
                )[-2:]
            )
            # a few days after each task's deadline, never twice on the same day
            days = []
            for task in tasks:
                day = min(
                    task.date_deadline.date() + timedelta(days=rng.randint(1, 5)),
                    today - timedelta(days=1),
                )
                days.append(day if not days or day > days[-1] else days[-1] + timedelta(days=1))
            for index, (task, day) in enumerate(zip(tasks, days, strict=True)):
                # the latest rating is the one that tells how the customer feels now
                value = rng.choice(choices) if index == len(tasks) - 1 else rng.choice((5, 3))
                vals_list.append(
                    {
                        "res_model_id": task_model,
                        "res_id": task.id,
                        "partner_id": customer.contacts[:1].id,
                        "rated_partner_id": customer.user.partner_id.id,
                        "rating": value,
                        "feedback": RATING_FEEDBACK[value],
                        "consumed": True,
                    }
                )
                dates.append(
                    datetime.combine(day, datetime.min.time()).replace(hour=rng.randint(8, 17))
                )
        ratings = self.env["rating.rating"].create(vals_list)
        ratings.flush_recordset()
        # the latest rating is the one that counts: give them their real dates
        self.env.cr.execute(
            SQL(
                """
                UPDATE rating_rating r SET create_date = v.day, write_date = v.day
                  FROM unnest(%s::int[], %s::timestamp[]) AS v(id, day) WHERE r.id = v.id
                """,
                ratings.ids,
                dates,
            )
        )
        ratings.invalidate_recordset(["create_date", "write_date"])

    def _create_feedback(self, customers, rng):
        """NPS and CSAT feedback (retention.feedback) asked in the last two months: happy
        customers are promoters or passives, customers at risk detractors (their answer raises
        the detractor alert for the account manager), churned ones let the request expire; a
        few recent requests are still open. The answers go through the public page's own
        method, then move to the day they were given."""
        answers = {
            "active": ("nps", (10, 9, 9, 8)),
            "new": ("csat", (5, 4)),
            "won_back": ("nps", (9, 10, 7)),
            "at_risk": ("nps", (3, 5, 6)),
        }
        comments = {
            "promoter": (
                "Reliable team, we recommend you around us.",
                "Fast answers and no surprises on the invoice.",
                "They know our setup better than we do.",
            ),
            "passive": (
                "Good work overall; communication could be faster.",
                "Fine service, a bit expensive for what we use.",
            ),
            "detractor": (
                "Deadlines slipped twice and nobody warned us.",
                "Too many outages this quarter, and slow answers.",
                "We pay for a retainer but wait days for a reply.",
            ),
        }
        now = datetime.combine(self._today(), datetime.min.time()).replace(hour=10)
        Feedback = self.env["retention.feedback"]
        answered_requests = []
        for customer in customers:
            profile = customer.spec.profile
            if profile == "prospect" or not customer.contacts:
                continue
            requested = now - timedelta(days=rng.randint(5, 55))
            if profile == "churned":
                requested = now - timedelta(days=rng.randint(35, 80))
            elif profile != "at_risk" and rng.random() < 0.25:
                # asked in the last three weeks, not answered yet (still open)
                recent = now - timedelta(days=2 + (now - requested).days % 20)
                Feedback.create(self._feedback_values(customer, "nps", recent))
                continue
            kind, scores = answers.get(profile, ("nps", ()))
            if not scores:
                # churned: the request expires unanswered
                Feedback.create(self._feedback_values(customer, kind, requested))
                continue
            # asked now, so that the link is open when answered; dated afterwards
            feedback = Feedback.create(self._feedback_values(customer, kind, fields.Datetime.now()))
            score = rng.choice(scores)
            answered = requested + timedelta(days=rng.randint(0, 3), hours=rng.randint(0, 6))
            texts = comments[engine_feedback.category_of(kind, score)]
            feedback._answer(score, texts[len(answered_requests) % len(texts)])
            answered_requests.append((feedback, requested, min(answered, now)))
        self._backdate_feedback(answered_requests)
        Feedback._cron_expire_requests()

    def _backdate_feedback(self, answered_requests):
        """Requests, answers, answer notes and detractor alerts on the days they happened."""
        if not answered_requests:
            return
        self.env.flush_all()
        validity = self.env.company.retention_feedback_validity_days or 30
        self.env.cr.execute(
            SQL(
                """
                UPDATE retention_feedback f
                   SET date_requested = v.requested, date_expiry = v.expiry,
                       date_answered = v.answered, answer_window_start = v.answered
                  FROM unnest(%s::int[], %s::timestamp[], %s::timestamp[], %s::timestamp[])
                       AS v(id, requested, expiry, answered)
                 WHERE f.id = v.id
                """,
                [feedback.id for feedback, _requested, _answered in answered_requests],
                [requested for _feedback, requested, _answered in answered_requests],
                [r + timedelta(days=validity) for _feedback, r, _answered in answered_requests],
                [answered for _feedback, _requested, answered in answered_requests],
            )
        )
        alerts = [
            (feedback.alert_activity_id.id, answered.date())
            for feedback, _requested, answered in answered_requests
            if feedback.alert_activity_id
        ]
        if alerts:
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE mail_activity a SET date_deadline = v.day
                      FROM unnest(%s::int[], %s::date[]) AS v(id, day) WHERE a.id = v.id
                    """,
                    [activity_id for activity_id, _day in alerts],
                    [day for _activity_id, day in alerts],
                )
            )
            self.env["mail.activity"].invalidate_model(["date_deadline"])
        self.env["retention.feedback"].invalidate_model(
            ["date_requested", "date_expiry", "date_answered", "answer_window_start"]
        )
        for feedback, _requested, _answered in answered_requests:
            if feedback.alert_activity_id:
                feedback.invalidate_recordset(["display_name"])
                feedback._update_alert_note()  # its link names the request by its new date
        self._backdate_messages(
            [
                (feedback.answer_message_id.id, answered)
                for feedback, _requested, answered in answered_requests
            ]
        )

    def _feedback_values(self, customer, kind, requested):
        project = customer.projects[:1]
        return {
            "partner_id": customer.partner.id,
            "contact_id": customer.contacts[:1].id,
            "kind": kind,
            "origin": "project" if project else "manual",
            "project_id": project.id,
            "date_requested": requested,
        }

    # ------------------------------------------------------------------
    # Messages and activities
    # ------------------------------------------------------------------
    @api.model
    def _contact_window(self, customer, rng):
        """(first, last) day of the real exchanges with the customer, by profile: active
        customers within weeks, customers at risk quiet for three to six months, churned
        ones for more than a year."""
        today = self._today()
        spec = customer.spec
        last_invoice = max((p["date"] for p in customer.invoice_plans), default=None)
        if spec.profile == "at_risk":
            last = today - timedelta(days=rng.randint(120, 200))
        elif spec.profile == "churned":
            farewell = last_invoice + timedelta(days=rng.randint(5, 30))
            last = min(farewell, today - timedelta(days=380))
        elif spec.profile == "prospect":
            last = today - timedelta(days=rng.randint(3, 20))
        else:
            last = today - timedelta(days=rng.randint(2, 25))
        return min(customer.start, last), last

    @api.model
    def _touchpoint_days(self, customer, rng):
        """Days of the exchanges: spread over the relationship, the last one on the last
        contact day. Won-back customers were silent during their gap."""
        first, last = self._contact_window(customer, rng)
        customer.last_contact = last
        span = (last - first).days
        count = max(2, min(8, span // 70))
        days = {first + timedelta(days=rng.randint(0, span)) for _i in range(count - 1)} | {last}
        if customer.spec.profile == "won_back":
            today = self._today()
            ages = [(today - p["date"]).days for p in customer.invoice_plans]
            old_end = today - timedelta(days=min(age for age in ages if age > 365))
            comeback = today - timedelta(days=max(age for age in ages if age <= 365))
            # they came back to us a couple of weeks before the new first invoice
            customer.comeback = comeback - timedelta(days=rng.randint(10, 20))
            days = {d for d in days if d <= old_end or d > customer.comeback} | {customer.comeback}
        return sorted(days)

    @staticmethod
    def _mood(customer, day, last_day, today):
        """Which texts fit an exchange on this day."""
        profile = customer.spec.profile
        if profile == "prospect":
            return "prospect"
        if profile == "new" or (day - customer.start).days < 20:
            return "welcome"
        if profile == "churned" and day == last_day:
            return "farewell"
        if profile == "won_back" and day == customer.comeback:
            return "won_back"
        if profile == "at_risk" and (today - day).days < 400:
            return "unhappy"
        return "happy"

    @api.model
    def _post_exchanges(self, customers, rng):
        """E-mails from the customer's contacts, our replies and internal notes, on the
        customer, its projects and its invoices, each on its own day.

        Created as chatter messages directly (as mail.thread._message_log does) rather than
        with message_post: posting would notify the record's followers, i.e. queue real
        e-mails to the demo customers' invented addresses."""
        today = self._today()
        comment = self.env.ref("mail.mt_comment")
        note = self.env.ref("mail.mt_note")
        vals_list = []

        def message(record, day, author, body, kind, contact=None):
            vals = {
                "model": record._name,
                "res_id": record.id,
                "body": _paragraph(body),
                "author_id": author.id,
                "date": _at(day, rng),
                "message_type": "email" if kind == "in" else "comment",
                "subtype_id": note.id if kind == "note" else comment.id,
                "is_internal": kind == "note",
            }
            if kind == "in":
                vals["subject"] = f"Re: {record.display_name}"
            if kind == "out" and contact:
                vals["partner_ids"] = [Command.set(contact.ids)]
            vals_list.append(vals)

        for customer in customers:
            days = self._touchpoint_days(customer, rng)
            customer.touchpoints = days
            manager = customer.user.partner_id
            for day in days:
                mood = self._mood(customer, day, days[-1], today)
                contact = rng.choice(customer.contacts)
                names = {"first": contact.name.split(" ")[0], "manager": manager.name.split(" ")[0]}
                kind = rng.choice(("in", "out") if day == days[-1] else ("in", "in", "out"))
                record = self._record_of_the_day(customer, day, rng)
                if record._name == "account.move":
                    texts = INVOICE_TEXTS[kind][mood == "unhappy"]
                else:
                    texts = (INCOMING if kind == "in" else OUTGOING)[mood]
                text = rng.choice(texts).format(**names)
                message(record, day, contact if kind == "in" else manager, text, kind, contact)
            # internal notes never count as contact: recent ones, also for customers at risk
            if customer.spec.profile in ("at_risk", "active"):
                mood = "unhappy" if customer.spec.profile == "at_risk" else "happy"
                first = customer.contacts[0].name.split(" ")[0]
                for day in sorted({today - timedelta(days=rng.randint(3, 40)) for _i in range(2)}):
                    text = rng.choice(NOTES[mood]).format(first=first)
                    message(customer.partner, day, manager, text, "note")
            unpaid = _unpaid(customer.invoices).filtered(lambda m: m.invoice_date_due < today)[:1]
            if customer.spec.profile == "at_risk" and unpaid:
                message(
                    unpaid,
                    today - timedelta(days=rng.randint(2, 10)),
                    manager,
                    "Second reminder sent, no answer. Call the bookkeeper.",
                    "note",
                )
        self.env["mail.message"].create(vals_list)

    @api.model
    def _record_of_the_day(self, customer, day, rng):
        """Where an exchange happens: mostly on the customer, sometimes on a project that
        was running then or on an invoice of the days before."""
        roll = rng.random()
        if roll < 0.25 and customer.projects:
            running = customer.projects.with_context(active_test=False).filtered(
                lambda p: p.date_start and p.date_start <= day
            )
            if running:
                return running[-1]
        if roll > 0.85 and customer.invoices:
            recent = customer.invoices.filtered(
                lambda m: (
                    m.move_type == "out_invoice"
                    and m.invoice_date <= day
                    and (day - m.invoice_date).days < 45
                )
            )
            if recent:
                return recent[-1]
        return customer.partner

    @api.model
    def _log_done_activities(self, customers, rng):
        """Calls and meetings marked done with their feedback, as the salesperson did them;
        they count as contact. Returns [(message id, datetime)] to backdate."""
        call = self.env.ref("mail.mail_activity_data_call")
        meeting = self.env.ref("mail.mail_activity_data_meeting")
        partner_model = self.env["ir.model"]._get_id("res.partner")
        today = self._today()
        planned = []
        for customer in customers:
            days = [d for d in customer.touchpoints if d <= customer.last_contact]
            for day in rng.sample(days, min(len(days), rng.randint(1, 3))):
                mood = self._mood(customer, day, days[-1], today)
                mood = mood if mood in CALLS else "happy"
                kind = meeting if mood in ("welcome", "farewell") or rng.random() < 0.3 else call
                planned.append((customer, day, kind, rng.choice(CALLS[mood])))
        activities = self.env["mail.activity"].create(
            [
                {
                    "res_model_id": partner_model,
                    "res_id": customer.partner.id,
                    "activity_type_id": kind.id,
                    "summary": "Account review" if kind == meeting else "Check-in call",
                    "date_deadline": day,
                    "user_id": customer.user.id,
                }
                for customer, day, kind, _feedback in planned
            ]
        )
        messages = []
        for (customer, day, _kind, feedback), activity in zip(planned, activities, strict=True):
            # sudo: the demo call is marked done in the name of its (internal) organiser
            message_id = activity.with_user(customer.user).sudo().action_feedback(feedback=feedback)
            messages.append((message_id, _at(day, rng)))
        return messages

    @api.model
    def _backdate_messages(self, messages):
        """Messages happened on their day, not on the install day."""
        messages = [(mid, day) for mid, day in messages if mid]
        if not messages:
            return
        self.env["mail.message"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                UPDATE mail_message m SET date = v.day
                  FROM unnest(%s::int[], %s::timestamp[]) AS v(id, day) WHERE m.id = v.id
                """,
                [mid for mid, _day in messages],
                [day for _mid, day in messages],
            )
        )
        self.env["mail.message"].invalidate_model(["date"])

    @api.model
    def _schedule_open_activities(self, customers, rng):
        """Planned work, some of it overdue: calls and follow-ups of overdue invoices,
        proposals for prospects (the follow-up rules remind of project status updates)."""
        today = self._today()
        call = self.env.ref("mail.mail_activity_data_call")
        todo = self.env.ref("mail.mail_activity_data_todo")
        model_ids = {
            name: self.env["ir.model"]._get_id(name) for name in ("res.partner", "account.move")
        }
        # account reviews, win-back calls, onboarding check-ins and status updates come from
        # the reviews and the follow-up rules (demo/retention_demo_practice.py)
        plans = {
            "at_risk": [(call, "Call about the overdue invoices", -20, -3)],
            "prospect": [(todo, "Send the proposal", -5, 7)],
        }
        vals_list = []
        for customer in customers:
            spec = customer.spec
            for kind, summary, low, high in plans.get(spec.profile, ()):
                deadline = today + timedelta(days=rng.randint(low, high))
                vals_list.append(
                    _activity_vals(
                        model_ids["res.partner"],
                        customer.partner,
                        kind,
                        summary,
                        deadline,
                        customer.user,
                    )
                )
            unpaid = _unpaid(customer.invoices)[:1]
            if spec.overdue_days and unpaid:
                deadline = today - timedelta(days=rng.randint(1, 10))
                vals_list.append(
                    _activity_vals(
                        model_ids["account.move"],
                        unpaid,
                        todo,
                        "Payment follow-up",
                        deadline,
                        customer.user,
                    )
                )
        self.env["mail.activity"].create(vals_list)

    # ------------------------------------------------------------------
    # Retention fields and figures
    # ------------------------------------------------------------------
    @api.model
    def _set_retention_fields(self, customers, rng):
        """Account managers and referrals, when the retention fields exist."""
        Partner = self.env["res.partner"]
        by_name = {c.spec.name: c.partner for c in customers}
        if "retention_referred_by_id" in Partner._fields:
            for customer in customers:
                referrer = by_name.get(customer.spec.referred_by)
                if referrer:
                    customer.partner.retention_referred_by_id = referrer
        if "retention_account_manager_id" in Partner._fields:
            admin = self.env.user
            demo_user = self.env.ref("base.user_demo", raise_if_not_found=False) or admin
            for customer in customers:
                # a few accounts are looked after by someone else than the salesperson
                other = demo_user if customer.user == admin else admin
                manager = other if rng.random() < 0.2 else customer.user
                customer.partner.retention_account_manager_id = manager

    @api.model
    def _recompute_retention_profiles(self):
        """Figures ready on first start, rather than after the first cron run."""
        if "retention.profile.builder" in self.env:
            self.env.flush_all()
            self.env["retention.profile.builder"]._recompute_all()


STREETS = (
    "Rustaveli Avenue",
    "Amir Temur Street",
    "Chavchavadze Avenue",
    "Navoi Street",
    "Gorgasali Street",
    "Mustaqillik Square",
    "Pekini Avenue",
    "Bobur Street",
    "Station Road",
)
STATUS_TITLES = {
    "on_track": "On track",
    "at_risk": "Some delays",
    "off_track": "Blocked",
    "on_hold": "On hold",
    "done": "Project closed",
}
STATUS_NOTES = {
    "on_track": "Work goes as planned; the customer validated the last delivery.",
    "at_risk": "Waiting for content and access from the customer; the deadline may slip.",
    "off_track": "Deadline missed. Open issues block the launch and the customer is unhappy.",
    "on_hold": "The customer paused the project until further notice.",
    "done": "All deliverables accepted; the project is closed.",
}


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _paragraph(text):
    return Markup("<p>%s</p>") % text


def _at(day, rng):
    """A moment in office hours on that day (UTC)."""
    moment = datetime.combine(day, datetime.min.time())
    return moment.replace(hour=rng.randint(6, 15), minute=rng.randrange(0, 60, 5))


def _unpaid(moves):
    """Customer invoices not fully paid."""
    return moves.filtered(
        lambda m: m.move_type == "out_invoice" and m.payment_state in ("not_paid", "partial")
    )


def _activity_vals(model_id, record, kind, summary, deadline, user):
    return {
        "res_model_id": model_id,
        "res_id": record.id,
        "activity_type_id": kind.id,
        "summary": summary,
        "date_deadline": deadline,
        "user_id": user.id,
    }
