"""python -m local.spotify_emulator --port 4000 [--host 127.0.0.1] [--expires-in 3600] [--rotate-refresh-tokens]"""

from __future__ import annotations

import argparse
import os
import signal
import threading

from .server import start_emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.spotify_emulator", description="Local Spotify accounts + Web API emulator"
    )
    parser.add_argument("--host", default=os.environ.get("SPOTIFY_EMULATOR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("SPOTIFY_EMULATOR_PORT", "4000")))
    parser.add_argument("--expires-in", type=int, default=3600, help="access token lifetime in seconds")
    parser.add_argument(
        "--rotate-refresh-tokens",
        action="store_true",
        help="return a new refresh_token on every refresh (the old one stops working)",
    )
    parser.add_argument("--rate-limit", type=int, default=180, help="requests per app per window")
    parser.add_argument("--rate-window", type=int, default=30, help="rate-limit window in seconds")
    parser.add_argument("--catalogue-seed", default="soundlink")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)

    handle = start_emulator(
        host=args.host,
        port=args.port,
        expires_in=args.expires_in,
        rotate_refresh_tokens=args.rotate_refresh_tokens,
        rate_limit=args.rate_limit,
        rate_window_seconds=args.rate_window,
        catalogue_seed=args.catalogue_seed,
        quiet=args.quiet,
    )
    print(f"Spotify emulator listening on {handle.url}", flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    handle.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
