"""python -m simulator: the telephony simulator on a local port, for `bin/run` and by hand."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from werkzeug.serving import make_server

from simulator.app import create_simulator_app
from simulator.engine import E164, Simulator

DEFAULT_ACCOUNT_SID = "AC" + "0" * 32  # ivr.config.SIMULATOR_ACCOUNT_SID
DEFAULT_AUTH_TOKEN = "simulator-auth-token"  # ivr.config.SIMULATOR_AUTH_TOKEN


def parse_number(value: str) -> tuple[str, tuple[str, str | None]]:
    """'+15005550006=https://app/voice,https://app/fallback' -> (number, (voice, fallback))."""
    number, sep, urls = value.partition("=")
    voice, _, fallback = urls.partition(",")
    if not sep or not E164.match(number.strip()) or not voice.strip():
        raise argparse.ArgumentTypeError(
            f"expected E164=voice_url[,fallback_url] like +15005550006=http://x/voice: {value!r}"
        )
    return number.strip(), (voice.strip(), fallback.strip() or None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5050)
    parser.add_argument(
        "--number",
        action="append",
        type=parse_number,
        default=[],
        metavar="E164=VOICE_URL[,FALLBACK_URL]",
        help="a company number and the webhooks it calls (repeatable)",
    )
    parser.add_argument(
        "--account-sid", default=os.environ.get("TWILIO_ACCOUNT_SID") or DEFAULT_ACCOUNT_SID
    )
    parser.add_argument(
        "--auth-token", default=os.environ.get("TWILIO_AUTH_TOKEN") or DEFAULT_AUTH_TOKEN
    )
    parser.add_argument(
        "--base-url", help="how the app reaches this simulator (default http://HOST:PORT)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if not args.number:
        parser.error("give at least one --number")
    sim = Simulator(
        args.account_sid,
        args.auth_token,
        dict(args.number),
        base_url=args.base_url or f"http://{args.host}:{args.port}",
    )
    server = make_server(args.host, args.port, create_simulator_app(sim), threaded=True)
    print(f"telephony simulator on {sim.base_url}/ for {', '.join(sim.numbers)}", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sim.close(timeout=1)
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
