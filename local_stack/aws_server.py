"""moto's AWS server for the separate-process mode, behind the guard (``local_stack.aws_guard``).

Run as a child process: ``python -m local_stack.aws_server PORT`` with ``LOCAL_AWS_SECRET`` and
``AWS_SECRET_ACCESS_KEY`` in the environment. Prints ``READY <port>`` once listening on 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import sys

from social_analytics.settings import DEFAULT_IMPORT_MAX_BYTES

from local_stack.aws_guard import Guard, moto_app, serve


def main() -> None:
    port = int(sys.argv[1])
    max_bytes = os.environ.get("IMPORT_MAX_BYTES", "")
    guard = Guard(
        moto_app(),
        os.environ["LOCAL_AWS_SECRET"],
        os.environ.get("AWS_SECRET_ACCESS_KEY"),
        upload_bucket=os.environ.get("LOCAL_UPLOAD_BUCKET") or None,
        max_upload_bytes=int(max_bytes) if max_bytes.isdigit() else DEFAULT_IMPORT_MAX_BYTES,
    )
    server = serve(guard, port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    print(f"READY {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
