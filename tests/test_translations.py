import html
import re
from datetime import timedelta
from pathlib import Path

import polib

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged
from odoo.tools import format_amount, format_date

from odoo.addons.customer_retention.hooks import uninstall_hook

from .common import FeedbackPageMixin, load_source

MODULE_DIR = Path(__file__).resolve().parent.parent
LANGS = {"ka_GE": "ka", "uz_UZ": "uz"}


def _load_checker():
    """tools/i18n_check.py, the script translators run: the test applies the same rules."""
    return load_source(MODULE_DIR / "tools" / "i18n_check.py", "i18n_check")


@tagged("post_install", "-at_install")
class TestTranslationCoverage(TransactionCase):
    """Fails when a string of the pot has no Georgian or Uzbek translation, or a broken one."""

    def test_every_pot_entry_is_translated(self):
        checker = _load_checker()
        pot = polib.pofile(str(MODULE_DIR / "i18n" / "customer_retention.pot"))
        self.assertGreater(len(pot), 500, "the pot looks truncated")
        for iso in LANGS.values():
            with self.subTest(lang=iso):
                problems = checker.check(MODULE_DIR / "i18n" / f"{iso}.po", pot)
                report = "\n".join(f"  {problem}: {msgid!r}" for msgid, problem in problems[:30])
                self.assertFalse(
                    problems,
                    f"i18n/{iso}.po: {len(problems)} entries to fix (python3 tools/i18n_check.py "
                    f"--merge, then translate):\n{report}",
                )

    def test_po_headers(self):
        for iso in LANGS.values():
            po = polib.pofile(str(MODULE_DIR / "i18n" / f"{iso}.po"))
            self.assertEqual(po.metadata["Language"], iso)
            self.assertIn("nplurals=", po.metadata["Plural-Forms"])

    def test_checker_catches_broken_placeholders(self):
        checker = _load_checker()

        def problem(msgid, msgstr):
            return checker.check_entry(polib.POEntry(msgid=msgid, msgstr=msgstr))

        self.assertIsNone(problem("Hello %(name)s", "Salom, %(name)s"))
        self.assertEqual(problem("Hello %(name)s", ""), "untranslated")
        self.assertIn("missing py:%(name)s", problem("Hello %(name)s", "Salom, %(nom)s"))
        self.assertIn("inline", problem("Hi {{ object.name }}", "Salom {{ object.nom }}"))
        self.assertIn("tag:strong", problem("<strong>Due</strong>", "Muddati"))
        self.assertIn("trailing space", problem("; then ", "; soʻngra"))
        self.assertIsNone(problem("5% apart", "5% dan ortiq"))

    def test_uzbek_letters(self):
        """oʻ and gʻ with U+02BB, never an ASCII apostrophe or a backquote."""
        po = polib.pofile(str(MODULE_DIR / "i18n" / "uz.po"))
        for entry in po:
            for wrong in ("o'", "g'", "O'", "G'", "o`", "g`", "o‘", "g‘"):
                self.assertNotIn(wrong, entry.msgstr, entry.msgid)


@tagged("post_install", "-at_install")
class TestLanguages(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.uzbek = cls.env.ref("customer_retention.lang_uz_UZ")
        cls.partner = cls.env["res.partner"].create({"name": "Samarqand Savdo", "is_company": True})

    def activate(self, code, wizard=False):
        """Activate a language and load our po file for it. With wizard=True, the way
        Settings > Languages > Add Languages does it (loads the po files of every module)."""
        lang = self.env["res.lang"]._activate_lang(code)
        if wizard:
            self.env["base.language.install"].create({"lang_ids": [lang.id]}).lang_install()
        else:
            self.env["ir.module.module"]._load_module_terms(
                ["customer_retention"], [code], overwrite=True
            )
        self.assertTrue(self.env["res.lang"]._lang_get(code))

    def test_uzbek_language_record(self):
        lang = self.uzbek
        self.assertEqual(
            (lang.code, lang.iso_code, lang.url_code, lang.name, lang.direction),
            ("uz_UZ", "uz", "uz", "Uzbek / Oʻzbekcha", "ltr"),
        )
        self.assertFalse(lang.active, "installed inactive: an admin activates it")
        self.assertEqual(
            (lang.date_format, lang.time_format, lang.short_time_format),
            ("%d.%m.%Y", "%H:%M:%S", "%H:%M"),
        )
        self.assertEqual(
            (lang.decimal_point, lang.thousands_sep, lang.grouping), (",", "\u00a0", "[3,0]")
        )
        self.assertEqual(lang.week_start, "1")

    def test_uzbek_activation_loads_translations(self):
        self.activate("uz_UZ", wizard=True)
        env = self.env(context={"lang": "uz_UZ"})
        self.assertEqual(
            env.ref("customer_retention.customer_retention_menu_root").name, "Mijozlarni saqlash"
        )
        stages = dict(env["res.partner"]._fields["retention_stage"]._description_selection(env))
        self.assertEqual(stages["at_risk"], "Xavf ostida")
        self.assertEqual(stages["won_back"], "Qaytgan")
        self.assertEqual(
            env["ir.model.fields"]._get("res.partner", "retention_health_score").field_description,
            "Sogʻlik balli",
        )
        # messages raised from Python code
        with self.assertRaisesRegex(ValidationError, "oʻzini oʻzi"):
            self.partner.with_env(env).retention_referred_by_id = self.partner
        self.assertEqual(format_date(env, "2026-12-31"), "31.12.2026")

    def test_georgian_activation_loads_translations(self):
        self.activate("ka_GE")
        env = self.env(context={"lang": "ka_GE"})
        self.assertEqual(
            env.ref("customer_retention.customer_retention_menu_root").name, "შენარჩუნება"
        )
        stages = dict(env["res.partner"]._fields["retention_stage"]._description_selection(env))
        self.assertEqual(stages["at_risk"], "რისკის ქვეშ")
        self.assertEqual(stages["churned"], "წასული")
        with self.assertRaisesRegex(ValidationError, "საკუთარი თავის"):
            self.partner.with_env(env).retention_referred_by_id = self.partner

    def test_email_in_the_recipient_language(self):
        self.activate("uz_UZ")
        self.activate("ka_GE")
        template = self.env.ref("customer_retention.mail_template_followup_welcome")
        expected = {
            "uz_UZ": ("Xush kelibsiz, Samarqand Savdo", "Bizni tanlaganingiz uchun rahmat"),
            "ka_GE": (
                "კეთილი იყოს თქვენი მობრძანება, Samarqand Savdo",
                "მადლობა, რომ ჩვენ აგვირჩიეთ",
            ),
            "en_US": ("Welcome aboard, Samarqand Savdo", "Thank you for choosing us"),
        }
        for lang, (subject, body) in expected.items():
            with self.subTest(lang=lang):
                self.partner.lang = lang
                mail = self.env["mail.mail"].browse(template.send_mail(self.partner.id))
                self.assertEqual(mail.subject, subject)
                self.assertIn(body, str(mail.body_html))
                self.assertIn(
                    "Samarqand Savdo", str(mail.body_html), "the placeholders still render"
                )

    def test_followup_activity_in_the_assignee_language(self):
        self.activate("uz_UZ")
        manager = new_test_user(self.env, "uz_manager", groups="base.group_user", lang="uz_UZ")
        self.partner.retention_account_manager_id = manager
        action = self.env.ref("customer_retention.retention_followup_action_onboarding")
        action._execute_activity(self.partner, self.partner, fields.Date.today())
        activity = self.partner.activity_ids.filtered(lambda a: a.user_id == manager)
        self.assertEqual(activity.summary, "Moslashuv suhbati: hammasi yaxshi boshlanayaptimi?")

    def test_review_digest_in_the_reviewer_language(self):
        self.activate("ka_GE")
        reviewer = new_test_user(self.env, "ka_reviewer", groups="base.group_user", lang="ka_GE")
        self.env["retention.review"]._send_digest(reviewer, self.env["retention.review"])
        message = self.env["mail.message"].search(
            [("partner_ids", "in", reviewer.partner_id.ids)], limit=1
        )
        self.assertEqual(message.subject, "მოსამზადებელი კლიენტის მიმოხილვები: 0")
        self.assertIn("ეს კლიენტის მიმოხილვები თქვენთვის დაიგეგმა", str(message.body))

    def test_dashboard_in_the_user_language(self):
        """The Retention dashboard: its own texts (OWL template, JS) reach the web client
        translated from the po files; the figures' labels and periods come translated from the
        server."""
        expected = {
            "ka_GE": {
                "Customer retention by period": "კლიენტების შენარჩუნება პერიოდების მიხედვით",
                "Against %s": "%s-თან შედარებით",
                "Upcoming reviews": "მოახლოებული მიმოხილვები",
                "labels": ("კლიენტების გადინება", "შემოსავლის ნეტო შენარჩუნება"),
                "quarter": "2 კვ. 2026",
            },
            "uz_UZ": {
                "Customer retention by period": "Davrlar boʻyicha mijozlarni saqlab qolish",
                "Against %s": "%s bilan solishtirganda",
                "Upcoming reviews": "Yaqinlashayotgan koʻriklar",
                "labels": ("Mijozlar ketishi", "Daromadni sof saqlab qolish"),
                "quarter": "2026-yil 2-chorak",
            },
        }
        for lang, texts in expected.items():
            with self.subTest(lang=lang):
                self.activate(lang)
                translations, _params = self.env["ir.http"].get_translations_for_webclient(
                    ["customer_retention"], lang
                )
                messages = {
                    message["id"]: message["string"]
                    for message in translations["customer_retention"]["messages"]
                }
                for english in ("Customer retention by period", "Against %s", "Upcoming reviews"):
                    self.assertEqual(messages.get(english), texts[english])
                dashboard = self.env["retention.dashboard"].with_context(lang=lang)
                labels = dashboard._kpi_labels()
                self.assertEqual(
                    (labels["logo_churn_rate"], labels["net_revenue_retention"]), texts["labels"]
                )
                self.assertEqual(
                    dashboard._period_label("quarter", fields.Date.to_date("2026-04-01")),
                    texts["quarter"],
                )

    def test_active_language_survives_uninstall(self):
        """An active Uzbek is detached from the module on uninstall (Odoo refuses to delete an
        active language); an inactive one is left to the module's data and deleted with it."""
        xmlid = self.env["ir.model.data"].search(
            [("module", "=", "customer_retention"), ("name", "=", "lang_uz_UZ")]
        )
        uninstall_hook(self.env)
        self.assertTrue(xmlid.exists(), "inactive: deleted with the module")
        self.activate("uz_UZ")
        uninstall_hook(self.env)
        self.assertFalse(xmlid.exists())
        self.assertTrue(self.uzbek.exists() and self.uzbek.active)


@tagged("post_install", "-at_install")
class TestMarketCurrencies(TransactionCase):
    """Retention amounts: current company's currency, formatted for the user's language."""

    def company_in(self, code):
        currency = self.env.ref(f"base.{code}")
        currency.active = True
        return self.env["res.company"].create(
            {"name": f"Retention {code}", "currency_id": currency.id}
        ), currency

    def test_lari_for_a_georgian_company(self):
        company, gel = self.company_in("GEL")
        partner = self.env["res.partner"].create({"name": "Batumi Port Logistics"})
        self.assertEqual(partner.with_company(company).retention_currency_id, gel)
        self.env["res.lang"]._activate_lang("ka_GE")
        # base's ka_GE formats (decimal comma, dot between thousands), lari sign after the amount
        self.assertEqual(format_amount(self.env, 1234567.891, gel, "ka_GE"), "1.234.567,89\u00a0ლ")

    def test_som_for_an_uzbek_company(self):
        company, uzs = self.company_in("UZS")
        partner = self.env["res.partner"].create({"name": "Samarqand Savdo"})
        self.assertEqual(partner.with_company(company).retention_currency_id, uzs)
        self.assertEqual(
            (uzs.symbol, uzs.position), ("soʻm", "after"), "base's лв replaced at install"
        )
        self.env["res.lang"]._activate_lang("uz_UZ")
        self.assertEqual(
            format_amount(self.env, 1234567.891, uzs, "uz_UZ"), "1\u00a0234\u00a0567,89\u00a0soʻm"
        )


@tagged("post_install", "-at_install")
class TestFeedbackInTheContactLanguage(FeedbackPageMixin, HttpCase):
    """What a Georgian or Uzbek customer sees of a feedback request: the email, and the public
    page (question, scale, button, errors, thanks, expiry), rendered through real HTTP requests
    in the language of the contact."""

    #: per language: the NPS question around the company name, the CSAT question, the scale
    #: ends, the button, the thank-you title, the score error, the expired title, the email
    #: subject (after "<company>: "), greeting and NPS question, the referral email subject.
    EXPECTED = {
        "ka_GE": {
            "nps": ("რამდენად სავარაუდოა, რომ მეგობარს ან კოლეგას {company}-ს ურჩევთ?"),
            "csat": "რამდენად კმაყოფილი ხართ ჩვენი მუშაობით?",
            "scale": ("0 = სულაც არ არის სავარაუდო", "10 = ძალიან სავარაუდოა"),
            "button": "პასუხის გაგზავნა",
            "until": "პასუხის შეცვლა შეგიძლიათ {expiry}-მდე.",
            "thanks": "გმადლობთ უკუკავშირისთვის!",
            "error": "აირჩიეთ ქულა 0-დან 10-მდე.",
            "expired": "უკუკავშირის ამ ბმულს ვადა გაუვიდა",
            "subject": "ერთი კითხვა ჩვენი თანამშრომლობის შესახებ",
            "hello": "გამარჯობა, {contact}!",
            "email_nps": "რამდენად სავარაუდოა, რომ მეგობარს ან კოლეგას {company}-ს ურჩევთ?",
            "referral": "გმადლობთ თბილი სიტყვებისთვის",
        },
        "uz_UZ": {
            "nps": (
                "{company} kompaniyasini doʻstingiz yoki hamkasbingizga tavsiya qilishingiz "
                "ehtimoli qanchalik yuqori?"
            ),
            "csat": "Ishimizdan qanchalik mamnunsiz?",
            "scale": ("0 = ehtimoli umuman yoʻq", "10 = ehtimoli juda yuqori"),
            "button": "Javobni yuborish",
            "until": "Javobingizni {expiry} gacha oʻzgartirishingiz mumkin.",
            "thanks": "Fikr-mulohazangiz uchun rahmat!",
            "error": "0 dan 10 gacha ball tanlang.",
            "expired": "Ushbu fikr-mulohaza havolasining muddati tugagan",
            "subject": "hamkorligimiz haqida bitta savol",
            "hello": "Assalomu alaykum, {contact}!",
            "email_nps": (
                "{company} kompaniyasini doʻstingiz yoki hamkasbingizga tavsiya qilishingiz "
                "ehtimoli qanchalik yuqori?"
            ),
            "referral": "Iliq soʻzlaringiz uchun rahmat",
        },
    }
    #: English texts of the page and the email that must not show once translated
    ENGLISH = ("How likely are you", "Send my answer", "not at all likely", "You can change")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in LANGS:
            cls.env["res.lang"]._activate_lang(code)
        cls.env["ir.module.module"]._load_module_terms(
            ["customer_retention"], list(LANGS), overwrite=True
        )
        cls.company = cls.env.company
        cls.customer = cls.env["res.partner"].create(
            {"name": "Kavkasia Trade", "is_company": True, "customer_rank": 1}
        )

    def request_for(self, lang, kind="nps"):
        contact = self.env["res.partner"].create(
            {
                "name": f"Contact {lang}",
                "parent_id": self.customer.id,
                "email": f"{lang.lower()}@kavkasia.example",
                "lang": lang,
            }
        )
        return self.env["retention.feedback"]._request(contact, kind=kind)

    @staticmethod
    def text_of(page):
        """The visible text of a page: tags removed, entities decoded, spaces collapsed."""
        return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", page)))

    def test_feedback_page_in_the_contact_language(self):
        for lang, expected in self.EXPECTED.items():
            with self.subTest(lang=lang):
                feedback = self.request_for(lang)
                response = self.url_open(self.url(feedback))
                self.assertEqual(response.status_code, 200)
                text = self.text_of(response.text)
                self.assertIn(expected["nps"].format(company=self.company.name), text)
                for end in expected["scale"]:
                    self.assertIn(end, text)
                self.assertIn(expected["button"], text)
                expiry = format_date(self.env(context={"lang": lang}), feedback.date_expiry)
                self.assertIn(expected["until"].format(expiry=expiry), text)
                for english in self.ENGLISH:
                    self.assertNotIn(english, text)
                # a bad score: the error in the contact's language; then the thanks
                token = re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)
                response = self.submit(feedback, "11", token=token)
                self.assertEqual(response.status_code, 400)
                self.assertIn(expected["error"], self.text_of(response.text))
                response = self.submit(feedback, "9", token=token)
                self.assertEqual(response.status_code, 200)
                self.assertIn(expected["thanks"], self.text_of(response.text))
                # the CSAT question
                csat = self.request_for(lang, kind="csat")
                self.assertIn(expected["csat"], self.text_of(self.url_open(self.url(csat)).text))
                # an expired link
                csat.date_expiry = fields.Datetime.now() - timedelta(seconds=1)
                response = self.url_open(self.url(csat))
                self.assertEqual(response.status_code, 410)
                self.assertIn(expected["expired"], self.text_of(response.text))

    def test_feedback_emails_in_the_contact_language(self):
        referral = self.env.ref("customer_retention.mail_template_feedback_referral")
        for lang, expected in self.EXPECTED.items():
            with self.subTest(lang=lang):
                feedback = self.request_for(lang)
                message = feedback.message_ids.filtered(lambda m: m.message_type == "comment")
                self.assertEqual(len(message), 1)
                self.assertEqual(message.subject, f"{self.company.name}: {expected['subject']}")
                body = self.text_of(str(message.body))
                self.assertIn(expected["hello"].format(contact=feedback.contact_id.name), body)
                self.assertIn(expected["email_nps"].format(company=self.company.name), body)
                self.assertNotIn("How likely are you", body)
                # the placeholders still render: one link per score, to this request's page
                self.assertIn(self.url(feedback, "?score=10"), str(message.body))
                mail = self.env["mail.mail"].browse(referral.send_mail(feedback.id))
                self.assertEqual(mail.subject, expected["referral"])
