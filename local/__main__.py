"""python -m local: run template.yaml on this machine (what `make dev` starts).

Ports: SOUNDLINK_API_PORT (3000), SOUNDLINK_WEB_PORT (8080),
SOUNDLINK_MOTO_PORT (5000), SOUNDLINK_SPOTIFY_PORT (4000). Real Spotify:
set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET (the emulator is not started).
SOUNDLINK_LOG_LEVEL=DEBUG shows routes, skipped resources and metrics.
SOUNDLINK_DEMO=0 starts without the demo (local/demo.py: a demo owner and
campaign, with simulated listeners every 20-30 s); it needs the emulator.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from local.cfn import TEMPLATE_PATH
from local.cloud import LocalCloud, Ports
from local.demo import Demo, start_demo
from local.logs import configure_console

EXAMPLE_PASSWORD = "Local-owner-2026"  # noqa: S105 - an example printed for people, satisfies the pool policy


def banner(cloud: LocalCloud, demo: Demo | None = None) -> str:
    api, python = cloud.api_url, f"{Path(sys.executable).parent.name}/{Path(sys.executable).name}"
    if Path(sys.executable).parent.parent.name == ".venv":
        python = ".venv/bin/python"
    demo_text = f"{demo.banner()}\n" if demo is not None else ""
    # local.owner finds the cloud through the dashboard's config.json (port 8080 unless told).
    web_url = "" if cloud.web_url.rstrip("/") == "http://127.0.0.1:8080" else f" --web-url {cloud.web_url}"
    flags = ""
    if cloud.spotify_url and cloud.spotify_url.rstrip("/") != "http://127.0.0.1:4000":
        flags = f" --spotify-url {cloud.spotify_url}"
    flags += web_url
    demo_playlist = getattr(demo, "playlist", None) if demo is not None else None
    playlist_id = demo_playlist.get("id", "<id>") if isinstance(demo_playlist, dict) else "<id>"
    spotify = (
        f"  Spotify    {cloud.spotify_url:<28} emulator; app client id {cloud.spotify_client_id}\n"
        if cloud.spotify_url
        else "  Spotify    the real Spotify (SPOTIFY_CLIENT_ID is set)\n"
    )
    return f"""
Soundlink is running locally: {cloud.template_path.name} on moto, no AWS, no Docker.

  API        {api:<28} try: curl {api}/health
  Dashboard  {cloud.web_url:<28} its config: {cloud.web_url}/config.json
  moto       {cloud.moto_url:<28} e.g. AWS_ENDPOINT_URL={cloud.moto_url} aws dynamodb list-tables
{spotify}
Next, in another terminal:
  1. Create an owner in the local user pool and keep their ID token:
       TOKEN=$({python} -m local.owner create --email owner@example.com --password '{EXAMPLE_PASSWORD}'{web_url})
  2. Call an owner route with it (without it: 401):
       curl -H "Authorization: Bearer $TOKEN" {api}/campaigns
  3. Fire every schedule, or deliver queued messages, now:
       curl -X POST -H "X-Soundlink-Local: 1" {api}/_local/schedules/run
       curl -X POST -H "X-Soundlink-Local: 1" {api}/_local/queues/drain
  4. Be a listener: open a tracker link, connect as an emulator user (open.spotify.com
     links end on a local stand-in page), then give that user plays and credit them now:
       {python} -m local.plays --listener 'Your Name' --tracks playlist:{playlist_id} --minutes-ago 5 --now{flags}

{demo_text}Changes under functions/ apply on the next request; template.yaml changes need a restart.
Data lives in memory: it is gone when this stops. Ctrl-C stops everything (twice: at once).
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--template", type=Path, default=TEMPLATE_PATH, help="the SAM template (template.yaml)")
    spotify = parser.add_mutually_exclusive_group()
    spotify.add_argument(
        "--spotify-emulator",
        dest="spotify",
        action="store_const",
        const=True,
        default=None,
        help="start the Spotify emulator even if SPOTIFY_CLIENT_ID/SPOTIFY_CLIENT_SECRET are set",
    )
    spotify.add_argument(
        "--no-spotify-emulator", dest="spotify", action="store_const", const=False, help="do not start it"
    )
    parser.add_argument("--debug", action="store_true", help="debug logs (also SOUNDLINK_LOG_LEVEL=DEBUG)")
    args = parser.parse_args(argv)

    level = logging.DEBUG if args.debug else getattr(logging, os.environ.get("SOUNDLINK_LOG_LEVEL", "INFO").upper())
    configure_console(level if isinstance(level, int) else logging.INFO)
    try:
        ports = Ports.from_env()
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2

    with_demo = os.environ.get("SOUNDLINK_DEMO", "1").strip().lower() not in ("0", "false", "no", "off")
    cloud = LocalCloud(args.template, ports=ports, spotify=args.spotify, background=True, open_spotify_stand_in=True)
    try:
        cloud.start()
        demo = start_demo(cloud) if with_demo else None  # its first batch is in before the banner
    except KeyboardInterrupt:
        return 130
    except OSError as error:
        print(
            f"\nThe local cloud could not start: {error}.\n"
            "Is another one running? Stop it, or choose other ports with SOUNDLINK_API_PORT, "
            "SOUNDLINK_WEB_PORT, SOUNDLINK_MOTO_PORT and SOUNDLINK_SPOTIFY_PORT.",
            file=sys.stderr,
        )
        return 1
    except Exception as error:
        logging.getLogger("local.cloud").debug("start failed", exc_info=True)
        print(f"\nThe local cloud could not start: {error}", file=sys.stderr)
        return 1

    done = threading.Event()

    def on_signal(*_: object) -> None:
        if not done.is_set():
            done.set()
            return
        # A second Ctrl-C while stopping: kill the workers and leave now
        # (moto ends by itself when its standard input closes with us).
        print("\nForced exit.", file=sys.stderr, flush=True)
        if cloud.functions is not None:
            cloud.functions.kill_now()
        os._exit(130)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    print(banner(cloud, demo), flush=True)
    try:
        while not done.wait(1.0):
            pass
    finally:
        print("\nStopping the local cloud…", flush=True)
        if demo is not None:
            demo.stop(timeout=5)
        cloud.stop()
        print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
