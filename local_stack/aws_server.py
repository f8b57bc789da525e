"""moto's AWS server for the separate-process mode, behind the guard (``local_stack.aws_guard``).

Run as a child process: ``python -m local_stack.aws_server PORT`` with ``LOCAL_AWS_SECRET`` and
``AWS_SECRET_ACCESS_KEY`` in the environment. Prints ``READY <port>`` once listening on 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import sys

from local_stack.aws_guard import Guard, moto_app, serve


def main() -> None:
    port = int(sys.argv[1])
    guard = Guard(moto_app(), os.environ["LOCAL_AWS_SECRET"], os.environ.get("AWS_SECRET_ACCESS_KEY"))
    server = serve(guard, port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    print(f"READY {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
