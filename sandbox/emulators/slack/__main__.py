"""``python -m sandbox.emulators.slack``: run the Slack Web API fake until Ctrl-C (or SIGTERM).

Point the bot at it with ``SLACK_API_URL`` (printed) and ``SLACK_BOT_TOKEN`` (printed); the container
checks in CI do.
"""

from __future__ import annotations

import argparse
import sys

from sandbox.emulators.process import wait_until_stopped
from sandbox.emulators.slack import SlackFake


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.emulators.slack", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with SlackFake(host=args.host, port=args.port) as fake:
        print(f"SLACK_API_URL={fake.api_url}", flush=True)
        print(f"SLACK_BOT_TOKEN={fake.bot_token}", flush=True)
        wait_until_stopped()
    return 0


if __name__ == "__main__":
    sys.exit(main())
