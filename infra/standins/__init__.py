"""Loopback stand-ins of the services the channels post to: Slack, Teams and PagerDuty."""
