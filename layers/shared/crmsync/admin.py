"""Operator command line: tenants and API keys.

    python -m crmsync.admin [--local] create-tenant --name "Acme Ltd"
    python -m crmsync.admin [--local] issue-key --tenant TENANT_ID     # the key is printed once
    python -m crmsync.admin [--local] revoke-key --tenant TENANT_ID --key-id KEY_ID
    python -m crmsync.admin [--local] list-tenants

Against AWS it uses your AWS credentials and TABLE_NAME (the stack's TableName output).
`--local` targets the local stack's DynamoDB Local (127.0.0.1:8000, table crmsync-dev).
"""

from __future__ import annotations

import argparse
import os
import sys

from crmsync.domain.errors import NotFoundError
from crmsync.runtime.container import Container

LOCAL_ENV = {
    "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "TABLE_NAME": "crmsync-dev",
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="crmsync-admin", description="Manage crmsync tenants and API keys.")
    p.add_argument("--local", action="store_true", help="use the local stack (make dev)")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("create-tenant", help="create a tenant").add_argument("--name", required=True)
    sub.add_parser("issue-key", help="issue an API key (printed once)").add_argument("--tenant", required=True)
    revoke = sub.add_parser("revoke-key", help="revoke an API key")
    revoke.add_argument("--tenant", required=True)
    revoke.add_argument("--key-id", required=True)
    sub.add_parser("list-tenants", help="list tenants")
    return p


def run(args: argparse.Namespace, tenants, out=sys.stdout) -> int:
    if args.command == "create-tenant":
        tenant = tenants.create_tenant(args.name)
        print(f"created tenant {tenant.tenant_id} ({tenant.name})", file=out)
    elif args.command == "issue-key":
        key_id, raw_key = tenants.issue_key(args.tenant)
        print(f"key id: {key_id}\napi key (shown once, store it now): {raw_key}", file=out)
    elif args.command == "revoke-key":
        tenants.revoke_key(args.tenant, args.key_id)
        print(f"revoked key {args.key_id}", file=out)
    elif args.command == "list-tenants":
        for tenant in tenants.list_tenants():
            print(f"{tenant.tenant_id}\t{tenant.created_at.isoformat()}\t{tenant.name}", file=out)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.local:
        for key, value in LOCAL_ENV.items():
            os.environ.setdefault(key, value)
    try:
        return run(args, Container.from_env().tenants)
    except (NotFoundError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
