/** @odoo-module **/

import { Component } from "@odoo/owl";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

/**
 * What every screen of the Retention app (dashboard, Score Check, My Customers) is: a client
 * action in Odoo's layout that reads its data with one ORM call and opens records through the
 * action service. Each screen adds its template, its state and its call.
 */
export class RetentionScreen extends Component {
    static components = { Layout };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
    }
}
