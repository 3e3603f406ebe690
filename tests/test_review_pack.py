"""The account review pack (issue #20): goals carried from review to review, the PDF in the
customer's language without internal figures, Send pack and Print logged on the review."""

import io
import re
from datetime import date, timedelta

from freezegun import freeze_time
from PyPDF2 import PdfReader

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import RetentionCase

REPORT = "customer_retention.retention_review_pack_report"
INTERNAL_REPORT = "customer_retention.retention_review_pack_internal_report"
USER = "customer_retention.group_retention_user"


def pdf_text(content):
    """The text of a PDF, white space collapsed."""
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", text)


class ReviewPackCase(RetentionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Review = cls.env["retention.review"]
        cls.Goal = cls.env["retention.review.goal"]

    def new_review(self, day, partner=None, **values):
        return self.Review.create(
            {
                "partner_id": (partner or self.customer).id,
                "company_id": self.company.id,
                "date_planned": day,
                **values,
            }
        )

    def goals(self, review, *specs):
        return self.Goal.create(
            [
                {"review_id": review.id, "description": description, "state": state}
                for description, state in specs
            ]
        )

    def complete(self, review, day, outcome="maintain"):
        review.outcome = outcome
        review._complete(day)


@tagged("post_install", "-at_install")
class TestReviewGoals(ReviewPackCase):
    def test_goals_carry_over_three_reviews(self):
        """Review 1's open goals are copied to review 2 (the originals stay as they stood);
        what is still open on review 2, carried ones included, goes on to review 3."""
        first = self.new_review(date(2026, 1, 10))
        self.goals(
            first,
            ("Monthly service report", "open"),
            ("Backup restore test", "done"),
            ("Second site", "dropped"),
        )
        self.complete(first, date(2026, 1, 10))
        second = self.new_review(date(2026, 4, 10))
        self.assertEqual(second.goal_ids.mapped("description"), ["Monthly service report"])
        carried = second.goal_ids
        self.assertEqual(carried.carried_from_id.review_id, first)
        self.assertEqual(carried.carried_from_review_id, first)
        self.assertEqual(carried.state, "open")
        # the history of review 1 is unchanged
        self.assertEqual(sorted(first.goal_ids.mapped("state")), ["done", "dropped", "open"])
        new = self.goals(second, ("Price list for 2027", "open"), ("Uptime page", "open"))
        new[1].state = "done"
        self.complete(second, date(2026, 4, 10))
        third = self.new_review(date(2026, 7, 10))
        self.assertEqual(
            sorted(third.goal_ids.mapped("description")),
            ["Monthly service report", "Price list for 2027"],
        )
        self.assertEqual(third.goal_ids.carried_from_id.review_id, second)
        # the unresolved goal is a chain back to review 1
        chain = third.goal_ids.filtered(lambda g: g.description == "Monthly service report")
        self.assertEqual(chain.carried_from_id.carried_from_id.review_id, first)
        # each goal is carried once, even when planning runs again
        third._carry_open_goals()
        self.assertEqual(len(third.goal_ids), 2)

    def test_completing_carries_to_an_existing_next_review(self):
        """Completing carries the open goals to the customer's next planned review when it
        exists already (here: planned in another company's... no, the same company after the
        first was done and reopened by the planner)."""
        first = self.new_review(date(2026, 1, 10))
        self.goals(first, ("Keep the report", "open"))
        self.complete(first, date(2026, 1, 10))
        # the planner creates the next review: it starts with the open goal
        second = self.Review.sudo().create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "date_planned": date(2026, 4, 1),
            }
        )
        self.assertEqual(second.goal_ids.description, "Keep the report")

    def test_cancelled_review_gives_goals_back(self):
        first = self.new_review(date(2026, 1, 10))
        self.goals(first, ("Keep the report", "open"))
        self.complete(first, date(2026, 1, 10))
        second = self.new_review(date(2026, 4, 10))
        self.assertTrue(second.goal_ids)
        second.action_cancel()
        self.assertFalse(second.goal_ids)
        third = self.new_review(date(2026, 7, 10))
        self.assertEqual(third.goal_ids.description, "Keep the report")

    def test_closed_review_keeps_its_goals(self):
        review = self.new_review(date(2026, 1, 10))
        goal = self.goals(review, ("Keep the report", "open"))
        self.complete(review, date(2026, 1, 10))
        user = self.new_company_user("goal_user", USER)
        with self.assertRaisesRegex(UserError, "history"):
            goal.with_user(user).state = "done"
        with self.assertRaisesRegex(UserError, "history"):
            self.Goal.with_user(user).create({"review_id": review.id, "description": "Late"})
        goal.with_user(user).note = "Postponed by the customer"
        self.assertEqual(goal.note, "Postponed by the customer")

    def test_owner_side_and_contact(self):
        review = self.new_review(date(2026, 1, 10))
        stranger = self.env["res.partner"].create({"name": "Someone Else"})
        with self.assertRaisesRegex(ValidationError, "not a contact of"):
            self.Goal.create(
                {
                    "review_id": review.id,
                    "description": "X",
                    "owner_side": "customer",
                    "contact_id": stranger.id,
                }
            )
        with self.assertRaisesRegex(ValidationError, "is ours"):
            self.Goal.create(
                {
                    "review_id": review.id,
                    "description": "X",
                    "owner_side": "ours",
                    "contact_id": self.contact.id,
                }
            )
        goal = self.Goal.create(
            {
                "review_id": review.id,
                "description": "Send the price list",
                "owner_side": "customer",
                "contact_id": self.contact.id,
            }
        )
        self.assertEqual(goal.company_id, self.company)

    def test_user_cannot_forge_a_carried_goal(self):
        review = self.new_review(date(2026, 1, 10))
        other = self.goals(review, ("Original", "open"))
        user = self.new_company_user("goal_forger", USER)
        with self.assertRaisesRegex(UserError, "by the review only"):
            self.Goal.with_user(user).create(
                {"review_id": review.id, "description": "F", "carried_from_id": other.id}
            )
        with self.assertRaisesRegex(UserError, "by the review only"):
            other.with_user(user).carried_from_id = other.id

    def test_goals_of_other_companies_are_hidden(self):
        other_company = self.add_other_company("Tashkent Branch")
        review = self.Review.create(
            {
                "partner_id": self.customer.id,
                "company_id": other_company.id,
                "date_planned": date(2026, 1, 10),
            }
        )
        goal = self.goals(review, ("Elsewhere", "open"))
        user = self.new_company_user("goal_reader", USER)
        self.assertFalse(self.Goal.with_user(user).search([("id", "=", goal.id)]))
        with self.assertRaises(AccessError):
            goal.with_user(user).description  # noqa: B018

    def test_goals_in_the_review_form(self):
        """goal_ids is edited with the review (one2many commands)."""
        review = self.new_review(date(2026, 1, 10))
        user = self.new_company_user("goal_editor", USER)
        review.with_user(user).write(
            {"goal_ids": [Command.create({"description": "Quarterly report", "user_id": user.id})]}
        )
        self.assertEqual(review.goal_ids.user_id, user)


@tagged("post_install", "-at_install")
class TestReviewPack(ReviewPackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in ("ka_GE", "uz_UZ"):
            cls.env["res.lang"]._activate_lang(code)
        cls.env["ir.module.module"]._load_module_terms(
            ["customer_retention"], ["ka_GE", "uz_UZ"], overwrite=True
        )
        today = date(2026, 11, 20)
        cls.today = today
        for months_ago, amount in ((1, 1200.0), (3, 800.0), (5, 1500.0)):
            day = today - timedelta(days=30 * months_ago)
            cls.pay(cls.make_invoice(cls.customer, day, amount), day)
        # an overdue invoice
        cls.make_invoice(
            cls.customer, today - timedelta(days=60), 640.0, due=today - timedelta(days=45)
        )
        project = cls.env["project.project"].create(
            {"name": "Warehouse Scanners", "partner_id": cls.customer.id}
        )
        cls.env["project.task"].create(
            [
                {
                    "name": "On time",
                    "project_id": project.id,
                    "date_deadline": fields.Datetime.to_datetime("2026-10-01 12:00:00"),
                },
                {
                    "name": "Late",
                    "project_id": project.id,
                    "date_deadline": fields.Datetime.to_datetime("2026-10-02 12:00:00"),
                },
            ]
        )
        with freeze_time("2026-09-30"):
            cls.env["project.task"].search([("name", "=", "On time")]).state = "1_done"
        # sudo: an answer is written by the feedback page, never by users
        feedback = (
            cls.env["retention.feedback"]
            .sudo()
            .create({"partner_id": cls.customer.id, "contact_id": cls.contact.id, "kind": "nps"})
        )
        feedback.write(
            {
                "state": "answered",
                "score": 9,
                "comment": "Great support",
                "date_answered": fields.Datetime.to_datetime("2026-10-15 10:00:00"),
            }
        )
        with freeze_time(today):
            cls.builder._compute_partners(cls.customer.ids)
        previous = cls.Review.create(
            {
                "partner_id": cls.customer.id,
                "company_id": cls.company.id,
                "date_planned": date(2026, 8, 1),
            }
        )
        cls.Goal.create(
            [
                {"review_id": previous.id, "description": "Monthly service report"},
                {"review_id": previous.id, "description": "Backup restore test", "state": "done"},
            ]
        )
        previous.outcome = "maintain"
        previous._complete(date(2026, 8, 1))
        cls.review = cls.Review.create(
            {
                "partner_id": cls.customer.id,
                "company_id": cls.company.id,
                "date_planned": today,
                "notes": "<p>SECRET internal remark</p>",
                "next_steps": "<p>Roll out the scanners to the second site</p>",
            }
        )
        cls.Goal.create(
            {
                "review_id": cls.review.id,
                "description": "Scanner training",
                "owner_side": "customer",
                "contact_id": cls.contact.id,
            }
        )

    def render(self, report=REPORT, user=None, lang=None):
        if lang:
            self.customer.lang = lang
        Report = self.env["ir.actions.report"]
        if user:
            Report = Report.with_user(user)
        content, kind = Report.with_context(force_report_rendering=True)._render_qweb_pdf(
            report, self.review.ids
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(content.startswith(b"%PDF"))
        return pdf_text(content)

    def test_pack_data(self):
        data = self.review._pack_data()[self.review.id]
        self.assertEqual(len(data["months"]), 12)
        self.assertAlmostEqual(data["invoiced_total"], 1200 + 800 + 1500 + 640)
        self.assertAlmostEqual(data["overdue_amount"], 640.0)
        self.assertEqual([p["name"] for p in data["projects_open"]], ["Warehouse Scanners"])
        self.assertEqual((data["tasks_on_time"], data["tasks_due"]), (1, 2))
        self.assertEqual(data["on_time_share"], 50)
        self.assertEqual(
            [g["description"] for g in data["goals_carried"]], ["Monthly service report"]
        )
        self.assertEqual([g["description"] for g in data["goals_new"]], ["Scanner training"])
        self.assertEqual([a["comment"] for a in data["feedback"]], ["Great support"])
        self.assertEqual(data["nps"], 100.0)

    def test_pack_english_has_no_internal_figure(self):
        text = self.render(lang="en_US")
        for expected in (
            "Account review",
            "Batumi Port Logistics",
            "Your year in numbers",
            "Warehouse Scanners",
            "50%",
            "Monthly service report",
            "Scanner training",
            "Roll out the scanners",
            "Overdue amount",
            "NPS: 100",
            "Great support",
        ):
            self.assertIn(expected, text)
        for internal in ("SECRET", "Health score", "Stage", "Internal"):
            self.assertNotIn(internal, text)
        partner = self.customer.with_company(self.company)
        self.assertNotIn(f"{partner.retention_health_score} ", text.replace("50%", ""))

    def test_pack_in_the_customer_language(self):
        for lang, title, year in (
            ("ka_GE", "კლიენტის მიმოხილვა", "თქვენი წელი ციფრებში"),
            ("uz_UZ", "Mijoz koʻrigi", "Yilingiz raqamlarda"),
        ):
            with self.subTest(lang=lang):
                text = self.render(lang=lang)
                self.assertIn(title, text)
                self.assertIn(year, text)
                self.assertIn("Monthly service report", text)
                self.assertNotIn("Your year in numbers", text)
                self.assertNotIn("SECRET", text)

    def test_internal_version_shows_internal_figures(self):
        text = self.render(INTERNAL_REPORT, lang="ka_GE")
        self.assertIn("Internal: not for the customer", text)
        self.assertIn("Health score", text)
        self.assertIn("SECRET", text)

    def test_money_only_for_users_who_see_money(self):
        user = self.new_company_user("pack_user", USER)
        text = self.render(user=user, lang="en_US")
        self.assertNotIn("Invoiced over the year", text)
        self.assertNotIn("Overdue amount", text)
        self.assertIn("Warehouse Scanners", text)
        data = self.review.with_user(user)._pack_data()[self.review.id]
        self.assertEqual((data["invoiced_total"], data["overdue_amount"]), (0.0, 0.0))
        billing = self.new_company_user("pack_billing", f"{USER},account.group_account_invoice")
        self.assertIn("Invoiced over the year", self.render(user=billing, lang="en_US"))

    def test_pack_needs_retention_rights(self):
        user = self.new_company_user("pack_nobody", "base.group_user")
        with self.assertRaises(AccessError):
            self.render(user=user)

    def test_print_is_logged(self):
        user = self.new_company_user("pack_printer", USER)
        action = self.review.with_user(user).action_print_pack()
        self.assertEqual(action["report_name"], "customer_retention.report_retention_review_pack")
        self.assertIn("Review pack printed by", self.review.message_ids[0].body)

    def test_send_pack_attaches_the_pdf_in_the_customer_language(self):
        self.customer.write({"lang": "ka_GE", "email": "office@bpl.example"})
        user = self.new_company_user("pack_sender", USER, email="sender@example.com")
        action = self.review.with_user(user).action_send_pack()
        self.assertEqual(action["res_model"], "mail.compose.message")
        composer = (
            self.env["mail.compose.message"]
            .with_user(user)
            .with_context(**action["context"], force_report_rendering=True)
            .create({})
        )
        self.assertEqual(len(composer.attachment_ids), 1)
        self.assertTrue(composer.attachment_ids.name.endswith(".pdf"))
        self.assertIn("კლიენტის მიმოხილვა", pdf_text(composer.attachment_ids.raw))
        self.assertIn("მიმოხილვის", composer.body)
        composer._action_send_mail()
        message = self.review.message_ids[0]
        self.assertEqual(message.attachment_ids.mimetype, "application/pdf")
        self.assertIn(self.customer, message.partner_ids)
