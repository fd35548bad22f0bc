"""Tenants and their API keys: create-tenant, issue-key, revoke-key, list-tenants."""

from __future__ import annotations

from crmsync.cli.output import print_json, print_table


def register(sub, command) -> None:
    create = command(sub, "create-tenant", create_tenant, help="create a tenant (a customer of this deployment)")
    create.add_argument("--name", required=True, help="the tenant's display name, e.g. \"Acme Ltd\"")

    issue = command(
        sub, "issue-key", issue_key,
        help="issue an API key for a tenant; the key is printed once and only its hash is stored",
    )
    issue.add_argument("--tenant", required=True, metavar="TENANT_ID", help="the tenant's id (list-tenants)")

    revoke = command(sub, "revoke-key", revoke_key, help="revoke one of a tenant's API keys")
    revoke.add_argument("--tenant", required=True, metavar="TENANT_ID", help="the tenant's id")
    revoke.add_argument("--key-id", required=True, metavar="KEY_ID", help="the key's id, as issue-key printed it")

    command(sub, "list-tenants", list_tenants, help="list every tenant")


def create_tenant(args, ctx) -> int:
    tenant = ctx.container.tenants.create_tenant(args.name)
    if ctx.as_json:
        print_json(tenant, ctx.out)
    else:
        print(f"created tenant {tenant.tenant_id} ({tenant.name})", file=ctx.out)
    return 0


def issue_key(args, ctx) -> int:
    key_id, raw_key = ctx.container.tenants.issue_key(args.tenant)
    if ctx.as_json:
        print_json({"tenant_id": args.tenant, "key_id": key_id, "api_key": raw_key}, ctx.out)
    else:
        print(f"key id: {key_id}\napi key (shown once, store it now): {raw_key}", file=ctx.out)
    return 0


def revoke_key(args, ctx) -> int:
    ctx.container.tenants.revoke_key(args.tenant, args.key_id)
    if ctx.as_json:
        print_json({"tenant_id": args.tenant, "key_id": args.key_id, "revoked": True}, ctx.out)
    else:
        print(f"revoked key {args.key_id}", file=ctx.out)
    return 0


def list_tenants(args, ctx) -> int:
    found = ctx.container.tenants.list_tenants()
    if ctx.as_json:
        print_json({"tenants": found}, ctx.out)
    else:
        rows = [{"tenant_id": t.tenant_id, "created_at": t.created_at, "name": t.name} for t in found]
        print_table(rows, ["tenant_id", "created_at", "name"], ctx.out, empty="no tenants")
    return 0
