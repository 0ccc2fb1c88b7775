"""What the local stand-ins share: a quiet threaded HTTP server on loopback, and `with`."""

from __future__ import annotations

import sys
import threading
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (timeouts, our own resets) are part of the game, not a traceback.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def serve_in_background(server: ThreadingHTTPServer) -> None:
    # A short poll interval keeps stop() quick: test fixtures start a server per test.
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()


class LoopbackService:
    """A stand-in that starts and stops, usable as `with Service() as service:`."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
