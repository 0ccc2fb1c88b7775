"""Runs in a fresh interpreter: a Function URL handler answering requests, each timed.

Only the standard library at module level. `interactions` or `webhook`, then the requests as
JSON (a list): the first answer is the cold one (import, build the clients, answer), the
rest are warm. Each answer's CPU and wall, and for the first what importing the entry module
took of it.
"""

from __future__ import annotations

import importlib
import json
import runpy
import sys
from pathlib import Path

# child.py beside this script, run by path: nothing else joins sys.path.
child = runpy.run_path(str(Path(__file__).with_name("child.py")), run_name="child")
MARKER, Clock, Context = child["MARKER"], child["Clock"], child["Context"]
ENTRY = {"interactions": "ceilingwatch.interactions", "webhook": "ceilingwatch.webhook"}


def main() -> None:
    kind, requests = sys.argv[1], json.loads(sys.argv[2])
    clock = Clock()
    module = importlib.import_module(ENTRY[kind])
    imported = clock.figures()
    answers = []
    for request in requests:
        context = Context()
        context.function_name = f"ceilingwatch-{kind}"
        answer = module.lambda_handler(request, context)
        answers.append(clock.figures() | {"status": answer["statusCode"]})
        clock = Clock()
    figures = {"import": imported, "answers": answers, "rss_mb": child["max_rss_mb"]()}
    print(MARKER + json.dumps(figures))


if __name__ == "__main__":
    main()
