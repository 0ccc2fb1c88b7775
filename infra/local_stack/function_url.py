"""What moto cannot run: a Function URL serving a real handler, and Lambda's Invoke on loopback."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from infra.standins.loopback import QuietServer, ServerService

Handler = Callable[[dict[str, Any]], Any]
_INVOKE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
_TEXT = ("text/", "application/json", "application/x-www-form-urlencoded")


def function_url_event(
    method: str, path: str, headers: dict[str, str], body: bytes
) -> dict[str, Any]:
    """The payload Lambda hands a function behind its URL (format 2.0): lower-cased headers,
    the body as text, or base64 when its content type is not text."""
    lowered = {name.lower(): value for name, value in headers.items()}
    text = lowered.get("content-type", "").startswith(_TEXT)
    return {
        "version": "2.0",
        "rawPath": path.split("?", 1)[0],
        "rawQueryString": path.split("?", 1)[1] if "?" in path else "",
        "headers": lowered,
        "requestContext": {"http": {"method": method, "path": path.split("?", 1)[0]}},
        "body": body.decode() if text else base64.b64encode(body).decode(),
        "isBase64Encoded": not text,
    }


class FunctionUrl(ServerService):
    """A Function URL on loopback: each request runs `handler` with Lambda's event, in-process."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler

    def make_server(self, address: tuple[str, int]) -> ThreadingHTTPServer:
        run = self.handler

        class Request(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                event = function_url_event("POST", self.path, dict(self.headers), body)
                answer = run(event)
                payload = str(answer.get("body", "")).encode()
                self.send_response(int(answer.get("statusCode", 200)))
                for name, value in (answer.get("headers") or {}).items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        return QuietServer(address, Request)


class LambdaInvoke(ServerService):
    """Lambda's Invoke API for the functions named here (AWS_ENDPOINT_URL_LAMBDA points at it):
    InvocationType=Event answers 202 and runs the handler in a thread, as Lambda queues it."""

    def __init__(self, functions: dict[str, Handler]) -> None:
        super().__init__()
        self.functions = functions
        self.invocations: list[tuple[str, dict[str, Any]]] = []
        self.results: list[Any] = []
        self._running: list[threading.Thread] = []

    def wait(self, timeout: float = 30) -> None:
        """Until every asynchronous invocation so far has ended."""
        for thread in list(self._running):
            thread.join(timeout)

    def make_server(self, address: tuple[str, int]) -> ThreadingHTTPServer:
        service = self

        class Request(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                match = _INVOKE.match(self.path.split("?", 1)[0])
                name = match.group("name") if match else ""
                run = service.functions.get(name.split(":")[-1])
                payload = json.loads(self.rfile.read(int(self.headers["content-length"])) or b"{}")
                if run is None:
                    self._answer(404, {"Type": "User", "message": "Function not found"})
                    return
                service.invocations.append((name, payload))
                if self.headers.get("x-amz-invocation-type") == "Event":
                    thread = threading.Thread(target=service._run, args=(run, payload))
                    service._running.append(thread)
                    thread.start()
                    self._answer(202, None)
                    return
                self._answer(200, service._run(run, payload))

            def _answer(self, status: int, body: Any) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return QuietServer(address, Request)

    def _run(self, run: Handler, payload: dict[str, Any]) -> Any:
        try:
            result = run(payload)
        except Exception as error:  # an async invocation's failure is Lambda's to keep
            result = {"errorType": type(error).__name__}
        self.results.append(result)
        return result
