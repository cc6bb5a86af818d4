"""The sandbox: the whole bot on loopback behind a Slack-like page (``rollback-bot sandbox``).

* ``demo``: the people, the channel, the prompt registry seed and the bot configuration of the demo estate;
* ``stack``: the Slack fake, the Azure emulator, the prompt databases and the real bot, started together;
* ``driver``: the Slack client: signed slash commands, block actions and view submissions, view responses;
* ``estate``: the side panel's view of the emulated estate, and the "break something" drills;
* ``slack_state``: the channel kept across restarts;
* ``api`` and ``web``: the page's JSON API and HTTP server (static files in ``static/``);
* ``app``: ``Sandbox``, the state folder and reset.

It composes emulators and the composition root, so it sits at the top of the layers, next to ``bot.cli``;
the running bot never imports it.
"""
