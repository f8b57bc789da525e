"""``make run``: the whole platform on this machine, no AWS account and no Docker."""

from __future__ import annotations

import os
import signal
import threading

from local_stack.stack import LocalStack


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    stack = LocalStack(port=port).start()
    print(f"\n  Async Social Analytics is running at {stack.base_url}/  (API under {stack.base_url}/api)")
    print(f"  moto AWS server: {stack.aws_endpoint}   Ctrl-C stops everything.\n", flush=True)
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
