"""Slack presentation: ids and pure Block Kit builders (slack_sdk models, validated at build time)."""
