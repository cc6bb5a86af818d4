"""``python -m sandbox.emulators.azure``: run the emulator until Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sandbox.emulators.azure import DEMO_ESTATE_PATH, AzureEmulator
from sandbox.emulators.process import wait_until_stopped


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.emulators.azure", description=__doc__)
    parser.add_argument(
        "--estate",
        type=Path,
        default=None,
        help=f"estate YAML (default: state.json in --state-dir if any, else {DEMO_ESTATE_PATH.name})",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument(
        "--state-dir", type=Path, default=None, help="keep the CA and state.json here, so both survive restarts"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with AzureEmulator(args.estate, host=args.host, port=args.port, state_dir=args.state_dir) as emu:
        print(f"Azure emulator (ARM + AI Search) at {emu.url}", flush=True)
        print(f"CA bundle: {emu.ca_path}", flush=True)
        print(f"Bearer token / search api-key: {emu.token}", flush=True)
        print("Control: GET /_emulator/state, POST /_emulator/faults; Ctrl-C to stop.", flush=True)
        wait_until_stopped()
    return 0


if __name__ == "__main__":
    sys.exit(main())
