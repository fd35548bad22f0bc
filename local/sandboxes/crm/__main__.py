"""`python -m local.sandboxes.crm [--host 127.0.0.1] [--port 8081] [--preset demo]`."""

from __future__ import annotations

import argparse

from ..common import serve_forever
from .app import create_app
from .sandbox import CrmSettings


def main() -> None:
    parser = argparse.ArgumentParser(description="Local Zoho CRM v8 sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument(
        "--preset", choices=["demo"], default=None, help="seed this preset at start and on reset"
    )
    args = parser.parse_args()
    serve_forever(create_app(CrmSettings(preset=args.preset)), args.host, args.port)


if __name__ == "__main__":
    main()
