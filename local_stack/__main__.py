"""``make run``: the whole platform on this machine, no AWS account and no Docker, in one process.

State lives in ``LOCAL_DATA_DIR`` (default ``.local-data/``): snapshots of the tables, queued jobs and import objects,
and the generated admin token. ``make reset`` deletes it. ``LOCAL_STACK_MODE=processes`` runs one process per
function container instead (no durable state).
"""

from __future__ import annotations

import os
import secrets
import signal
import threading
from pathlib import Path

from local_stack.template import REPO_ROOT

TOKEN_FILE = "admin-token"  # noqa: S105 - a file name


def admin_token(data_dir: Path) -> tuple[str, str]:
    """(token, where it came from): the environment's, else the one kept in the data folder, else a new one kept."""
    if os.environ.get("ADMIN_TOKEN"):
        return os.environ["ADMIN_TOKEN"], "the ADMIN_TOKEN you set"
    path = data_dir / TOKEN_FILE
    if path.exists():
        token = path.read_text().strip()
        if token:
            return token, f"kept in {path}"
    token = secrets.token_urlsafe(24)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(token + "\n")
    return token, f"generated and kept in {path}"


def stream_banner() -> str:
    """What the stream ingestion does in this run, and what it costs in data."""
    if os.environ.get("STREAM_ENABLED", "true").strip().lower() in ("0", "false", "no", "off"):
        return "  stream: off (STREAM_ENABLED=false)\n"
    url = os.environ.get("JETSTREAM_URL") or "wss://jetstream2.us-east.bsky.network/subscribe (public)"
    every = os.environ.get("STREAM_INTERVAL_SECONDS") or "60"
    archiving = archive_days() > 0
    when = "all the time (the archive is on)" if archiving else "while at least one keyword is tracked"
    return (
        f"  stream: every {every} s, {when}, reads every Bluesky post from {url}\n"
        "          (zstd frames with Jetstream's dictionary: about 1 GB a day of network, 2 GB without\n"
        "          STREAM_COMPRESS). STREAM_ENABLED=false turns it off.\n" + archive_banner()
    )


def archive_days() -> int:
    try:
        return max(int(os.environ.get("ARCHIVE_DAYS") or 0), 0)
    except ValueError:
        return 0


def archive_banner() -> str:
    """What the archive keeps and what it costs here (off unless ARCHIVE_DAYS is set)."""
    days = archive_days()
    if days == 0:
        return (
            "  archive: off. ARCHIVE_DAYS=7 keeps every Bluesky post 7 days (about 2.2 million a day) for any query,\n"
            "           keyless: about 100 bytes a post on disk, 220 MB a day, 1.5 GB at 7 days, and the stream\n"
            "           then runs whether or not a keyword is tracked.\n"
        )
    where = os.environ.get("ARCHIVE_DIR") or "LOCAL_DATA_DIR/archive"
    return (
        f"  archive: on, {days} days: every Bluesky post (text, langs, tags, links, mentions, reply/quote flags)\n"
        f"           as hourly zstd Parquet in {where}: about 220 MB a day, {days * 0.22:.1f} GB when full;\n"
        "           deletes applied, older hours removed; the source bluesky_archive answers any query from it.\n"
    )


def main() -> None:
    from local_stack.persistence import prepare_data_dir

    port = int(os.environ.get("PORT", "8000"))
    data_dir = prepare_data_dir(Path(os.environ.get("LOCAL_DATA_DIR") or REPO_ROOT / ".local-data"))
    token, token_source = admin_token(data_dir)
    os.environ.setdefault("ARCHIVE_DIR", str(data_dir / "archive"))  # durable like the rest (used when ARCHIVE_DAYS)
    os.environ["ADMIN_TOKEN"] = token  # the functions read it; admin routes answer 401 without it
    if os.environ.get("SCAN_INTERVAL_SECONDS") and not os.environ.get("TRACK_MINUTE_SECONDS"):
        # Demo time: the schedule fires every SCAN_INTERVAL_SECONDS and an "interval minute" lasts a second.
        os.environ["TRACK_MINUTE_SECONDS"] = "1"
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())

    if os.environ.get("LOCAL_STACK_MODE") == "processes":
        from local_stack.stack import LocalStack

        stack = LocalStack(port=port, mode="processes").start()
        restored, data_line = None, "data: in memory only (LOCAL_STACK_MODE=processes)"
    else:
        from local_stack.embedded import EmbeddedStack

        stack = EmbeddedStack(port=port, data_dir=data_dir).start()
        restored = stack.restored
        data_line = f"data: {data_dir} (make reset clears it)"
    from local_stack.embedded import sources_line

    lines = [
        f"Async Social Analytics: {stack.base_url}/  (API {stack.base_url}/api)   Ctrl-C stops",
        f"admin token: {token}  ({token_source})",
        data_line
        + (
            f"; restored {restored['items']} items, {restored['messages']} queued messages, "
            f"{restored['objects']} objects in {restored['seconds']:.2f} s"
            if restored
            else ""
        ),
        sources_line(),
    ]
    if os.environ.get("SCAN_INTERVAL_SECONDS"):
        lines.append(
            f"schedule: every {os.environ['SCAN_INTERVAL_SECONDS']} s; "
            f"one tracked-interval minute = {os.environ['TRACK_MINUTE_SECONDS']} s"
        )
    print("\n" + "\n".join(f"  {line}" for line in lines), flush=True)
    print(stream_banner(), flush=True)
    stopped.wait()
    print("stopping (saving the data)...", flush=True)
    stack.stop()


if __name__ == "__main__":
    main()
