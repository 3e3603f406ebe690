"""The client actions the module's buttons return, written once."""


def window_action(env, xmlid, domain, context=None):
    """The window action ``xmlid`` narrowed to ``domain`` (a smart button's list)."""
    action = env["ir.actions.act_window"]._for_xml_id(xmlid)
    action["domain"] = domain
    action["context"] = context or {}
    return action


def notification(message, kind="success", then="reload"):
    """A notification toast; then the view reloads (``"reload"``) or the dialog closes
    (``"close"``)."""
    follow = {
        "reload": {"type": "ir.actions.client", "tag": "soft_reload"},
        "close": {"type": "ir.actions.act_window_close"},
    }[then]
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {"type": kind, "message": message, "next": follow},
    }
