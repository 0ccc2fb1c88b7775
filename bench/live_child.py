"""One cold receiver: a fresh interpreter imports the webhook handler, builds it, answers once."""

from __future__ import annotations

import json
import sys
import time


class _Context:
    """The slice of Lambda's context Powertools reads (the demo's own would import moto)."""

    function_name = "UltravoxWebhook"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:UltravoxWebhook"
    aws_request_id = "bench-cold"


def main() -> None:
    request = json.loads(sys.stdin.read())
    wall, cpu = time.perf_counter(), time.process_time()
    from ceilingwatch import webhook

    from infra.demo.timeline import Context

    answer = webhook.lambda_handler(request, Context(function_name="UltravoxWebhook"))
    print(
        json.dumps(
            {
                "status": answer["statusCode"],
                "wall_ms": (time.perf_counter() - wall) * 1000,
                "cpu_ms": (time.process_time() - cpu) * 1000,
            }
        )
    )


if __name__ == "__main__":
    main()
