"""`python -m local.sandboxes.inventory [--host H] [--port P] [--preset demo]`."""

from __future__ import annotations

import argparse
import json

from ..common import serve_forever
from .app import create_app
from .control import apply_seed
from .seed import SeedRequest
from .settings import InventorySandboxSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local.sandboxes.inventory", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--preset", choices=["demo"], help="seed this preset first and print the credentials")
    args = parser.parse_args(argv)
    settings = InventorySandboxSettings(host=args.host, port=args.port)
    app = create_app(settings)
    if args.preset:
        reply = apply_seed(
            app.state.sandbox, SeedRequest(preset=args.preset), f"http://{args.host}:{args.port}"
        )
        print(json.dumps(reply, ensure_ascii=False, indent=2), flush=True)
    serve_forever(app, args.host, args.port)


if __name__ == "__main__":
    main()
