"""`ceilingwatch live`: the Ultravox webhook that feeds a monitor's live count, made or removed."""

from __future__ import annotations

import argparse
import functools
import os
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ceilingwatch.adapters.live_calls import LiveCallStore
from ceilingwatch.adapters.parameters import ParameterStore
from ceilingwatch.adapters.ultravox import API_KEY, WEBHOOK_SECRET
from ceilingwatch.adapters.ultravox.webhooks import Webhook, Webhooks
from ceilingwatch.bootstrap import PARAMETERS
from ceilingwatch.cli import aws
from ceilingwatch.cli.common import (
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    EXIT_OK,
    TIME_BUDGET_SECONDS,
    CliError,
    check_monitor_name,
    ultravox,
    ultravox_key,
)
from ceilingwatch.cli.flags import add_aws_flags
from ceilingwatch.common.errors import MonitorError, aws_error_code
from ceilingwatch.domain.config import MonitorConfig, Secret, parameter_path

URL_OUTPUT = "UltravoxWebhookUrl"
TABLE_OUTPUT = "LiveCallsTableName"
TABLE_ENV = "LIVE_CALLS_TABLE_NAME"
DEFAULT_STACK = "ceilingwatch"
MAX_URL = 200  # Ultravox refuses a longer webhook URL
SECRET_BYTES = 32  # 43 characters of URL-safe base64: well under Ultravox's 120


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "live",
        help="turn the live feed (Ultravox's call webhooks) on or off for a monitor",
        description="Make or remove the Ultravox webhook that tells the monitor of each call "
        "as it starts, joins and ends, with the secret it is signed with stored as a "
        "SecureString. Run it again at any time: it never makes a second webhook.",
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    enable = actions.add_parser(
        "enable",
        help="make (or reuse) the webhook and store its secret",
        description="Make the webhook at <url>/<monitor> (or reuse the one there), with a new "
        "secret stored as ultravox-webhook-secret; the secret is never printed.",
    )
    enable.add_argument(
        "--rotate",
        action="store_true",
        help="sign with a new secret, keeping the old one beside it until the next enable",
    )
    disable = actions.add_parser(
        "disable", help="delete the webhook and the stored secret", description=__doc__
    )
    for action, run in ((enable, run_enable), (disable, run_disable)):
        add_aws_flags(action)
        action.add_argument(
            "--url", help=f"the receiver's URL (default: the stack's {URL_OUTPUT} output)"
        )
        action.add_argument(
            "--stack-name",
            default=DEFAULT_STACK,
            help=f"read {URL_OUTPUT} from this stack (default {DEFAULT_STACK})",
        )
        action.add_argument(
            "--base-url",
            help=f"Ultravox API base URL (default: ${BASE_URL_ENV} or {DEFAULT_BASE_URL})",
        )
        action.set_defaults(run=run)


def run_enable(args: argparse.Namespace) -> int:
    hooks, config, url = _setup(args)
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    ours = config.secret(WEBHOOK_SECRET.name)
    found = [h for h in hooks.list(deadline=deadline) if h.url == url]
    if not found:
        secret = ours or _new_secret()
        if ours is None:
            _store(args, secret)  # first: a webhook whose secret we lost would be no use
        hook = hooks.create(url, secret, deadline=deadline)
        print(f"made webhook {hook.webhook_id} for {url}")
    else:
        hook = found[0]
        if len(found) > 1:
            print(f"note: {len(found)} webhooks point at {url}; using {hook.webhook_id} only")
        hook = _rekey(args, hooks, hook, ours, deadline)
    print(_describe(hook))
    return EXIT_OK


def _rekey(
    args: argparse.Namespace, hooks: Webhooks, hook: Webhook, ours: Secret | None, deadline: float
) -> Webhook:
    """A new secret where ours is missing or a rotation is asked; else the old one dropped
    once a rotation's time has passed (the next enable)."""
    if ours is None:
        secret = _new_secret()
        _store(args, secret)
        print(f"reused webhook {hook.webhook_id}: it had no secret stored here, so a new one")
        return hooks.set_secrets(hook.webhook_id, [secret], deadline=deadline)
    if args.rotate:
        secret = _new_secret()
        # Ultravox signs with both first, so whichever the receiver holds still matches.
        hook = hooks.set_secrets(hook.webhook_id, [ours, secret], deadline=deadline)
        _store(args, secret)
        print(
            f"rotating webhook {hook.webhook_id}: signed with the old and the new secret; "
            f"run `ceilingwatch live enable --monitor {args.monitor}` again in 15 minutes or "
            "more to drop the old one"
        )
        return hook
    if hook.secret_count is not None and hook.secret_count > 1:
        print(f"webhook {hook.webhook_id}: rotation finished, the old secret dropped")
        return hooks.set_secrets(hook.webhook_id, [ours], deadline=deadline)
    print(f"webhook {hook.webhook_id} already feeds {args.monitor}: nothing to change")
    return hook


def run_disable(args: argparse.Namespace) -> int:
    hooks, _, url = _setup(args)
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    found = [h for h in hooks.list(deadline=deadline) if h.url == url]
    for hook in found:
        hooks.delete(hook.webhook_id, deadline=deadline)
        print(f"deleted webhook {hook.webhook_id} ({url})")
    if not found:
        print(f"no webhook points at {url}")
    name = parameter_path(args.prefix, args.monitor) + WEBHOOK_SECRET.name
    ssm = aws.client("ssm", args.region)
    try:
        ssm.delete_parameter(Name=name)
        print(f"deleted {name}")
    except ssm.exceptions.ParameterNotFound:
        print(f"{name} was not there")
    except aws.AWS_ERRORS as error:
        raise CliError(
            f"could not delete {name} ({aws_error_code(error)})",
            "you need ssm:DeleteParameter on it",
        ) from None
    print("the live feed is off: the scheduled runs go on as before")
    return EXIT_OK


def _setup(args: argparse.Namespace) -> tuple[Webhooks, MonitorConfig, str]:
    """The monitor's Ultravox (its own key from its parameters) and the webhook's URL."""
    check_monitor_name(args.monitor)
    url = f"{receiver_url(args).rstrip('/')}/{args.monitor}"
    if len(url) > MAX_URL:
        raise CliError(f"the webhook URL is {len(url)} characters", f"Ultravox takes {MAX_URL}")
    aws.require_credentials(args.region)
    store = ParameterStore(
        aws.client("ssm", args.region), args.prefix, max_age_seconds=0, table=PARAMETERS
    )
    config = store.load(args.monitor)
    key_parameter = config.parameter(API_KEY.name)
    client = ultravox(args.base_url, key_parameter=key_parameter)
    return Webhooks(client, ultravox_key(config), key_parameter), config, url


def receiver_url(args: argparse.Namespace) -> str:
    if args.url:
        if not str(args.url).startswith(("https://", "http://")):
            raise CliError("--url is not an http(s) URL", "pass the function URL as printed")
        return str(args.url)
    return aws.stack_outputs(args.stack_name, args.region, (URL_OUTPUT,))[URL_OUTPUT]


def _new_secret() -> Secret:
    return Secret(secrets.token_urlsafe(SECRET_BYTES))


def _store(args: argparse.Namespace, secret: Secret) -> None:
    name = parameter_path(args.prefix, args.monitor) + WEBHOOK_SECRET.name
    ssm = aws.client("ssm", args.region)
    aws.call(
        functools.partial(
            ssm.put_parameter, Name=name, Value=secret.reveal(), Type="SecureString", Overwrite=True
        ),
        f"write {name}",
        "you need ssm:PutParameter on it (and kms:Encrypt on the key, if not the default)",
        secrets=(secret.reveal(),),
    )
    print(f"stored the webhook's secret in {name} (SecureString; not shown)")


def _describe(hook: Webhook) -> str:
    failures = len(hook.recent_failures)
    return (
        f"webhook {hook.webhook_id}: {hook.url}, events {', '.join(hook.events)}, "
        f"status {hook.status}, {failures} recent failure(s)"
    )


Line = tuple[bool | None, str, str]


def counter(args: argparse.Namespace) -> Callable[[], int]:
    """The monitor's live count as the check reads it, from the stack's table (or $TABLE_ENV)."""

    def count() -> int:
        if args.stack_name:
            table = aws.stack_outputs(args.stack_name, args.region, (TABLE_OUTPUT,))[TABLE_OUTPUT]
        elif not (table := os.environ.get(TABLE_ENV, "")):
            raise CliError("not read: no table named", f"pass --stack-name, or set {TABLE_ENV}")
        store = LiveCallStore(aws.client("dynamodb", args.region), table)
        return store.count(args.monitor, datetime.now(UTC)).calls

    return count


def beside(count: Callable[[], int], active: int | None) -> Line:
    """The live count beside activeCalls, and in plain words what a difference means."""
    try:
        live = count()
    except CliError as error:
        return None, f"live count: {error.problem}", error.fix
    except MonitorError as error:
        return False, f"live count: {error.problem}", error.what_to_fix
    if active is None or live == active:
        said = "activeCalls not reported" if active is None else "the same as activeCalls"
        return True, f"live count: {live}, {said}", ""
    gap = abs(live - active)
    if live < active:
        why = (
            f"the feed has not heard of {gap} call(s) Ultravox counts; each scheduled run "
            "raises it to activeCalls, and 3 runs in a row below is a live-lag notice"
        )
    else:
        why = (
            f"{gap} call(s) whose end the feed has not heard yet; a scheduled run closes those "
            "Ultravox says ended on the second run in a row above"
        )
    return None, f"live count: {live}, differs from activeCalls ({active}): {why}", ""


def findings(
    config: MonitorConfig, base_url: str | None, count: Callable[[], int] | None = None
) -> list[Line]:
    """The doctor's lines on the live feed: (passed, what, fix), with Ultravox's activeCalls
    and, with the feed on, the live count beside it."""
    key_parameter = config.parameter(API_KEY.name)
    client = ultravox(base_url, key_parameter=key_parameter)
    key, deadline = ultravox_key(config), time.monotonic() + TIME_BUDGET_SECONDS
    lines: list[Line] = []
    try:
        active = client.account(key, deadline=deadline).active_calls
        lines.append((None, f"calls now: {active} (Ultravox's activeCalls)", ""))
        enable = f"ceilingwatch live enable --monitor {config.monitor}"
        if config.secret(WEBHOOK_SECRET.name) is None:
            return [*lines, (None, "live feed: off (optional; turn it on with live enable)", "")]
        if count is not None:
            lines.append(beside(count, active))
        hooks = Webhooks(client, key, key_parameter).list(deadline=deadline)
    except MonitorError as error:
        return [*lines, (False, f"live feed: {error.problem}", error.what_to_fix)]
    mine = [h for h in hooks if h.url.rstrip("/").endswith("/" + config.monitor)]
    if not mine:
        return [*lines, (False, "live feed: the secret is stored but no webhook sends", enable)]
    for hook in mine:
        failures = hook.recent_failures
        last = (
            f"; last: {failures[-1].failure[:80]} at {failures[-1].timestamp}" if failures else ""
        )
        what = f"live feed: webhook {hook.webhook_id} {hook.status}, "
        what += f"{len(failures)} recent failure(s){last}"
        healthy = hook.status == "normal"
        fix = (
            "" if healthy else "check the receiver's logs (UltravoxWebhookFunction), then " + enable
        )
        lines.append((healthy, what, fix))
    return lines
