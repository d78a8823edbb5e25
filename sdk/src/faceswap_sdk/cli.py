"""`faceswap`: the customer command line on the SDK.

    faceswap swap basic SRC TARGET -o OUT [--enhance]
    faceswap swap couple SRC TARGET -o OUT [--swap-index 0,1]
    faceswap swap one-from-two SRC TARGET1 TARGET2 -o OUT
    faceswap swap same-image SRC -o OUT
    faceswap status TASK_ID [-o OUT]
    faceswap webhook-secret rotate
    faceswap verify FILE_OR_URL [--json]

The key comes from FACESWAP_API_KEY (or --api-key), the API from FACESWAP_BASE_URL (or --base-url).
Images are paths or https:// URLs. Progress goes to stderr; the result's path (or --json) to stdout.
Exit status: 0 done; 1 server or network error; 2 usage; 3 input refused (400/413/409); 4 key refused
(401/403); 5 not found; 6 rate limited; 7 queue timeout; 8 still running at --timeout;
9 (verify) none of our marks found.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from faceswap_sdk.client import Client
from faceswap_sdk.errors import ApiError, FaceSwapError, RateLimitExceededError
from faceswap_sdk.task import BaseTask, Task

_SPINNER = "|/-\\"


class Progress:
    """One status line on stderr: rewritten in place on a terminal, a line per change otherwise."""

    def __init__(self, stream: TextIO, quiet: bool = False) -> None:
        self.stream, self.quiet = stream, quiet
        self.tty = stream.isatty()
        self.ticks = 0
        self.last: str | None = None

    def __call__(self, task: BaseTask, elapsed: float) -> None:
        if self.quiet:
            return
        if self.tty:
            self.ticks += 1
            mark = "done" if task.done else _SPINNER[self.ticks % len(_SPINNER)]
            self.stream.write(f"\r{task.task_id} {task.status:<10} {elapsed:6.1f}s {mark} ")
            if task.done:
                self.stream.write("\n")
        elif task.status != self.last:
            self.stream.write(f"{task.task_id} {task.status} after {elapsed:.1f}s\n")
        self.last = task.status
        self.stream.flush()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faceswap", description="Swap faces with the FaceSwap API.")
    parser.add_argument("--api-key", default=None, help="default: $FACESWAP_API_KEY")
    parser.add_argument("--base-url", default=None, help="default: $FACESWAP_BASE_URL")
    parser.add_argument("--json", action="store_true", help="print the task status as JSON on stdout")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    commands = parser.add_subparsers(dest="command", required=True)

    swap = commands.add_parser("swap", help="submit a swap, wait for it, save the result")
    operations = swap.add_subparsers(dest="operation", required=True)
    shapes = {
        "basic": (["source", "target"], "the face of SOURCE replaces the face of TARGET"),
        "couple": (["source", "target"], "two faces onto two faces (--swap-index)"),
        "one-from-two": (["source", "target1", "target2"], "SOURCE's faces take TARGET1's and TARGET2's"),
        "same-image": (["source"], "the two faces of SOURCE trade places"),
    }
    for name, (images, text) in shapes.items():
        sub = operations.add_parser(name, help=text)
        for image in images:
            sub.add_argument(image, help="a file path or an https:// URL")
        if name == "couple":
            sub.add_argument(
                "--swap-index", default=None, help="e.g. 0,1 or 1,0 (source face for each target face)"
            )
        sub.add_argument(
            "-o", "--output", default=None, help="where to save the result (default: print its URL)"
        )
        sub.add_argument("--enhance", action="store_true", help="run the face restorer")
        sub.add_argument("--webhook-url", default=None, help="also POST the final status here (signed)")
        sub.add_argument(
            "--idempotency-key", default=None, help="retries with this key never make a second task"
        )
        sub.add_argument("--no-wait", action="store_true", help="print the task id and return at once")
        sub.add_argument("--timeout", type=float, default=600.0, help="seconds to wait (default 600)")

    status = commands.add_parser("status", help="a task's status (and its result with -o)")
    status.add_argument("task_id")
    status.add_argument("-o", "--output", default=None, help="download the result here if completed")
    status.add_argument("--wait", action="store_true", help="wait until it finishes")
    status.add_argument("--timeout", type=float, default=600.0)

    secret = commands.add_parser("webhook-secret", help="the key's webhook signing secret")
    secret.add_argument("action", choices=["rotate"], help="make a new one (shown once)")
    verify = commands.add_parser("verify", help="which of our marks (XMP, C2PA, watermark) an image carries")
    verify.add_argument("image", help="a file path or an https:// URL")
    return parser


# `faceswap verify`: the image carries none of our marks.
EXIT_NOT_MARKED = 9


def _verify(client: Client, args: argparse.Namespace, out: TextIO) -> int:
    result = client.verify(args.image)
    if args.json:
        print(json.dumps(result.data), file=out)
    else:
        mark = result.watermark
        owner = f", task {mark.task_id}" if mark.task_id else (", ours" if mark.registered else "")
        print(f"xmp: {'found' if result.metadata is not None else 'absent'}", file=out)
        state = result.c2pa.validation_state or ("absent" if not result.c2pa.present else "unknown")
        print(f"c2pa: {state}", file=out)
        print(
            f"watermark: {'found' if mark.found else 'absent'} (confidence {mark.confidence:.4f}{owner})",
            file=out,
        )
    return 0 if result.marked else EXIT_NOT_MARKED


def _submit(client: Client, args: argparse.Namespace) -> Task:
    options: dict[str, Any] = {"enhance": args.enhance}
    if args.webhook_url:
        options["webhook_url"] = args.webhook_url
    if args.idempotency_key:
        options["idempotency_key"] = args.idempotency_key
    if args.operation == "basic":
        return client.basic_swap(args.source, args.target, **options)
    if args.operation == "couple":
        return client.couple_swap(args.source, args.target, swap_index=args.swap_index, **options)
    if args.operation == "one-from-two":
        return client.swap_one_from_two(args.source, args.target1, args.target2, **options)
    return client.swap_same_image(args.source, **options)


def _finish(task: Task, args: argparse.Namespace, out: TextIO) -> int:
    if args.output and task.status == "completed":
        path = task.download(args.output)
        if not args.json:
            print(path, file=out)
    elif not args.json:
        print(task.image_url or f"{task.task_id} {task.status}", file=out)
    if args.json:
        print(json.dumps(task.data), file=out)
    return 0


def run(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    args = _parser().parse_args(argv)
    try:
        with Client(api_key=args.api_key, base_url=args.base_url) as client:
            progress = Progress(err, quiet=args.quiet)
            if args.command == "webhook-secret":
                print(client.rotate_webhook_secret(), file=out)
                return 0
            if args.command == "verify":
                return _verify(client, args, out)
            if args.command == "status":
                task = client.get_task(args.task_id)
                if args.wait:
                    task.wait(timeout=args.timeout, on_progress=progress)
                task.raise_for_failure()
                return _finish(task, args, out)
            task = _submit(client, args)
            if args.no_wait:
                print(json.dumps(task.data) if args.json else task.task_id, file=out)
                return 0
            task.wait(timeout=args.timeout, on_progress=progress)
            return _finish(task, args, out)
    except ValueError as error:  # no key or base URL, an unreadable swap index
        print(f"faceswap: {error}", file=err)
        return 2
    except OSError as error:  # an image file that cannot be read, an output that cannot be written
        print(f"faceswap: {error}", file=err)
        return 3
    except FaceSwapError as error:
        print(f"faceswap: {_describe(error)}", file=err)
        return error.exit_code


def _describe(error: FaceSwapError) -> str:
    text = str(error)
    if isinstance(error, ApiError):
        if error.task is not None:
            text = f"task {error.task.task_id} failed: {text}"
        if error.details:
            text += f" {json.dumps(error.details)}"
        if isinstance(error, RateLimitExceededError) and error.retry_after is not None:
            text += f" (retry in {error.retry_after:.0f} s)"
    return text


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
