"""python -m simulator: the telephony simulator on a local port, for `bin/run` and by hand."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from werkzeug.serving import make_server

from simulator.app import create_simulator_app
from simulator.engine import E164, Chaos, Simulator

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


def parse_status_callback(value: str) -> tuple[str | None, str]:
    """'https://app/voice/status' (every number) or '+15005550006=https://app/voice/status'."""
    number, sep, url = value.partition("=")
    if sep and E164.match(number.strip()):
        number, url = number.strip(), url.strip()
    else:
        number, url = None, value.strip()
    if not url.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(
            f"expected [E164=]status_callback_url like http://x/voice/status: {value!r}"
        )
    return number, url


def parse_chaos(value: str) -> Chaos:
    try:
        return Chaos.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
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
        "--status-callback",
        action="append",
        type=parse_status_callback,
        default=[],
        metavar="[E164=]URL",
        help='a number\'s "call status changes" URL: it gets the completed event of every '
        "call to that number (repeatable; without E164= it applies to every number)",
    )
    parser.add_argument(
        "--chaos",
        type=parse_chaos,
        default=Chaos(),
        metavar="duplicate=0.5,reorder,drop=0.2,delay=11,seed=7",
        help="misbehave like the real network: duplicate and drop callbacks at these rates, "
        "deliver them out of order, hold the REST answer to POST Calls.json this many seconds",
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
    return parser


def build(argv: list[str] | None = None) -> tuple[Simulator, argparse.Namespace]:
    """The simulator the command line describes (argparse exits on a bad argument)."""
    cli = build_parser()
    args = cli.parse_args(argv)
    if not args.number:
        cli.error("give at least one --number")
    numbers = dict(args.number)
    status_callbacks: dict[str, str] = {}
    # One URL for every number first, so that a number's own URL wins whatever the order.
    for number, url in sorted(args.status_callback, key=lambda pair: pair[0] is not None):
        if number is not None and number not in numbers:
            cli.error(f"--status-callback for {number}, which is not a --number")
        for each in [number] if number else numbers:
            status_callbacks[each] = url
    sim = Simulator(
        args.account_sid,
        args.auth_token,
        numbers,
        base_url=args.base_url or f"http://{args.host}:{args.port}",
        status_callbacks=status_callbacks,
        chaos=args.chaos,
    )
    return sim, args


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sim, args = build(argv)
    server = make_server(args.host, args.port, create_simulator_app(sim), threaded=True)
    print(f"telephony simulator on {sim.base_url}/ for {', '.join(sim.numbers)}", file=sys.stderr)
    if sim.chaos.active:
        print(f"chaos: {sim.chaos.as_dict()}", file=sys.stderr)
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
