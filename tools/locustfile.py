"""Account managers using the Retention app, for Locust (issue #21), run by tools/load_test.py.

Each simulated user logs in as one account manager of its own (LOAD_LOGIN_PREFIX01, 02...)
and sends what the web client sends, through JSON-RPC: the Customers action and its views,
the kanban grouped by stage (groups, progress bars, a page of cards per column), the list
(sorted by name, health or 12-month revenue, sometimes *My Customers*), a customer's form
(the fields the form view shows the user, Retention tab included), the dashboard, completing
one of its planned reviews through the completion dialog, and logging a call (a call
activity on one of its customers marked done) or a note in the chatter.

Settings (environment): LOAD_DB, LOAD_LOGIN_PREFIX, LOAD_PASSWORD, LOAD_USERS (how many
logins exist), LOAD_CALL_TYPE_ID (the *Call* activity type), LOAD_WAIT ("1,3": seconds
between two actions of a user). Locust runs it outside Odoo's interpreter (its gevent and
Werkzeug differ from Odoo's), so this file imports nothing of Odoo.
"""

import itertools
import json
import os
import random
import xml.etree.ElementTree as ET
from datetime import date

from locust import HttpUser, between, task

DB = os.environ.get("LOAD_DB", "")
LOGIN_PREFIX = os.environ.get("LOAD_LOGIN_PREFIX", "load_am_")
PASSWORD = os.environ.get("LOAD_PASSWORD", "load")
LOGINS = int(os.environ.get("LOAD_USERS", "20"))
CALL_TYPE_ID = int(os.environ.get("LOAD_CALL_TYPE_ID", "0"))
WAIT = [float(x) for x in os.environ.get("LOAD_WAIT", "1,3").split(",")]
ACTION = "customer_retention.res_partner_action_customers"
# Outcomes a user picks when completing a review ("lost" asks for a churn reason).
OUTCOMES = ["renew", "expand", "maintain", "maintain", "at_risk"]
LIST_ORDERS = ["", "retention_health_score ASC, id ASC", "retention_revenue_12m DESC, id DESC"]

_numbers = itertools.count()


class RpcError(Exception):
    pass


def view_fields(arch, fields):
    """The field names the view shows (not those of an embedded x2many sub-view), that the
    model has: what the web client reads for it."""
    names = []

    def walk(node):
        for child in node:
            if child.tag == "field":
                names.append(child.get("name"))
                continue  # a field's children are its sub-views
            walk(child)

    walk(ET.fromstring(arch))
    return [name for name in dict.fromkeys(names) if name in fields]


def specification(names, fields):
    """The web client's read specification: display names of many2one fields, x2many
    fields left out (their sub-views are another read)."""
    spec = {}
    for name in names:
        kind = fields[name].get("type")
        if kind == "many2one":
            spec[name] = {"fields": {"display_name": {}}}
        elif kind not in ("one2many", "many2many"):
            spec[name] = {}
    return spec


class AccountManager(HttpUser):
    wait_time = between(*WAIT)

    def on_start(self):
        self.number = next(_numbers) % LOGINS + 1
        self.login = f"{LOGIN_PREFIX}{self.number:02d}"
        self.uid = None
        self.odoo_context = {}
        self.customer_ids = []
        self.log_in()
        self.load_views()

    # -- JSON-RPC ------------------------------------------------------------------------------
    def rpc(self, url, params, name):
        payload = {"jsonrpc": "2.0", "method": "call", "id": random.randint(1, 10**9)}
        payload["params"] = params
        with self.client.post(url, json=payload, name=name, catch_response=True) as response:
            try:
                body = response.json()
            except (ValueError, json.JSONDecodeError):
                response.failure(f"HTTP {response.status_code}: not JSON")
                raise RpcError(name) from None
            if "error" in body:
                error = body["error"].get("data", {}).get("message") or body["error"]
                response.failure(f"{error}"[:300])
                raise RpcError(name)
            return body.get("result")

    def call(self, model, method, args=(), name=None, **kwargs):
        kwargs.setdefault("context", self.odoo_context)
        return self.rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
            name or f"{model}.{method}",
        )

    def create(self, model, values, name, context):
        """A new record saved from its form (a dialog): its id."""
        saved = self.call(model, "web_save", [[], values], name, specification={}, context=context)
        return saved[0]["id"]

    def log_in(self):
        result = self.rpc(
            "/web/session/authenticate",
            {"db": DB, "login": self.login, "password": PASSWORD},
            "login",
        )
        self.uid = result["uid"]
        self.odoo_context = dict(
            result["user_context"],
            allowed_company_ids=[result["user_companies"]["current_company"]],
        )

    def load_views(self):
        """The Customers menu: the action, then its views (once per session, as the web
        client caches them)."""
        action = self.rpc("/web/action/load", {"action_id": ACTION}, "action: load")
        self.domain = [("retention_stage", "!=", False)]
        views = [[view_id, kind] for view_id, kind in action["views"]] + [
            [action["search_view_id"][0], "search"]
        ]
        result = self.call(
            "res.partner", "get_views", name="action: get_views", views=views, options={}
        )
        fields = result["models"]["res.partner"]
        fields = fields.get("fields", fields)
        arch = {kind: view["arch"] for kind, view in result["views"].items()}
        self.kanban_spec = specification(view_fields(arch["kanban"], fields), fields)
        self.list_spec = specification(view_fields(arch["list"], fields), fields)
        self.form_spec = specification(view_fields(arch["form"], fields), fields)

    # -- screens -------------------------------------------------------------------------------
    @task(4)
    def kanban(self):
        """The Customers kanban, grouped by stage: the columns, their progress bars, a page
        of 40 cards in each open column."""
        groups = self.call(
            "res.partner",
            "web_read_group",
            [self.domain, [], ["retention_stage"]],
            name="kanban: web_read_group",
            lazy=True,
        )["groups"]
        self.call(
            "res.partner",
            "read_progress_bar",
            name="kanban: read_progress_bar",
            domain=self.domain,
            group_by="retention_stage",
            progress_bar={
                "field": "retention_health_trend",
                "colors": {"up": "success", "steady": "info", "down": "danger"},
            },
        )
        for group in groups:
            if group.get("__fold"):
                continue
            page = self.call(
                "res.partner",
                "web_search_read",
                name="kanban: web_search_read (a column)",
                domain=group["__domain"],
                specification=self.kanban_spec,
                offset=0,
                limit=40,
                order="",
                count_limit=10001,
            )
            self.remember(page["records"])

    @task(3)
    def list_view(self):
        """The list: 80 rows, sorted as a user clicks, sometimes *My Customers* only."""
        domain = list(self.domain)
        if random.random() < 0.5:
            domain.append(("retention_account_manager_id", "=", self.uid))
        page = self.call(
            "res.partner",
            "web_search_read",
            name="list: web_search_read",
            domain=domain,
            specification=self.list_spec,
            offset=0,
            limit=80,
            order=random.choice(LIST_ORDERS),
            count_limit=10001,
        )
        self.remember(page["records"])

    @task(4)
    def form(self):
        """A customer's form, with the Retention tab."""
        if not self.customer_ids:
            self.list_view()
        if self.customer_ids:
            partner_id = random.choice(self.customer_ids)
            self.call(
                "res.partner",
                "web_read",
                [[partner_id]],
                name="form: web_read",
                specification=self.form_spec,
            )

    @task(1)
    def dashboard(self):
        self.call(
            "retention.dashboard",
            "get_dashboard_data",
            name="dashboard: get_dashboard_data",
            period_type="month",
        )

    @task(2)
    def complete_review(self):
        """One of the user's planned reviews (the job plans them during the run): its list,
        its form, the Complete dialog, confirmed."""
        reviews = self.call(
            "retention.review",
            "web_search_read",
            name="review: web_search_read (mine, planned)",
            domain=[("state", "=", "planned"), ("user_id", "=", self.uid)],
            specification={"display_name": {}, "date_planned": {}, "partner_id": {}},
            limit=80,
            order="date_planned ASC, id ASC",
        )["records"]
        if not reviews:
            return
        review_id = random.choice(reviews)["id"]
        self.call(
            "retention.review",
            "web_read",
            [[review_id]],
            name="review: web_read",
            specification={"display_name": {}, "state": {}, "date_planned": {}, "outcome": {}},
        )
        action = self.call(
            "retention.review",
            "action_open_complete_wizard",
            [[review_id]],
            name="review: action_open_complete_wizard",
        )
        context = dict(self.odoo_context, **action["context"])
        spec = {"review_id": {}, "outcome": {}, "notes": {}, "next_steps": {}}
        self.call(
            "retention.review.complete",
            "onchange",
            [[], {}, [], spec],
            name="review: onchange (dialog)",
            context=context,
        )
        wizard_id = self.create(
            "retention.review.complete",
            {"review_id": review_id, "outcome": random.choice(OUTCOMES)},
            "review: web_save (dialog)",
            context,
        )
        self.call(
            "retention.review.complete",
            "action_confirm",
            [[wizard_id]],
            name="review: action_confirm",
            context=context,
        )

    @task(2)
    def log_call(self):
        """A call with one of the user's customers: a call activity scheduled on it, marked
        done with its feedback (what the chatter's activity popover does)."""
        partner_id = self.my_customer()
        if not partner_id:
            return
        context = dict(
            self.odoo_context, default_res_model="res.partner", default_res_id=partner_id
        )
        activity_id = self.create(
            "mail.activity",
            {
                "activity_type_id": CALL_TYPE_ID,
                "summary": "Called the customer",
                "date_deadline": date.today().isoformat(),
                "user_id": self.uid,
            },
            "call: web_save (activity)",
            context,
        )
        self.call(
            "mail.activity",
            "action_feedback",
            [[activity_id]],
            name="call: action_feedback (done)",
            feedback="Talked about the next order",
        )

    @task(1)
    def log_note(self):
        partner_id = self.my_customer()
        if partner_id:
            self.rpc(
                "/mail/message/post",
                {
                    "thread_model": "res.partner",
                    "thread_id": partner_id,
                    "post_data": {
                        "body": "Note from the load test",
                        "message_type": "comment",
                        "subtype_xmlid": "mail.mt_note",
                    },
                    "context": self.odoo_context,
                },
                "note: /mail/message/post",
            )

    # -- helpers -------------------------------------------------------------------------------
    def remember(self, records):
        self.customer_ids = [record["id"] for record in records][:200] or self.customer_ids

    def my_customer(self):
        """One of the user's own customers (the *My Customers* filter, first page)."""
        if not getattr(self, "mine", None):
            self.mine = [
                record["id"]
                for record in self.call(
                    "res.partner",
                    "web_search_read",
                    name="list: web_search_read (my customers)",
                    domain=self.domain + [("retention_account_manager_id", "=", self.uid)],
                    specification={"display_name": {}},
                    limit=80,
                )["records"]
            ]
        return random.choice(self.mine) if self.mine else None
