"""The sandbox: the whole bot on loopback behind a Slack-like page (``rollback-bot sandbox``)."""
