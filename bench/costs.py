"""What a deployment costs a month, itemised, from us-east-1 list prices and measured usage.

`make bench` feeds it the measured figures (CPU of a cold run, log bytes and state item bytes of a
run) and prints the README's table; `python -m bench.costs` prints it with the defaults below.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

RUNS_PER_MONTH = 30 * 24 * 12  # every 5 minutes, 30 days
MEMORY_GB = 128 / 1024
CPU_STRETCH = 1769 / 128  # Lambda gives one vCPU at 1,769 MB, in proportion below it
NETWORK_SECONDS = 0.25  # assumed wait for Ultravox and three AWS calls from Lambda, per run
LAMBDA_LOG_BYTES = 400  # Lambda's own START, END and REPORT lines (with the X-Ray trace id)
SECURE_STRINGS = 2  # ultravox-api-key and slack-webhook-url: one KMS Decrypt each per read

# us-east-1 list prices (USD), as published by AWS for each service.
PRICE = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second_arm": 0.0000133334,
    "dynamodb_read_unit": 0.125 / 1e6,  # on demand, per read request unit
    "dynamodb_write_unit": 0.625 / 1e6,  # on demand, per write request unit
    "kms_key_month": 1.00,
    "kms_request": 0.03 / 1e4,
    "metric_month": 0.30,  # first 10,000 custom metrics, prorated by the hour
    "alarm_month": 0.10,  # standard resolution, one metric
    "dashboard_month": 3.00,
    "logs_ingest_gb": 0.50,
    "logs_store_gb_month": 0.03,
    "xray_trace": 5.00 / 1e6,  # recorded
    "scheduler_invocation": 1.00 / 1e6,
    "sns_email": 2.00 / 1e5,
    "sqs_request": 0.40 / 1e6,  # standard queue, per 64 KB request
}
# Always-free tiers, per account and month.
FREE = {
    "lambda_requests": 1e6,
    "lambda_gb_seconds": 400_000,
    "kms_requests": 20_000,
    "metrics": 10,
    "alarms": 10,
    "dashboards": 3,
    "logs_gb": 5,  # ingestion; storage has 5 GB too
    "xray_traces": 100_000,
    "scheduler_invocations": 14e6,
    "sns_emails": 1_000,
    "sqs_requests": 1e6,
}
# Per deployment only: the function's errors, the dead-letter queue, failed channels and the
# fan-out's heartbeat; six counts (three sent only in hours when something happened, charged
# here as if every hour). A monitor's own two metrics are opt-in (monitor-metrics), not counted.
DEPLOYMENT_ALARMS, MONITOR_ALARMS = 4, 0
DEPLOYMENT_METRICS, MONITOR_METRICS = 6, 0
TICKS_PER_MONTH = RUNS_PER_MONTH  # the fan-out runs once a tick, whatever the fleet's size
FANOUT_SECONDS = 1.0  # a fan-out's billed time at 128 MB: a cached list, SendMessageBatch, reads
# A run's SQS requests: a tenth of a SendMessageBatch, its share of the poller's receive, its
# delete; and Lambda's pollers long-polling an idle queue (5 pollers, 20 s waits) all month.
SQS_PER_RUN = 0.1 + 1 + 1
SQS_IDLE_POLLS = 5 * 30 * 24 * 3600 / 20
EMAILS_PER_MONITOR = 20  # a generous month of alerts


@dataclass(frozen=True)
class Usage:
    """What one run uses, measured by the bench (the defaults are a recent run's figures)."""

    cold_cpu_seconds: float = 0.27  # a whole cold invocation: import, clients, one tick
    log_bytes: int = 2_000  # the run's own lines, the EMF line and Lambda's START/END/REPORT
    item_bytes: int = 500  # the state item written (1 write unit per KB, rounded up)


@dataclass(frozen=True)
class Line:
    item: str
    usage: str
    list_usd: float
    free_usd: float  # after the always-free tiers


def run_seconds(usage: Usage) -> float:
    """Billed seconds of a run at 128 MB, as if every run were a cold start (billed init)."""
    return usage.cold_cpu_seconds * CPU_STRETCH + NETWORK_SECONDS


def bill(monitors: int, usage: Usage = Usage(), *, create_key: bool = True) -> list[Line]:
    """The fleet's month, itemised: one check a monitor a tick through the queue, one fan-out a
    tick for all, and only the deployment's own metrics and alarms."""
    runs = RUNS_PER_MONTH * monitors
    gb_s = runs * run_seconds(usage) * MEMORY_GB
    fanout_gb_s = TICKS_PER_MONTH * FANOUT_SECONDS * MEMORY_GB
    write_units = runs * -(-usage.item_bytes // 1024)
    # The fan-out's roll call: a small eventually consistent read a monitor a tick.
    roll_call_units = runs * 0.5
    kms = runs * SECURE_STRINGS
    sqs = runs * SQS_PER_RUN + SQS_IDLE_POLLS
    metrics = MONITOR_METRICS * monitors + DEPLOYMENT_METRICS
    alarms = MONITOR_ALARMS * monitors + DEPLOYMENT_ALARMS
    logs_gb = (runs * usage.log_bytes + TICKS_PER_MONTH * 2 * LAMBDA_LOG_BYTES) / 1e9
    emails = EMAILS_PER_MONITOR * monitors
    invocations = runs + TICKS_PER_MONTH

    def over(quantity: float, free: str) -> float:
        return max(0.0, quantity - FREE[free])

    lambda_list = (
        invocations * PRICE["lambda_request"] + (gb_s + fanout_gb_s) * PRICE["lambda_gb_second_arm"]
    )
    lambda_free = (
        over(invocations, "lambda_requests") * PRICE["lambda_request"]
        + over(gb_s + fanout_gb_s, "lambda_gb_seconds") * PRICE["lambda_gb_second_arm"]
    )
    dynamodb = (runs + roll_call_units) * PRICE["dynamodb_read_unit"] + write_units * PRICE[
        "dynamodb_write_unit"
    ]
    key = PRICE["kms_key_month"] if create_key else 0.0
    logs_per_gb = PRICE["logs_ingest_gb"] + PRICE["logs_store_gb_month"]
    return [
        Line(
            "Lambda (arm64, 128 MB)",
            f"{runs:,} checks ({run_seconds(usage):.1f} s each), {TICKS_PER_MONTH:,} fan-outs",
            lambda_list,
            lambda_free,
        ),
        Line(
            "SQS (fleet queue)",
            f"{sqs:,.0f} requests (send, receive, delete; idle polling)",
            sqs * PRICE["sqs_request"],
            over(sqs, "sqs_requests") * PRICE["sqs_request"],
        ),
        Line(
            "DynamoDB on demand",
            f"{runs:,} strong reads, {roll_call_units:,.0f} roll-call units, "
            f"{write_units:,} write units",
            dynamodb,
            dynamodb,  # on-demand requests have no free tier
        ),
        Line("SSM Parameter Store", "standard parameters and throughput", 0.0, 0.0),
        Line(
            "KMS",
            f"{kms:,} SecureString decrypts" + (", 1 key for the topic" if create_key else ""),
            kms * PRICE["kms_request"] + key,
            over(kms, "kms_requests") * PRICE["kms_request"] + key,
        ),
        Line(
            "SNS",
            f"{emails:,} emails",
            emails * PRICE["sns_email"],
            over(emails, "sns_emails") * PRICE["sns_email"],
        ),
        Line(
            "CloudWatch metrics",
            f"{metrics} custom metrics (deployment-wide)",
            metrics * PRICE["metric_month"],
            over(metrics, "metrics") * PRICE["metric_month"],
        ),
        Line(
            "CloudWatch alarms",
            f"{alarms} alarms (deployment-wide)",
            alarms * PRICE["alarm_month"],
            over(alarms, "alarms") * PRICE["alarm_month"],
        ),
        Line(
            "CloudWatch dashboard",
            "1",
            PRICE["dashboard_month"],
            over(1, "dashboards") * PRICE["dashboard_month"],
        ),
        Line(
            "CloudWatch Logs",
            f"{logs_gb * 1000:,.0f} MB ingested, kept 30 days",
            logs_gb * logs_per_gb,
            over(logs_gb, "logs_gb") * logs_per_gb,
        ),
        Line(
            "X-Ray",
            f"{invocations:,} traces",
            invocations * PRICE["xray_trace"],
            over(invocations, "xray_traces") * PRICE["xray_trace"],
        ),
        Line(
            "EventBridge Scheduler",
            f"{TICKS_PER_MONTH:,} invocations (one schedule)",
            TICKS_PER_MONTH * PRICE["scheduler_invocation"],
            over(TICKS_PER_MONTH, "scheduler_invocations") * PRICE["scheduler_invocation"],
        ),
    ]


def table(monitors: int, usage: Usage = Usage()) -> list[str]:
    """List prices only: without free tiers, as the fleet's goal is stated."""
    lines = bill(monitors, usage)
    total = sum(x.list_usd for x in lines)
    rows = [
        f"| {monitors:,} monitor{'s' if monitors > 1 else ''} | usage a month | list price "
        "| per monitor |",
        "| --- | --- | ---: | ---: |",
    ]
    rows += [
        f"| {x.item} | {x.usage} | ${x.list_usd:.2f} | ${x.list_usd / monitors:.4f} |"
        for x in lines
    ]
    rows.append(f"| **total** | | **${total:.2f}** | **${total / monitors:.3f}** |")
    return rows


def per_monitor(monitors: int, usage: Usage = Usage(), *, free: bool = False) -> float:
    lines = bill(monitors, usage)
    return sum(x.free_usd if free else x.list_usd for x in lines) / monitors


def render(usage: Usage = Usage()) -> list[str]:
    out = [
        "Costs a month, us-east-1 list prices; usage from this run: "
        f"cold run {usage.cold_cpu_seconds * 1000:.0f} ms CPU (x{CPU_STRETCH:.1f} at 128 MB, "
        f"+{NETWORK_SECONDS} s network assumed, every run billed as a cold start), "
        f"{usage.log_bytes:,} log bytes and a {usage.item_bytes:,}-byte state item a run",
    ]
    for monitors in (10, 100, 1000):
        out += ["", *table(monitors, usage)]
    out += [
        "",
        f"1,000 monitors: ${per_monitor(1000, usage):.3f} a monitor a month, list prices "
        "without free tiers (goal: under $0.25)",
    ]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold-cpu-ms", type=float, default=Usage.cold_cpu_seconds * 1000)
    args = parser.parse_args(argv)
    print("\n".join(render(Usage(cold_cpu_seconds=args.cold_cpu_ms / 1000))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
