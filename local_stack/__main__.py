"""``make run``: the whole platform on this machine, no AWS account and no Docker."""

from __future__ import annotations

import os
import secrets
import signal
import threading

from local_stack.stack import LocalStack


def stream_banner() -> str:
    """What the stream ingestion does in this run, and what it costs in data."""
    if os.environ.get("STREAM_ENABLED", "true").strip().lower() in ("0", "false", "no", "off"):
        return "  stream: off (STREAM_ENABLED=false)\n"
    url = os.environ.get("JETSTREAM_URL") or "wss://jetstream2.us-east.bsky.network/subscribe (public)"
    every = os.environ.get("STREAM_INTERVAL_SECONDS") or "60"
    return (
        f"  stream: every {every} s, while at least one keyword is tracked, reads every Bluesky post from {url}\n"
        "          (nothing is read while no keyword is tracked; posts alone are about 850 MB a day compressed, and\n"
        "          this client reads them uncompressed: about 2 GB a day). STREAM_ENABLED=false turns it off.\n"
    )


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    generated = not os.environ.get("ADMIN_TOKEN")
    if generated:  # the children inherit it; admin routes answer 401 without it
        os.environ["ADMIN_TOKEN"] = secrets.token_urlsafe(24)
    if os.environ.get("SCAN_INTERVAL_SECONDS") and not os.environ.get("TRACK_MINUTE_SECONDS"):
        # Demo time: the schedule fires every SCAN_INTERVAL_SECONDS and an "interval minute" lasts a second.
        os.environ["TRACK_MINUTE_SECONDS"] = "1"
    stack = LocalStack(port=port).start()
    print(f"\n  Async Social Analytics is running at {stack.base_url}/  (API under {stack.base_url}/api)")
    print(f"  moto AWS server: {stack.aws_endpoint}   Ctrl-C stops everything.")
    if generated:
        print(f"  admin token (generated for this run; set ADMIN_TOKEN to choose one): {os.environ['ADMIN_TOKEN']}")
    else:
        print("  admin token: the ADMIN_TOKEN you set")
    if os.environ.get("SCAN_INTERVAL_SECONDS"):
        print(
            f"  schedule: every {os.environ['SCAN_INTERVAL_SECONDS']} s; "
            f"one tracked-interval minute = {os.environ['TRACK_MINUTE_SECONDS']} s"
        )
    print(stream_banner(), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        print("\nstopping...", flush=True)
        stack.stop()


if __name__ == "__main__":
    main()
