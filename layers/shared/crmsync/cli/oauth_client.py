"""The deployment's OAuth client at Zoho (a "Server-based Application" in the Zoho API console):
`oauth-client set` stores its id and secret, with a random key that signs the consent `state`, in the
secret `crmsync/<stage>/oauth-client`; `oauth-client show` says what is stored, never the secrets."""

from __future__ import annotations

import getpass
import json
import secrets
import sys

from crmsync.cli.output import print_json


def register(sub, command) -> None:
    group = sub.add_parser(
        "oauth-client", help="the deployment's OAuth client at Zoho: set, show",
        description=__doc__,
    )
    commands = group.add_subparsers(dest="oauth_client_command", required=True, metavar="COMMAND")

    put = command(commands, "set", set_client, help="store the OAuth client's id and secret (from the Zoho API console)")
    put.add_argument("--client-id", required=True, metavar="ID", help="the Client ID the Zoho API console shows")
    put.add_argument(
        "--client-secret-file", metavar="FILE",
        help="read the Client Secret from FILE ('-' for standard input); default: ask for it without echo",
    )
    put.add_argument(
        "--rotate-state-key", action="store_true",
        help="make a new state-signing key (consents started in the last 10 minutes then fail and are retried)",
    )

    command(commands, "show", show_client, help="what is stored: the client id and when it changed, never the secret")


def _client_secret(path: str | None) -> str:
    if path == "-":
        value = sys.stdin.readline()
    elif path:
        with open(path, encoding="utf-8") as handle:
            value = handle.read()
    else:
        value = getpass.getpass("Client Secret: ")
    value = value.strip()
    if not value:
        raise ValueError("the client secret is empty")
    return value


def _stored(ctx) -> dict | None:
    client = ctx.secretsmanager
    try:
        reply = client.get_secret_value(SecretId=ctx.target.oauth_client_secret)
    except client.exceptions.ResourceNotFoundException:
        return None
    return json.loads(reply["SecretString"])


def set_client(args, ctx) -> int:
    name = ctx.target.oauth_client_secret
    stored = _stored(ctx)
    state_key = None if args.rotate_state_key or stored is None else stored.get("state_key")
    value = json.dumps({
        "client_id": args.client_id.strip(),
        "client_secret": _client_secret(args.client_secret_file),
        "state_key": state_key or secrets.token_urlsafe(32),
    })
    client = ctx.secretsmanager
    if stored is None:
        client.create_secret(
            Name=name, SecretString=value,
            Description="crmsync: the deployment's OAuth client at Zoho (client_id, client_secret, state_key)",
        )
    else:
        client.put_secret_value(SecretId=name, SecretString=value)
    result = {"secret": name, "client_id": args.client_id.strip(), "created": stored is None,
              "state_key_rotated": stored is not None and state_key is None}
    if ctx.as_json:
        print_json(result, ctx.out)
    else:
        print(f"{'stored' if stored is None else 'updated'} the OAuth client {result['client_id']} in {name}",
              file=ctx.out)
    return 0


def show_client(args, ctx) -> int:
    name = ctx.target.oauth_client_secret
    stored = _stored(ctx)
    changed = ctx.secretsmanager.describe_secret(SecretId=name).get("LastChangedDate") if stored else None
    result = {
        "secret": name,
        "set": stored is not None,
        "client_id": stored.get("client_id") if stored else None,
        "client_secret_set": bool(stored and stored.get("client_secret")),
        "state_key_set": bool(stored and stored.get("state_key")),
        "last_changed": changed.isoformat() if changed else None,
    }
    if ctx.as_json:
        print_json(result, ctx.out)
    elif stored is None:
        print(f"no OAuth client is stored in {name}: run `crmsync oauth-client set --client-id ...`", file=ctx.out)
    else:
        print(f"{name}: client id {result['client_id']}, secret set {result['client_secret_set']}, "
              f"state key set {result['state_key_set']}, last changed {result['last_changed']}", file=ctx.out)
    return 0
