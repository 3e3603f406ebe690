/** @odoo-module **/

import { onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { RetentionScreen } from "../common/retention_screen";

/**
 * Retention > My Customers: what the account manager does today, from one call,
 * retention.cockpit.get_cockpit_data(user_id). Every line is one click from acting: open the
 * customer, log a call, schedule an activity, plan a review (retention.cockpit.action_open).
 * A Retention manager picks another user.
 */
export class RetentionCockpit extends RetentionScreen {
    static template = "customer_retention.RetentionCockpit";

    setup() {
        super.setup();
        this.state = useState({ userId: false, data: null });
        this.sections = [
            { key: "at_risk", title: _t("At risk or falling") },
            { key: "reengage", title: _t("Due to re-engage by their rhythm") },
            { key: "risk_cases", title: _t("Open cases") },
            { key: "reviews", title: _t("Reviews due") },
            { key: "renewals", title: _t("Renewals in the next 90 days") },
            { key: "activities", title: _t("Follow-ups due today or late") },
        ];
        onWillStart(() => this.load());
    }

    async load() {
        this.state.data = await this.orm.call("retention.cockpit", "get_cockpit_data", [], {
            user_id: this.state.userId || false,
        });
        this.state.userId = this.state.data.user.id;
    }

    async onUser(ev) {
        this.state.userId = parseInt(ev.target.value) || false;
        await this.load();
    }

    detail(section, item) {
        if (section.key === "risk_cases") {
            return [item.kind_label, item.state, item.reason].filter(Boolean).join(" · ");
        }
        if (section.key === "activities") {
            return item.record;
        }
        return item.reason || "";
    }

    target(section, item) {
        if (section.key === "risk_cases") {
            return ["retention.risk", item.id];
        }
        if (section.key === "reviews") {
            return ["retention.review", item.id];
        }
        if (item.model && item.res_id) {
            return [item.model, item.res_id];
        }
        return ["res.partner", item.partner_id];
    }

    async act(section, item, kind) {
        const [model, resId] =
            kind === "open" ? this.target(section, item) : ["res.partner", item.partner_id];
        const action = await this.orm.call("retention.cockpit", "action_open", [model, resId], {
            kind,
        });
        await this.action.doAction(action, { onClose: () => this.load() });
    }
}

registry.category("actions").add("customer_retention.cockpit", RetentionCockpit);
