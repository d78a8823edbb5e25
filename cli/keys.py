"""`faceswap-admin keys create | list | revoke | usage`: API keys and their plan usage.

Table names come from the settings (API_KEYS_TABLE, RATE_LIMITS_TABLE, as the stage's functions get
them); endpoints and credentials from boto3's own configuration (AWS_ENDPOINT_URL, AWS_PROFILE, ...). The
same command works against the local stack (AWS_ENDPOINT_URL=http://127.0.0.1:5000) and a deployed stage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from core.adapters.key_table import KeyTable
from core.adapters.rate_limit_table import RateLimitTable
from core.logic.key_service import (
    KeyNotFound,
    create_key,
    get_key,
    list_keys_with_usage,
    revoke_key,
    set_key_enabled,
    set_visible_label,
)
from core.logic.rate_limit import RateLimiter, Usage, WindowUsage
from core.models.api_key import ApiKeyRecord
from core.models.plan import Plan
from core.settings import get_settings

Command = Callable[[argparse.Namespace], int]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = subparsers.add_parser("keys", help="create, list and revoke API keys; show their usage")
    actions = keys.add_subparsers(dest="keys_command", required=True)

    create = actions.add_parser("create", help="create a key (printed once: only its hash is stored)")
    create.add_argument("--plan", type=Plan, choices=list(Plan), default=Plan.FREE)
    create.add_argument("--hourly", type=int, default=None, help="requests per clock hour (enterprise only)")
    create.add_argument("--daily", type=int, default=None, help="requests per UTC day (enterprise only)")
    create.add_argument("--name", default="", help="who or what the key is for")
    create.add_argument(
        "--visible-label", action="store_true", help='stamp "AI-generated" in a corner of its results'
    )
    _json_option(create)
    create.set_defaults(run=_guarded(_run_create))

    listing = actions.add_parser("list", help="every key with its plan, status and current usage")
    _json_option(listing)
    listing.set_defaults(run=_guarded(_run_list))

    revoke = actions.add_parser("revoke", help="revoke a key by its id (effective at once)")
    revoke.add_argument("key_id")
    _json_option(revoke)
    revoke.set_defaults(run=_guarded(_run_revoke))

    for verb, enabled, text in (
        ("disable", False, "refuse a key with 403 until enabled"),
        ("enable", True, "accept a disabled key again"),
    ):
        toggle = actions.add_parser(verb, help=text)
        toggle.add_argument("key_id")
        _json_option(toggle)
        toggle.set_defaults(run=_guarded(_toggle_command(enabled)))

    update = actions.add_parser("update", help="change a key's options")
    update.add_argument("key_id")
    update.add_argument(
        "--visible-label",
        action=argparse.BooleanOptionalAction,
        required=True,
        help='stamp (or stop stamping) "AI-generated" in a corner of its results',
    )
    _json_option(update)
    update.set_defaults(run=_guarded(_run_update))

    usage = actions.add_parser("usage", help="a key's use of its hour and day windows")
    usage.add_argument("key_id")
    _json_option(usage)
    usage.set_defaults(run=_guarded(_run_usage))


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def _key_table() -> KeyTable:
    return KeyTable(get_settings().api_keys_table)


def _limiter() -> RateLimiter:
    return RateLimiter(RateLimitTable(get_settings().rate_limits_table))


def _guarded(command: Command) -> Command:
    """Operator mistakes and AWS failures end in one line on stderr and status 1, not a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except (KeyNotFound, ValueError) as error:
            message = _validation_message(error) if isinstance(error, ValidationError) else str(error)
            print(f"faceswap-admin keys: {message}", file=sys.stderr)
        except ClientError as error:
            info = error.response.get("Error", {})
            hint = (
                " (check API_KEYS_TABLE / RATE_LIMITS_TABLE and AWS_ENDPOINT_URL / AWS_PROFILE)"
                if info.get("Code") == "ResourceNotFoundException"
                else ""
            )
            print(
                f"faceswap-admin keys: AWS error {info.get('Code')}: {info.get('Message')}{hint}",
                file=sys.stderr,
            )
        except BotoCoreError as error:
            print(f"faceswap-admin keys: cannot reach AWS: {error}", file=sys.stderr)
        return 1

    return run


def _validation_message(error: ValidationError) -> str:
    return "; ".join(str(e.get("ctx", {}).get("error", e["msg"])) for e in error.errors())


def _run_create(args: argparse.Namespace) -> int:
    if args.plan is Plan.ENTERPRISE and (args.hourly is None or args.daily is None):
        raise ValueError("--plan enterprise needs --hourly N and --daily N")
    if args.plan is not Plan.ENTERPRISE and (args.hourly is not None or args.daily is not None):
        raise ValueError(f"--hourly/--daily are for enterprise keys; {args.plan.value} has fixed limits")
    api_key, record = create_key(
        _key_table(),
        plan=args.plan,
        name=args.name,
        hourly_limit=args.hourly,
        daily_limit=args.daily,
        visible_label=args.visible_label,
    )
    if args.json:
        print(json.dumps({"api_key": api_key, "webhook_secret": record.webhook_secret, **_key_view(record)}))
        return 0
    limits = record.limits
    print(f"API key   {api_key}")
    print(f"key id    {record.key_id}")
    print(f"plan      {record.plan.value} ({limits.per_hour}/hour, {limits.per_day}/day)")
    print(f"webhook signing secret  {record.webhook_secret}")
    print("Store the key now: it is not shown again (only its SHA-256 hash is kept).")
    print("The webhook secret is not shown again either (POST /api/webhooks/secret makes a new one).")
    return 0


def _run_update(args: argparse.Namespace) -> int:
    record = set_visible_label(_key_table(), args.key_id, args.visible_label)
    if args.json:
        print(json.dumps(_key_view(record)))
    else:
        print(f"{record.key_id}: visible label {'on' if record.visible_label else 'off'}")
    return 0


def _run_list(args: argparse.Namespace) -> int:
    rows = list_keys_with_usage(_key_table(), _limiter())
    if args.json:
        print(json.dumps([{**_key_view(r), "usage": _usage_view(u)} for r, u in rows]))
        return 0
    print(
        f"{'key id':18} {'plan':10} {'status':8} {'hour used/max':16} {'day used/max':16} {'created':20} name"
    )
    for record, usage in rows:
        hour = _ratio(usage.hour) if usage else "-"
        day = _ratio(usage.day) if usage else "-"
        created = record.created_at.strftime("%Y-%m-%d %H:%M:%S")
        print(
            f"{record.key_id:18} {record.plan.value:10} {record.status.value:8} {hour:16} {day:16} "
            f"{created:20} {record.name}"
        )
    return 0


def _run_revoke(args: argparse.Namespace) -> int:
    record = revoke_key(_key_table(), args.key_id)
    if args.json:
        print(json.dumps(_key_view(record)))
    else:
        print(f"revoked {record.key_id} at {record.revoked_at:%Y-%m-%d %H:%M:%S} UTC")
    return 0


def _toggle_command(enabled: bool) -> Command:
    def run(args: argparse.Namespace) -> int:
        record = set_key_enabled(_key_table(), args.key_id, enabled)
        print(json.dumps(_key_view(record)) if args.json else f"{record.key_id} is now {record.status.value}")
        return 0

    return run


def _run_usage(args: argparse.Namespace) -> int:
    record = get_key(_key_table(), args.key_id)
    usage = _limiter().usage(record)
    if args.json:
        print(json.dumps({**_key_view(record), "usage": _usage_view(usage)}))
        return 0
    print(f"key {record.key_id} ({record.plan.value}, {record.status.value})")
    for window in (usage.hour, usage.day):
        print(
            f"  {window.window.kind.value:5} {window.used}/{window.limit} used, {window.remaining} left, "
            f"resets {window.window.end:%Y-%m-%d %H:%M:%S} UTC ({window.reset_at})"
        )
    return 0


def _key_view(record: ApiKeyRecord) -> dict[str, Any]:
    limits = record.limits
    view = record.model_dump(
        mode="json", exclude={"key_hash", "hourly_limit", "daily_limit", "webhook_secret"}, exclude_none=True
    )
    return {**view, "limits": {"hour": limits.per_hour, "day": limits.per_day}}


def _usage_view(usage: Usage | None) -> dict[str, Any] | None:
    if usage is None:
        return None
    return {w.window.kind.value: _window_view(w) for w in (usage.hour, usage.day)}


def _window_view(window: WindowUsage) -> dict[str, int]:
    return {
        "used": window.used,
        "limit": window.limit,
        "remaining": window.remaining,
        "reset_at": window.reset_at,
    }


def _ratio(window: WindowUsage) -> str:
    return f"{window.used}/{window.limit}"
