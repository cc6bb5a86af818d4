"""Local emulators of Slack and Azure, for tests, demos and the sandbox; never used by the running bot."""
