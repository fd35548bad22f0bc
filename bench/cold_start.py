"""Each function's cold start (init: importing its handler module) against a bare handler, in one run.

    python -m bench.cold_start [--repeat 9] [--no-build]

Uses the `sam build` output (rebuilt with `make sam-build` when the sources changed since, or when its
bytecode check fails), so what is timed is what ships: the layer's code with its python3.12 bytecode.
The template is arm64 and this machine may not be, so the layer's dependencies are x86 wheels of the
same `requirements.txt`, installed once with pip into `.aws-sam/bench/` and compiled like the build;
boto3 (which Lambda's runtime provides, not the layer) goes in a directory of its own after the layer,
as on Lambda. Each sample is a fresh `python3.12 -B -S` process with Lambda's path order (the function
dir, the layer's `/opt/python`, the runtime's boto3), the template's environment, fake credentials and
the network refused (a connection or a DNS lookup during init fails the bench). The bare handler is a
Powertools `APIGatewayRestResolver` with one pydantic model, written here. Samples go round-robin over
the handlers so a busy machine slows them all alike; the figure is the median.

Prints each figure beside its bound and the ratio, and exits 1 when a bound is broken: every handler
within 1.5 times the bare one, the authorizer and the webhook intake within 1.2 times. With X-Ray
tracing on (`XRayTracing=true`) the tracer loads the X-Ray SDK at init; that figure is printed for
information, with no bound.
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from local.template import Template
from scripts.compile_build import compile_tree

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / ".aws-sam" / "build"
BENCH = ROOT / ".aws-sam" / "bench"
REQUIREMENTS = ROOT / "layers" / "shared" / "requirements.txt"
BOUNDS = {"AuthorizerFunction": 1.2, "WebhookIntakeFunction": 1.2}
DEFAULT_BOUND = 1.5
TRACED = "AuthorizerFunction"  # the one function also timed with tracing on, for information

BARE_HANDLER = """\
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from pydantic import BaseModel


class Item(BaseModel):
    name: str
    quantity: int = 1


app = APIGatewayRestResolver(enable_validation=True)


@app.post("/items")
def create_item(item: Item) -> dict:
    return item.model_dump()


def lambda_handler(event, context):
    return app.resolve(event, context)
"""

# Runs in each sample's process: refuse the network, import the handler module, report the time.
PROBE = """
import json, socket, sys, time
def refuse(*args, **kwargs):
    raise RuntimeError("network use during init")
socket.socket.connect = socket.create_connection = socket.getaddrinfo = refuse
sys.path[:0] = {path!r}
start = time.perf_counter()
__import__({module!r})
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "boto3": "boto3" in sys.modules, "xray": "aws_xray_sdk" in sys.modules}}))
"""


def stale_build(template: Template) -> list[str]:
    """Sources that differ from (or are missing in) the build output, and bytecode problems."""
    pairs = [
        (path, BUILD / "SharedLayer" / "python" / path.relative_to(ROOT / "layers" / "shared"))
        for path in (ROOT / "layers" / "shared" / "crmsync").rglob("*.py")
    ]
    for function in template.functions.values():
        pairs += [
            (path, BUILD / function.logical_id / path.name)
            for path in (ROOT / function.code_uri).glob("*.py")
        ]
    changed = [
        str(src.relative_to(ROOT))
        for src, built in pairs
        if not built.exists() or not filecmp.cmp(src, built, False)
    ]
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_build.py"), str(BUILD)], capture_output=True
    )
    return changed + ([] if check.returncode == 0 else ["bytecode check failed"])


def x86_layer() -> tuple[Path, Path]:
    """The layer's dependencies and boto3 as wheels for this machine, compiled; installed once per
    requirements.txt."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    deps, runtime = BENCH / f"deps-{digest}", BENCH / f"runtime-{digest}"
    for target, what in ((deps, ["-r", str(REQUIREMENTS)]), (runtime, ["boto3"])):
        if not (target / ".complete").exists():
            shutil.rmtree(target, ignore_errors=True)
            pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target", str(target)]
            installed = subprocess.run(pip + what, capture_output=True, text=True)
            if installed.returncode != 0:
                raise SystemExit(f"pip could not install {what} for the bench:\n{installed.stderr}")
            compile_tree(target, "/opt/python" if target == deps else "/var/runtime")
            (target / ".complete").touch()
    return deps, runtime


def opt_python(deps: Path) -> Path:
    """`/opt/python` as Lambda mounts it: the x86 dependencies plus the build's crmsync (with its pycs)."""
    opt = BENCH / "opt" / "python"
    shutil.rmtree(opt.parent, ignore_errors=True)
    shutil.copytree(deps, opt, symlinks=True)
    shutil.copytree(BUILD / "SharedLayer" / "python" / "crmsync", opt / "crmsync")
    return opt


def bare_function() -> Path:
    task = BENCH / "BareFunction"
    shutil.rmtree(task, ignore_errors=True)
    task.mkdir(parents=True)
    (task / "app.py").write_text(BARE_HANDLER)
    compile_tree(task, "/var/task")
    return task


def environment(
    template: Template, logical_id: str | None, task: Path, extra: dict[str, str]
) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
    if logical_id:
        fn = template.functions[logical_id]
        env |= {key: str(template.resolve(value)) for key, value in fn.environment.items()}
    return (
        env
        | extra
        | {
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "AKIABENCHFAKE",
            "AWS_SECRET_ACCESS_KEY": "bench-fake",
            "AWS_SESSION_TOKEN": "bench-fake",
            "AWS_LAMBDA_FUNCTION_NAME": logical_id or "BareFunction",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            "LAMBDA_TASK_ROOT": str(task),
            "_HANDLER": "app.lambda_handler",
        }
    )


def sample(python: str, path: list[Path], env: dict[str, str]) -> dict:
    probe = PROBE.format(path=[str(p) for p in path], module="app")
    result = subprocess.run([python, "-B", "-S", "-c", probe], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"init failed in {env['AWS_LAMBDA_FUNCTION_NAME']}:\n{result.stderr}")
    return json.loads(result.stdout.splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--no-build", action="store_true", help="use the build output as it is")
    args = parser.parse_args()
    template = Template()
    if not args.no_build and (stale := stale_build(template)):
        print(
            f"rebuilding: {', '.join(stale[:3])}{' ...' if len(stale) > 3 else ''} changed since the last build"
        )
        subprocess.run(["make", "--no-print-directory", "sam-build"], cwd=ROOT, check=True)
    deps, runtime = x86_layer()
    opt = opt_python(deps)
    runs = {"bare": (bare_function(), None, {})}
    for logical_id in sorted(template.functions):
        runs[logical_id] = (BUILD / logical_id, logical_id, {})
    runs[f"{TRACED} (tracing on)"] = (BUILD / TRACED, TRACED, {"XRAY_TRACING": "true"})
    samples: dict[str, list[dict]] = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, (task, logical_id, extra) in runs.items():
            env = environment(template, logical_id, task, extra)
            samples[name].append(sample(sys.executable, [task, opt, runtime], env))
    return report(samples)


def report(samples: dict[str, list[dict]]) -> int:
    medians = {name: statistics.median(s["seconds"] for s in runs) for name, runs in samples.items()}
    bare = medians["bare"]
    print(
        f"cold start (init) on {sys.platform}, python {sys.version.split()[0]}, median of {len(samples['bare'])}"
    )
    print(f"{'handler':<42} {'init ms':>8} {'x bare':>7} {'bound':>6}  boto3/X-Ray at init")
    print(f"{'bare (Powertools resolver + pydantic)':<42} {bare * 1000:>8.0f} {1:>7.2f} {'':>6}")
    broken = []
    for name, seconds in medians.items():
        if name == "bare":
            continue
        ratio, loaded = seconds / bare, samples[name][0]
        bound = None if "tracing on" in name else BOUNDS.get(name, DEFAULT_BOUND)
        verdict = "" if bound is None else ("ok" if ratio <= bound else "BROKEN")
        bound_text = "-" if bound is None else f"{bound:.1f}"
        modules = f"{'yes' if loaded['boto3'] else 'no'}/{'yes' if loaded['xray'] else 'no'}"
        print(f"{name:<42} {seconds * 1000:>8.0f} {ratio:>7.2f} {bound_text:>6}  {modules:<8} {verdict}")
        if verdict == "BROKEN":
            broken.append(name)
    if broken:
        print(f"bound broken: {', '.join(broken)}", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
