"""`crmsync`: the parser, where the command runs (the deployment it acts on) and how errors end."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import Any, TextIO

from crmsync.cli import dead_letters, integrations, oauth_client, tenants
from crmsync.cli.target import Target, TargetError, environment, environment_for, resolve
from crmsync.domain.errors import CrmsyncError

GROUPS = (tenants, integrations, dead_letters, oauth_client)
EPILOG = """Without --stack-name or --local, the commands use the resource names of stage $STAGE (else "dev")
in the account and region of your AWS configuration. Every command takes --json.

examples:
  crmsync --stack-name crmsync-dev create-tenant --name "Acme Ltd"
  crmsync --stack-name crmsync-dev integrations list --json
  crmsync --stack-name crmsync-dev dead-letters redrive --queue sync --dry-run
"""


class Context:
    """What a command works with: the deployment, its services (built on first use), the output."""

    def __init__(self, target: Target, out: TextIO, as_json: bool):
        self.target = target
        self.out = out
        self.as_json = as_json

    def _container(self, sync_queue_url: str = ""):
        from crmsync.runtime.container import Container
        from crmsync.runtime.settings import Settings

        settings = Settings(
            stage=self.target.stage,
            table_name=self.target.table,
            sync_queue_url=sync_queue_url,
            secret_prefix=self.target.secret_prefix,
        )
        return Container(settings)

    @cached_property
    def container(self):
        """The table's store and the tenant service (no queue needed)."""
        return self._container()

    @cached_property
    def deps(self):
        """The services' Deps, as the API function has them (the sync queue's URL looked up)."""
        return self._container(self.target.queue_url("sync")).deps

    @cached_property
    def sqs(self) -> Any:
        import boto3

        return boto3.client("sqs")

    @cached_property
    def secretsmanager(self) -> Any:
        import boto3

        return boto3.client("secretsmanager")


def add_target_options(parser: argparse.ArgumentParser, *, leaf: bool) -> None:
    """The options that say where the deployment is. On a command (`leaf`) they default to
    SUPPRESS, so they may come before or after the command name."""
    default = argparse.SUPPRESS if leaf else None
    group = parser.add_argument_group("where the deployment is")
    group.add_argument(
        "--stack-name", metavar="NAME", default=default,
        help="the CloudFormation stack (e.g. crmsync-dev): its outputs give the table and queue URLs",
    )
    group.add_argument(
        "--local", action="store_true", default=argparse.SUPPRESS if leaf else False,
        help="the local stack (make dev): DynamoDB Local on 127.0.0.1:8000, SQS on 127.0.0.1:9324",
    )
    group.add_argument(
        "--stage", metavar="STAGE", default=default,
        help="without --stack-name: use the resource names template.yaml gives this stage "
        "(default: $STAGE, else dev; TABLE_NAME and *_QUEUE_URL in the environment win)",
    )
    group.add_argument("--region", metavar="REGION", default=default,
                       help="AWS region of the stack (default: your AWS configuration's)")
    group.add_argument("--profile", metavar="PROFILE", default=default,
                       help="AWS named profile for credentials (default: your AWS configuration's)")


def command(subparsers: Any, name: str, handler, *, help: str, description: str | None = None,
            json_help: str = "print JSON instead of a table") -> argparse.ArgumentParser:
    """A leaf command: its handler, `--json`, and the target options."""
    parser = subparsers.add_parser(name, help=help, description=description or help)
    parser.set_defaults(handler=handler)
    parser.add_argument("--json", action="store_true", help=json_help)
    add_target_options(parser, leaf=True)
    return parser


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="crmsync",
        description="Operate a crmsync deployment: tenants and API keys, integrations and their runs, "
        "dead-letter queues, the OAuth client.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_target_options(root, leaf=False)
    sub = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(sub, command)
    return root


@contextmanager
def quiet_service_logs() -> Iterator[None]:
    """The services log JSON lines for CloudWatch; at a terminal keep only warnings, on stderr."""
    from crmsync.observability import logger

    handler = logger.registered_handler
    level, stream = logger.log_level, handler.stream
    logger.setLevel("WARNING")
    handler.setStream(sys.stderr)
    try:
        yield
    finally:
        handler.setStream(stream)
        logger.setLevel(level)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = parser().parse_args(argv)
    out = out or sys.stdout
    if args.stack_name and args.local:
        print("error: give --stack-name or --local, not both", file=sys.stderr)
        return 2
    from botocore.exceptions import BotoCoreError, ClientError

    changes = environment_for(local=args.local, region=args.region, profile=args.profile)
    try:
        with environment(changes), quiet_service_logs():
            target = resolve(stack_name=args.stack_name, stage=args.stage, local=args.local)
            return args.handler(args, Context(target, out, args.json))
    except (CrmsyncError, TargetError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        print(f"error: AWS refused {exc.operation_name}: {error.get('Code')}: {error.get('Message')}", file=sys.stderr)
    except BotoCoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
