"""Integrations across tenants: list, status, runs, failures, retry-failures, sync-now, pause, resume.

An operator names an integration, not a tenant: each command reads the integration first and acts
as its tenant, through the services the API calls (`services.sync.manual.sync_now`,
`services.sync.retry.retry_failures`, `services.lifecycle.pause`), so the state rules (409s) and the
activity log are the API's own.
JSON output uses the API's response models, with the tenant id added.
"""

from __future__ import annotations

from crmsync.api.models import IntegrationOut
from crmsync.api.sync_models import RunOut
from crmsync.cli.output import print_json, print_table
from crmsync.domain.errors import NotFoundError
from crmsync.domain.models import Integration, IntegrationState, Module, Side

MODULES = [m.value for m in Module]
PAGE = 100


def register(sub, command) -> None:
    group = sub.add_parser(
        "integrations",
        help="integrations of every tenant: list, status, runs, failures, retry-failures, sync-now, pause, resume",
        description="Integrations of every tenant. Commands that change something act as the integration's "
        "tenant, through the same services as the API.",
    )
    commands = group.add_subparsers(dest="integrations_command", required=True, metavar="COMMAND")

    listing = command(commands, "list", list_integrations, help="list integrations, of one tenant or of all")
    listing.add_argument("--tenant", metavar="TENANT_ID", help="only this tenant's (default: every tenant's)")
    listing.add_argument("--state", choices=[s.value for s in IntegrationState],
                         help="only integrations in this state")

    status = command(commands, "status", status_of, help="one integration: state, channel, modules, last runs")
    _integration_argument(status)

    runs = command(commands, "runs", list_runs,
                   help="an integration's runs, newest first, with their progress and failure counts")
    _integration_argument(runs)
    runs.add_argument("--limit", type=int, default=20, metavar="N", help="how many runs (default 20, at most 100)")

    failures = command(commands, "failures", list_failures,
                       help="an integration's records that fail to sync (open until the record syncs)")
    _integration_argument(failures)
    failures.add_argument("--module", choices=MODULES, help="only this module's failures")
    failures.add_argument("--run", metavar="RUN_ID", help="the failures recorded by this run instead of the open ones")
    failures.add_argument("--limit", type=int, default=100, metavar="N", help="at most this many (default 100)")

    retrying = command(commands, "retry-failures", retry_failures,
                       help="retry open failures now, or as queued retry runs when there are many, "
                       "as POST /integrations/{id}/failures/retry")
    _integration_argument(retrying)
    retrying.add_argument("--module", choices=MODULES, help="only this module's failures (needed with --record)")
    retrying.add_argument("--record", metavar="RECORD_ID", help="only this record's failure (see failures)")
    retrying.add_argument("--side", choices=[s.value for s in Side], help="only failures of records on this side")

    sync_now = command(commands, "sync-now", sync_integration_now,
                       help="queue a run of each module now (S3), as POST /integrations/{id}/sync")
    _integration_argument(sync_now)
    _modules_argument(sync_now, "modules to run (default: every configured module)")

    pause = command(commands, "pause", pause_integration,
                    help="pause the integration, or only some modules (S6); queued steps wait")
    _integration_argument(pause)
    _modules_argument(pause, "pause only these modules (default: the whole integration)")

    resume = command(commands, "resume", resume_integration, help="resume a paused integration or modules")
    _integration_argument(resume)
    _modules_argument(resume, "resume only these modules (default: the whole integration)")


def _integration_argument(parser) -> None:
    parser.add_argument("integration_id", metavar="INTEGRATION_ID", help="the integration's id (integrations list)")


def _modules_argument(parser, help: str) -> None:
    parser.add_argument("--module", dest="modules", action="append", choices=MODULES, help=f"{help}; repeatable")


def _integration(ctx, integration_id: str) -> Integration:
    integration = ctx.container.store.get_integration(integration_id)
    if integration is None:
        raise NotFoundError(f"no integration {integration_id}")
    return integration


def _out(ctx, integration: Integration) -> dict:
    out = IntegrationOut.of(integration, ctx.container.store.list_modules(integration.integration_id))
    return {"tenant_id": integration.tenant_id, **out.model_dump(mode="json")}


def _modules(out: dict) -> str:
    return " ".join(
        f"{m['module']}:{m['status']}{'(paused)' if m['paused'] else ''}" for m in out["modules"]
    ) or "-"


# ------------------------------------------------------------------ reading
def list_integrations(args, ctx) -> int:
    store = ctx.container.store
    tenant_ids = [args.tenant] if args.tenant else [t.tenant_id for t in ctx.container.tenants.list_tenants()]
    found = []
    for tenant_id in tenant_ids:
        cursor = None
        while True:
            page = store.list_integrations(tenant_id, limit=PAGE, cursor=cursor)
            found += [i for i in page.items if args.state is None or i.state == args.state]
            if not (cursor := page.next_cursor):
                break
    outs = [_out(ctx, i) for i in found]
    if ctx.as_json:
        print_json({"integrations": outs}, ctx.out)
        return 0
    rows = [{**o, "modules": _modules(o)} for o in outs]
    columns = ["integration_id", "tenant_id", "state", "role", "crm_org_id", "inventory_org_id", "modules"]
    print_table(rows, columns, ctx.out, empty="no integrations")
    return 0


def status_of(args, ctx) -> int:
    store = ctx.container.store
    integration = _integration(ctx, args.integration_id)
    out = _out(ctx, integration)
    last_runs = {}
    for module in out["modules"]:
        run = store.get_run(integration.integration_id, module["last_run_id"]) if module["last_run_id"] else None
        if run is not None:
            last_runs[module["module"]] = RunOut.of(run).model_dump(mode="json")
    open_failures = store.list_open_failures(integration.integration_id, limit=PAGE)
    failures = f"{len(open_failures.items)}{'+' if open_failures.next_cursor else ''}"
    if ctx.as_json:
        print_json({**out, "last_runs": last_runs, "open_failures": failures}, ctx.out)
        return 0
    channel = out["notification_channel"]
    if channel is None:
        channel_line = "none"
    else:
        channel_line = f"expires {channel['expires_at']}" + (f"  ERROR: {channel['error']}" if channel["error"] else "")
    lines = [
        f"integration   {out['integration_id']}  (tenant {out['tenant_id']})",
        f"state         {out['state']}  role {out['role']}  two-way {out['two_way']}  "
        f"transactions {out['transactions_enabled']}",
        f"crm org       {out['crm_org_id']}    inventory org {out['inventory_org_id']}",
        f"channel       {channel_line}",
        f"open failures {failures}",
    ]
    print("\n".join(lines), file=ctx.out)
    rows = []
    for module in out["modules"]:
        run = last_runs.get(module["module"], {})
        counts = run.get("counts") or {}
        rows.append({
            "module": module["module"], "status": module["status"], "paused": module["paused"],
            "last_run": module["last_run_id"], "ended": run.get("ended_at"),
            "added/updated/failed": f"{counts.get('added', 0)}/{counts.get('updated', 0)}/{counts.get('failed', 0)}"
            if counts else None,
            "error": run.get("error"),
        })
    print(file=ctx.out)
    print_table(rows, ["module", "status", "paused", "last_run", "ended", "added/updated/failed", "error"], ctx.out,
                empty="no module configured yet")
    return 0


def list_runs(args, ctx) -> int:
    store = ctx.container.store
    integration = _integration(ctx, args.integration_id)
    page = store.list_runs(integration.integration_id, limit=max(1, min(args.limit, 100)))
    runs = [RunOut.of(run) for run in page.items]
    if ctx.as_json:
        print_json({"runs": runs}, ctx.out)
        return 0
    rows = [
        {
            "run_id": r.run_id, "module": r.module, "trigger": r.trigger, "status": r.status,
            "phase": r.progress.phase if r.progress else None,
            "started_at": r.started_at, "ended_at": r.ended_at, "added": r.counts.added,
            "updated": r.counts.updated, "failures": r.failure_count, "error": r.error,
        }
        for r in runs
    ]
    columns = ["run_id", "module", "trigger", "status", "phase", "started_at", "ended_at", "added", "updated",
               "failures", "error"]
    print_table(rows, columns, ctx.out, empty="no runs yet")
    return 0


def list_failures(args, ctx) -> int:
    store = ctx.container.store
    integration = _integration(ctx, args.integration_id)
    if args.run:
        if store.get_run(integration.integration_id, args.run) is None:
            raise NotFoundError(f"no run {args.run} of integration {integration.integration_id}")
        found = store.list_run_failures(args.run, limit=args.limit).items
        found = [f for f in found if args.module in (None, f.module)]
    else:
        module = Module(args.module) if args.module else None
        found = store.list_open_failures(integration.integration_id, module=module, limit=args.limit).items
    if ctx.as_json:
        print_json({"failures": found}, ctx.out)
        return 0
    rows = [f.model_dump() for f in found]
    columns = ["module", "side", "record_id", "first_seen", "last_seen", "run_id", "reason"]
    print_table(rows, columns, ctx.out, empty="no failures")
    return 0


# ------------------------------------------------------------------ changing
def retry_failures(args, ctx) -> int:
    from crmsync.api.failure_models import RetriedOut
    from crmsync.services.sync import retry

    integration = _integration(ctx, args.integration_id)
    if args.record and not args.module:
        raise ValueError("--record needs --module: the module the record failed in")
    outcome = retry.retry_failures(
        ctx.deps, integration.tenant_id, integration.integration_id,
        module=Module(args.module) if args.module else None, record_id=args.record,
        side=Side(args.side) if args.side else None,
    )
    if not isinstance(outcome, retry.Retried):
        runs = [{"module": r.module.value, "run_id": r.run_id, "status": r.status.value} for r in outcome]
        if ctx.as_json:
            print_json({"integration_id": integration.integration_id, "runs": runs}, ctx.out)
        else:
            print(f"more than {retry.INLINE_LIMIT} open failures: retry runs queued", file=ctx.out)
            print_table(runs, ["module", "run_id", "status"], ctx.out, empty="nothing queued")
        return 0
    done = RetriedOut.of(outcome)
    if ctx.as_json:
        print_json({"integration_id": integration.integration_id, **done.model_dump(mode="json")}, ctx.out)
        return 0
    print(f"retried {done.retried}: {done.synced} synced, {len(done.still_failing)} still failing", file=ctx.out)
    if done.still_failing:
        rows = [f.model_dump() for f in done.still_failing]
        print_table(rows, ["module", "side", "record_id", "last_seen", "reason"], ctx.out, empty="")
    return 0


def sync_integration_now(args, ctx) -> int:
    from crmsync.services.sync import manual

    integration = _integration(ctx, args.integration_id)
    modules = [Module(m) for m in args.modules] if args.modules else None
    started = manual.sync_now(ctx.deps, integration.tenant_id, integration.integration_id, modules)
    runs = [{"module": r.module.value, "run_id": r.run_id, "status": r.status.value} for r in started]
    if ctx.as_json:
        print_json({"integration_id": integration.integration_id, "runs": runs}, ctx.out)
    else:
        print_table(runs, ["module", "run_id", "status"], ctx.out, empty="nothing queued")
    return 0


def pause_integration(args, ctx) -> int:
    return _pause(args, ctx, paused=True)


def resume_integration(args, ctx) -> int:
    return _pause(args, ctx, paused=False)


def _pause(args, ctx, *, paused: bool) -> int:
    from crmsync.services import lifecycle

    integration = _integration(ctx, args.integration_id)
    modules = [Module(m) for m in args.modules] if args.modules else None
    lifecycle.pause(ctx.deps, integration.tenant_id, integration.integration_id, modules, paused)
    out = _out(ctx, ctx.container.store.get_integration(integration.integration_id))
    if ctx.as_json:
        print_json(out, ctx.out)
    else:
        what = f"modules {', '.join(args.modules)} of " if args.modules else ""
        print(f"{'paused' if paused else 'resumed'} {what}{out['integration_id']}: state {out['state']}, "
              f"modules {_modules(out)}", file=ctx.out)
    return 0
