/** @odoo-module **/

import { addRetentionMenuTour } from "@customer_retention/../tests/tours/retention_tour_utils";

/**
 * The review pack sent to the customer: Retention > Reviews > Reviews, open the review, Send
 * Pack, the composer shows the pack attached, send it; the message is on the review.
 */
addRetentionMenuTour(
    "customer_retention_review_pack_tour",
    ["customer_retention_menu_reviews", "retention_review_menu"],
    () => [
        {
            content: "Open the review of the customer",
            trigger:
                '.o_list_view .o_data_row:contains("Tour Pack Customer") .o_data_cell[name="partner_id"]',
            run: "click",
        },
        {
            content: "The goals agreed are on the review",
            trigger: '.o_form_view .o_notebook a:contains("Goals and Commitments")',
            run: "click",
        },
        {
            content: "The carried goal is listed",
            trigger:
                '.o_field_widget[name="goal_ids"] .o_data_row:contains("Monthly service report")',
        },
        {
            content: "Send the pack",
            trigger: '.o_form_view button[name="action_send_pack"]',
            run: "click",
        },
        {
            content: "The composer has the pack attached",
            trigger: '.modal .o_field_widget[name="attachment_ids"]:contains("Review pack")',
        },
        {
            content: "The subject comes from the template",
            trigger: '.modal .o_field_widget[name="subject"] input:value("our account review")',
        },
        {
            content: "Send",
            trigger: ".modal button.o_mail_send:not(:disabled)",
            run: "click",
        },
        {
            content: "The message with the pack is on the review",
            trigger:
                '.o_form_view:not(:has(.modal)) .o-mail-Message:contains("our account review") .o-mail-AttachmentList',
        },
    ],
);
