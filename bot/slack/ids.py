"""Every action_id, callback_id and block_id the bot uses: one enum, nothing spelled elsewhere."""

from __future__ import annotations

from enum import StrEnum


class SlackId(StrEnum):
    """Identifiers of interactive elements, views and blocks."""

    usage_header = "rollback-usage-header"
    home_header = "rollback-home-header"
    # guided-flow modal: views
    flow_target_view = "rollback-flow-target"
    flow_kind_view = "rollback-flow-kind"
    flow_plan_view = "rollback-flow-plan"
    flow_loading_view = "rollback-flow-loading"
    # guided-flow modal: inputs (block ids and their elements' action ids)
    target_block = "rollback-target"
    target_select = "rollback-target-select"
    emergency_block = "rollback-emergency"
    emergency_radio = "rollback-emergency-radio"
    kind_block = "rollback-kind"
    kind_radio = "rollback-kind-radio"
    choice_block = "rollback-choice"
    choice_select = "rollback-choice-select"
    reason_block = "rollback-reason"
    reason_input = "rollback-reason-input"
    # buttons
    proceed = "rollback-proceed"
    approve = "rollback-approve"
    reject = "rollback-reject"
    cancel = "rollback-cancel"
    # reject asks why, in a short modal
    reject_view = "rollback-reject-view"
    reject_reason_block = "rollback-reject-reason"
    reject_reason_input = "rollback-reject-reason-input"
    posted_actions = "rollback-posted-actions"
    card_actions = "rollback-card-actions"
    # drift alerts: open `/rollback` preset to 'everything back to the last good release'
    drift_rollback = "rollback-drift-open"
    # deploy progress message: an approver stops the deploy (traffic goes back to what served before)
    deploy_abort = "rollback-deploy-abort"
    deploy_actions = "rollback-deploy-actions"
