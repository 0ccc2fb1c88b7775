"""What the commands share: exit codes, the environment they read, and the monitor's own config."""

from __future__ import annotations

import argparse
import os
import urllib.parse

from ceilingwatch.adapters.ultravox import API_KEY, UltravoxClient, UltravoxSource
from ceilingwatch.bootstrap import PARAMETERS, ultravox_client
from ceilingwatch.common.errors import ConfigurationError
from ceilingwatch.common.settings import SLACK_WEBHOOK_PREFIX
from ceilingwatch.domain.config import MONITOR_NAME_RULE, MonitorConfig, Secret, is_monitor_name
from ceilingwatch.domain.ports import UsageSource
from ceilingwatch.domain.severity import Level

# One scheme for every command, for scripts: a level only from `check`, 3 for any problem.
EXIT_OK, EXIT_WARNING, EXIT_CRITICAL, EXIT_PROBLEM = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
EXIT_CODES = {
    Level.OK: EXIT_OK,
    Level.WARNING: EXIT_WARNING,
    Level.CRITICAL: EXIT_CRITICAL,
    Level.AT_LIMIT: EXIT_CRITICAL,
}
EXIT_CODES_TEXT = (
    "Exit codes: 0 OK, 1 WARNING, 2 CRITICAL or AT_LIMIT (those three from check only), "
    "3 a problem (usage, no key, unreachable, a doctor check or a test alert failed), "
    "130 interrupted."
)
KEY_ENV = "ULTRAVOX_API_KEY"
BASE_URL_ENV = "ULTRAVOX_API_BASE_URL"
WEBHOOK_ENV = "SLACK_WEBHOOK_URL"
PREFIXES_ENV = "CEILINGWATCH_SLACK_WEBHOOK_PREFIXES"
DEFAULT_BASE_URL = "https://api.ultravox.ai"
DEFAULT_PREFIX = "/ceilingwatch"
TIME_BUDGET_SECONDS = 30.0  # for Ultravox's retries; a person is waiting at the prompt
LINKS = {"Ultravox": "https://app.ultravox.ai"}
# The flag that sets each parameter (the table's), so a problem the table finds names the flag.
FLAG_OF_PARAMETER = {row.name: row.flag for row in PARAMETERS.rows if row.flag}
# Without recovery flags (check), a recovery threshold follows its level's: name that flag.
DERIVED_RECOVERY = {
    "warning-recovery-percent": "the recovery threshold --warning implies (10 below it)",
    "critical-recovery-percent": "the recovery threshold --critical implies (5 below it)",
}
KEY_FIX = (
    f"export a valid Ultravox API key as {KEY_ENV}; `read -rs {KEY_ENV} && export {KEY_ENV}` "
    "keeps it out of your shell history"
)


class CliError(Exception):
    """A problem the person at the terminal can fix; the message never holds a secret."""

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


def api_key() -> str:
    key = os.environ.get(KEY_ENV, "").strip()
    if not key:
        raise CliError(f"{KEY_ENV} is not set", KEY_FIX)
    return key


def config_from_flags(args: argparse.Namespace, key: str) -> MonitorConfig:
    """The thresholds through the monitor's own validation, its problems named by flag."""
    values = {API_KEY.name: key}
    for name, flag in FLAG_OF_PARAMETER.items():
        given = getattr(args, flag.removeprefix("--").replace("-", "_"), None)
        if given is not None:
            values[name] = str(given)
    # Recovery keeps the default gap below its threshold, so moving one flag stays valid.
    recovery = (
        ("warning-recovery-percent", args.warning, 10),
        ("critical-recovery-percent", args.critical, 5),
    )
    for name, level, gap in recovery:
        values.setdefault(name, str(max(level - gap, level / 2)))
    try:
        return PARAMETERS.parse(args.monitor, "", values)
    except ConfigurationError as error:
        problem = error.problem.removeprefix("invalid monitor configuration: ")
        derived = {} if hasattr(args, "warning_recovery") else DERIVED_RECOVERY
        raise CliError(
            f"invalid thresholds: {in_flags(problem, derived)}", "change the flags named above"
        ) from None


def in_flags(text: str, derived: dict[str, str] | None = None) -> str:
    """The monitor's words for its parameters (`concurrency-limit`) as the flags that set them."""
    flags = FLAG_OF_PARAMETER | (derived or {})
    # Longest first: no name is replaced inside a longer one that holds it.
    for name in sorted(flags, key=len, reverse=True):
        text = text.replace(name, flags[name])
    return text


def base_url(flag: str | None) -> str:
    return flag or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL


def ultravox(flag: str | None, key_parameter: str = KEY_ENV) -> UltravoxClient:
    """The monitor's own Ultravox adapter, from the composition root, at a checked URL."""
    url = base_url(flag)
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise CliError(
            f"the Ultravox base URL {url[:60]!r} is not an http:// or https:// URL",
            f"pass --base-url (or set {BASE_URL_ENV}) to {DEFAULT_BASE_URL}, or to the "
            "simulator's URL that `make local` prints",
        )
    return ultravox_client(url, key_parameter=key_parameter)


def usage(flag: str | None, config: MonitorConfig) -> UsageSource:
    """The usage source of a command: Ultravox at a checked URL, with the key from KEY_ENV."""
    return UltravoxSource(ultravox(flag), ultravox_key(config), KEY_ENV)


def ultravox_key(config: MonitorConfig) -> Secret:
    """The key in the configuration: from KEY_ENV (config_from_flags) or the parameters."""
    key = config.secret(API_KEY.name)
    if key is None:
        raise CliError(f"{KEY_ENV} is not set", KEY_FIX)
    return key


def unreachable_fix(flag: str | None) -> str:
    """What to do about an unreachable Ultravox, from a laptop rather than from the Lambda."""
    return (
        f"check that {base_url(flag)} is the right base URL (--base-url or {BASE_URL_ENV}) and "
        "that this machine reaches it; for the local simulator, is `make local` still running? "
        "If Ultravox itself is down or rate-limiting, try again in a few minutes"
    )


def webhook_prefixes() -> tuple[str, ...]:
    """Slack only, unless the deployment allows a stand-in, as the function's settings do."""
    raw = os.environ.get(PREFIXES_ENV, SLACK_WEBHOOK_PREFIX)
    return tuple(p.strip() for p in raw.split(",") if p.strip()) or (SLACK_WEBHOOK_PREFIX,)


def webhook_from_env() -> Secret:
    webhook = os.environ.get(WEBHOOK_ENV, "").strip()
    if not webhook:
        raise CliError(
            f"{WEBHOOK_ENV} is not set", f"export the Slack webhook URL as {WEBHOOK_ENV}"
        )
    if not webhook.startswith(webhook_prefixes()):
        raise CliError(
            f"{WEBHOOK_ENV} does not start with " + " or ".join(webhook_prefixes()),
            "use the incoming-webhook URL Slack gave you",
        )
    return Secret(webhook)


def check_monitor_name(name: str) -> None:
    """The name the templates accept, and no other: a stack could not be made for it."""
    if not is_monitor_name(name):
        raise CliError(
            f"--monitor {name[:40]!r} is not a monitor name",
            f"use {MONITOR_NAME_RULE}, as in the template's MonitorName",
        )
