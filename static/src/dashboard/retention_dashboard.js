/** @odoo-module **/

import { onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { formatFloat } from "@web/core/utils/numbers";
import { RetentionScreen } from "../common/retention_screen";

/**
 * The Retention dashboard: headline figures of the running period against the previous one,
 * customers at risk, upcoming reviews and renewals, stage distribution and the retention
 * curve. Every figure opens the records behind it. The data comes from one call:
 * retention.dashboard.get_dashboard_data(period_type, company_id, filters).
 */
export class RetentionDashboard extends RetentionScreen {
    static template = "customer_retention.RetentionDashboard";

    setup() {
        super.setup();
        this.periodTypes = [
            { key: "month", label: _t("Month") },
            { key: "quarter", label: _t("Quarter") },
            { key: "year", label: _t("Year") },
        ];
        this.filterFields = [
            { key: "account_manager_id", label: _t("Account Manager") },
            { key: "category_id", label: _t("Tag") },
            { key: "country_id", label: _t("Country") },
            { key: "industry_id", label: _t("Industry") },
        ];
        this.state = useState({
            periodType: "month",
            companyId: false,
            filters: {},
            data: null,
            loading: true,
        });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.loading = true;
        const data = await this.orm.call("retention.dashboard", "get_dashboard_data", [], {
            period_type: this.state.periodType,
            company_id: this.state.companyId || false,
            filters: this.state.filters,
        });
        this.state.data = data;
        this.state.companyId = data.company_id;
        this.state.loading = false;
    }

    get trendTitle() {
        return _t("Against %s", this.state.data.previous_label);
    }

    barHeight(value) {
        if (value === null || value === undefined) {
            return 0;
        }
        return Math.max(2, Math.min(100, value));
    }

    formatPercent(value) {
        // the user's decimal separator, as the amounts (Georgian: 96,4 %)
        return value === null || value === undefined
            ? ""
            : `${formatFloat(value, { digits: [false, 1] })} %`;
    }

    async onPeriodType(key) {
        this.state.periodType = key;
        await this.load();
    }

    async onCompany(ev) {
        this.state.companyId = parseInt(ev.target.value) || false;
        this.state.filters = {};
        await this.load();
    }

    async onFilter(key, ev) {
        const value = parseInt(ev.target.value) || false;
        this.state.filters = { ...this.state.filters, [key]: value };
        await this.load();
    }

    open(action) {
        if (action) {
            this.action.doAction(action);
        }
    }
}

registry.category("actions").add("customer_retention.dashboard", RetentionDashboard);
