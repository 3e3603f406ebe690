/** @odoo-module **/

import { onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { RetentionScreen } from "../common/retention_screen";

/**
 * Score Check: does the health score predict churn? The verdict in one sentence, churn rate by
 * health band (each band opens its customer-months), the AUC of the score and of each factor,
 * and the calibration of the weights (preview, apply, earlier sets). One call for the data:
 * retention.backtest.get_score_check_data(company_id, months, horizon).
 */
export class RetentionScoreCheck extends RetentionScreen {
    static template = "customer_retention.RetentionScoreCheck";

    setup() {
        super.setup();
        this.notification = useService("notification");
        this.monthOptions = [12, 24, 36];
        this.horizonOptions = [3, 6, 12];
        this.state = useState({
            companyId: false,
            months: 24,
            horizon: 12,
            data: null,
            preview: null,
            busy: false,
        });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.data = await this.orm.call("retention.backtest", "get_score_check_data", [], {
            company_id: this.state.companyId || false,
            months: this.state.months,
            horizon: this.state.horizon,
        });
        this.state.companyId = this.state.data.company_id;
        this.state.preview = null;
    }

    get bandScale() {
        const rates = this.state.data.bands.map((band) => band.churn_rate || 0);
        return Math.max(...rates, 0.01);
    }

    barHeight(band) {
        return band.churn_rate ? Math.max(2, (100 * band.churn_rate) / this.bandScale) : 0;
    }

    percent(value, digits = 0) {
        return value === null || value === undefined ? "—" : `${(100 * value).toFixed(digits)} %`;
    }

    customerMonthsLabel(band) {
        return _t("%s customer-months", band.customers);
    }

    churnedLabel(band) {
        return _t("%s churned", band.churned);
    }

    auc(value) {
        return value === null || value === undefined ? "—" : value.toFixed(2);
    }

    aucClass(value) {
        if (value === null || value === undefined) {
            return "text-muted";
        }
        return value >= 0.7 ? "text-success" : value >= 0.6 ? "text-warning" : "text-danger";
    }

    weightChanged(name) {
        const data = this.state.data;
        return data.current_weights[name] !== data.suggested_weights[name];
    }

    async onSetting(key, ev) {
        this.state[key] = parseInt(ev.target.value) || false;
        await this.load();
    }

    async openBand(band, churned) {
        const action = await this.orm.call("retention.backtest", "action_open_customer_months", [
            this.state.companyId,
            this.state.months,
            this.state.horizon,
            band.low,
            band.high,
        ], { churned });
        this.action.doAction(action);
    }

    async onPreview() {
        this.state.busy = true;
        try {
            this.state.preview = await this.orm.call("retention.backtest", "preview_calibration", [
                this.state.companyId,
                this.state.months,
                this.state.horizon,
            ]);
        } finally {
            this.state.busy = false;
        }
    }

    async onApply() {
        const { companyId, months, horizon } = this.state;
        await this.changeWeights(
            () => this.orm.call("retention.backtest", "apply_calibration", [companyId, months, horizon]),
            _t("New weights applied; the customers' health scores are being recomputed.")
        );
    }

    /** Run a call that changes the weights (the screen busy meanwhile), say so, reload. */
    async changeWeights(call, message) {
        this.state.busy = true;
        try {
            await call();
            this.notification.add(message, { type: "success" });
            await this.load();
        } finally {
            this.state.busy = false;
        }
    }

    async onRestore(weightSet) {
        await this.changeWeights(
            () => this.orm.call("retention.weight.set", "action_restore", [[weightSet.id]]),
            _t("Weights restored; the customers' health scores are being recomputed.")
        );
    }

    openWeightSets() {
        this.action.doAction("customer_retention.retention_weight_set_action");
    }
}

registry.category("actions").add("customer_retention.score_check", RetentionScoreCheck);
