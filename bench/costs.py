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
}
# Per deployment: the function's errors, the dead-letter queue and failed channels; per
# monitor: its heartbeat. Per monitor: PeakCalls, UtilizationPercent; per deployment: three
# counts sent only in hours when something happened (charged here as if every hour).
DEPLOYMENT_ALARMS, MONITOR_ALARMS = 3, 1
DEPLOYMENT_METRICS, MONITOR_METRICS = 3, 2
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
    runs = RUNS_PER_MONTH * monitors
    gb_s = runs * run_seconds(usage) * MEMORY_GB
    write_units = runs * -(-usage.item_bytes // 1024)
    kms = runs * SECURE_STRINGS
    metrics = MONITOR_METRICS * monitors + DEPLOYMENT_METRICS
    alarms = MONITOR_ALARMS * monitors + DEPLOYMENT_ALARMS
    logs_gb = runs * usage.log_bytes / 1e9
    emails = EMAILS_PER_MONITOR * monitors

    def over(quantity: float, free: str) -> float:
        return max(0.0, quantity - FREE[free])

    lambda_list = runs * PRICE["lambda_request"] + gb_s * PRICE["lambda_gb_second_arm"]
    lambda_free = (
        over(runs, "lambda_requests") * PRICE["lambda_request"]
        + over(gb_s, "lambda_gb_seconds") * PRICE["lambda_gb_second_arm"]
    )
    dynamodb = runs * PRICE["dynamodb_read_unit"] + write_units * PRICE["dynamodb_write_unit"]
    key = PRICE["kms_key_month"] if create_key else 0.0
    logs_per_gb = PRICE["logs_ingest_gb"] + PRICE["logs_store_gb_month"]
    return [
        Line(
            "Lambda (arm64, 128 MB)",
            f"{runs:,} runs, {gb_s:,.0f} GB-s ({run_seconds(usage):.1f} s a run)",
            lambda_list,
            lambda_free,
        ),
        Line(
            "DynamoDB on demand",
            f"{runs:,} strong reads, {write_units:,} write units",
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
            f"{metrics} custom metrics",
            metrics * PRICE["metric_month"],
            over(metrics, "metrics") * PRICE["metric_month"],
        ),
        Line(
            "CloudWatch alarms",
            f"{alarms} alarms",
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
            f"{runs:,} traces",
            runs * PRICE["xray_trace"],
            over(runs, "xray_traces") * PRICE["xray_trace"],
        ),
        Line(
            "EventBridge Scheduler",
            f"{runs:,} invocations",
            runs * PRICE["scheduler_invocation"],
            over(runs, "scheduler_invocations") * PRICE["scheduler_invocation"],
        ),
    ]


def table(monitors: int, usage: Usage = Usage()) -> list[str]:
    lines = bill(monitors, usage)
    total, total_free = sum(x.list_usd for x in lines), sum(x.free_usd for x in lines)
    rows = [
        f"| {monitors} monitor{'s' if monitors > 1 else ''} | usage a month | list price "
        "| after free tiers |",
        "| --- | --- | ---: | ---: |",
    ]
    rows += [f"| {x.item} | {x.usage} | ${x.list_usd:.2f} | ${x.free_usd:.2f} |" for x in lines]
    rows.append(f"| **total** | | **${total:.2f}** | **${total_free:.2f}** |")
    rows.append(
        f"| **per monitor** | | **${total / monitors:.2f}** | **${total_free / monitors:.2f}** |"
    )
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
    for monitors in (1, 10, 100):
        out += ["", *table(monitors, usage)]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold-cpu-ms", type=float, default=Usage.cold_cpu_seconds * 1000)
    args = parser.parse_args(argv)
    print("\n".join(render(Usage(cold_cpu_seconds=args.cold_cpu_ms / 1000))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
