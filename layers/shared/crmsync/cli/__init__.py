"""The operator command line, `crmsync` (also `python -m crmsync.cli`; `crmsync-admin` is an alias).

    crmsync [--stack-name NAME | --local | --stage STAGE] [--region R] [--profile P] COMMAND ...

One module per command group:

| module            | commands                                                                     |
|-------------------|------------------------------------------------------------------------------|
| `tenants`         | create-tenant, issue-key, revoke-key, list-tenants                           |
| `integrations`    | integrations list / status / runs / failures / sync-now / pause / resume     |
| `dead_letters`    | dead-letters list / show / redrive (each DLQ, `--dry-run`)                   |
| `oauth_client`    | oauth-client set / show (the deployment's OAuth client at Zoho)              |
| `target`          | where the deployment is: the stack's outputs, the local stack, or the stage  |
| `output`          | tables for people, `--json` for scripts                                      |

Commands act across tenants (an operator's view) but change things only through the same services
the API uses, so the CLI and the API cannot disagree about what "pause" or "sync now" means.
"""
