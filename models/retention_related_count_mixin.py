from odoo import api, fields, models

from .ui_actions import window_action

#: Smart-button counts are for the Retention app's users.
COUNT_GROUPS = "customer_retention.group_retention_user"


def related_count(string, model, field, action, extra_domain=()):
    """A smart-button count of ``model`` records whose ``field`` points at the record (for a
    customer: at its commercial partner), filled by one grouped query per count; ``action``
    (an xml id) lists them. Each feature declares its counts with it, on the models that
    inherit retention.related.count.mixin."""
    return fields.Integer(
        string=string,
        compute="_compute_retention_related_counts",
        groups=COUNT_GROUPS,
        retention_count=(model, field, action, tuple(extra_domain)),
    )


class RetentionRelatedCountMixin(models.AbstractModel):
    """The counts behind the smart buttons that features add to customers and projects
    (reviews, follow-ups, feedback), and the lists they open, written once."""

    _name = "retention.related.count.mixin"
    _description = "Retention smart-button counts"

    @api.model
    def _valid_field_parameter(self, field, name):
        return name == "retention_count" or super()._valid_field_parameter(field, name)

    def _retention_count_target(self):
        """The record counted records point at: the record itself (customers: overridden)."""
        self.ensure_one()
        return self

    def _retention_count_fields(self):
        return {
            name: field.retention_count
            for name, field in self._fields.items()
            if getattr(field, "retention_count", None)
        }

    def _compute_retention_related_counts(self):
        targets = {record: record._retention_count_target()._origin for record in self}
        target_ids = list({target.id for target in targets.values()})
        for name, (model, field, _action, extra) in self._retention_count_fields().items():
            groups = self.env[model]._read_group(
                [*extra, (field, "in", target_ids)], [field], ["__count"]
            )
            counts = {getattr(key, "id", key): count for key, count in groups}
            for record, target in targets.items():
                record[name] = counts.get(target.id, 0)

    def _retention_open_related(self, count_field):
        """The list behind the smart button of ``count_field``."""
        model, field, action_xmlid, extra = self._fields[count_field].retention_count
        return window_action(
            self.env, action_xmlid, [*extra, (field, "=", self._retention_count_target().id)]
        )
