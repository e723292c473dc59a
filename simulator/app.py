"""HTTP face of the simulator: Twilio's REST API, recordings, a control API and a dev page."""

from __future__ import annotations

import hmac
import io
import math
import re
import wave
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for

from simulator.engine import (
    API_VERSION,
    DEFAULT_STIR_VERSTAT,
    E164,
    Chaos,
    LegSnapshot,
    Simulator,
    SimulatorError,
    rfc2822,
    twiml_problem,
)

WAV_RATE = 8000
# A silent MPEG-1 Layer III frame: 32 kbit/s, 32 kHz, mono, no CRC; zero side info decodes
# as silence, so a run of these is a valid MP3 of any length.
MP3_FRAME = bytes([0xFF, 0xFB, 0x18, 0xC4]) + bytes(140)
MP3_SAMPLES_PER_FRAME, MP3_RATE = 1152, 32000
RECORDING_NAME = re.compile(r"^(RE[0-9a-f]{32})(\.wav|\.mp3|\.json)?$")
# Who "Place incoming call" calls from unless the developer types another number: a real,
# valid number (Jane Doe's in the demo data, ivr/cli.py), so the app knows the caller.
DEFAULT_CALLER = "+15005550201"


def silent_wav(seconds: int) -> bytes:
    """A mono 16-bit 8 kHz PCM WAV of `seconds` of silence."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(WAV_RATE)
        out.writeframes(bytes(2 * WAV_RATE * max(seconds, 0)))
    return buffer.getvalue()


def silent_mp3(seconds: int) -> bytes:
    return MP3_FRAME * max(1, math.ceil(seconds * MP3_RATE / MP3_SAMPLES_PER_FRAME))


def twilio_error(status: int, code: int, message: str) -> Response:
    response = jsonify(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
    )
    response.status_code = status
    return response


def _valid_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def call_resource(sim: Simulator, leg: LegSnapshot) -> dict[str, Any]:
    """A leg shaped like Twilio's Call resource JSON."""
    base = f"/{API_VERSION}/Accounts/{sim.account_sid}/Calls/{leg.sid}"
    now = sim.clock.now()
    return {
        "account_sid": sim.account_sid,
        "annotation": None,
        "answered_by": leg.answered_by,
        "api_version": API_VERSION,
        "caller_name": None,
        "date_created": rfc2822(leg.date_created or now),
        "date_updated": rfc2822(now),
        "direction": leg.direction,
        "duration": str(leg.duration) if leg.duration is not None else None,
        "end_time": rfc2822(leg.end_time) if leg.end_time else None,
        "forwarded_from": None,
        "from": leg.from_,
        "from_formatted": leg.from_,
        "group_sid": None,
        "parent_call_sid": leg.parent_sid,
        "phone_number_sid": None,
        "price": None,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": leg.sid,
        "start_time": rfc2822(leg.start_time) if leg.start_time else None,
        "status": leg.state,
        "subresource_uris": {
            "notifications": f"{base}/Notifications.json",
            "recordings": f"{base}/Recordings.json",
        },
        "to": leg.to,
        "to_formatted": leg.to,
        "trunk_sid": None,
        "uri": f"{base}.json",
    }


def leg_json(sim: Simulator, leg: LegSnapshot) -> dict[str, Any]:
    return {
        "sid": leg.sid,
        "from": leg.from_,
        "to": leg.to,
        "direction": leg.direction,
        "state": leg.state,
        "parent_sid": leg.parent_sid,
        "waiting_for": leg.waiting_for,
        "prompt": leg.prompt,
        "ended": leg.ended,
        "answered_by": leg.answered_by,
        "said": sim.said(leg.sid),
        "played": sim.played(leg.sid),
    }


def create_simulator_app(sim: Simulator) -> Flask:
    """The Flask app serving `sim`: REST under /2010-04-01, control under /control, page at /."""
    app = Flask(__name__)
    app.extensions["simulator"] = sim
    api = f"/{API_VERSION}/Accounts/<account_sid>"

    def authenticated() -> bool:
        auth = request.authorization
        return (
            auth is not None
            and auth.type == "basic"
            and hmac.compare_digest(auth.username or "", sim.account_sid)
            and hmac.compare_digest(auth.password or "", sim.auth_token)
        )

    @app.before_request
    def check_contract() -> None:
        """Every REST request, checked against Twilio's API description when asked to."""
        if sim.contract is None or not request.path.startswith(f"/{API_VERSION}/"):
            return
        request.get_data(cache=True)  # read once; the form parser reads the cached body
        for problem in sim.contract.violations(request):
            sim.report(f"contract: {request.method} {request.full_path.rstrip('?')}: {problem}")

    def check_account(account_sid: str) -> Response | None:
        if not authenticated():
            response = twilio_error(401, 20003, "Authenticate")
            response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            return response
        if account_sid != sim.account_sid:
            return twilio_error(
                404, 20404, f"The requested resource /Accounts/{account_sid} was not found"
            )
        return None

    @app.post(f"{api}/Calls.json")
    def create_call(account_sid: str):
        if (refused := check_account(account_sid)) is not None:
            return refused
        form = request.form
        to, from_ = form.get("To", "").strip(), form.get("From", "").strip()
        url, twiml = form.get("Url", "").strip(), form.get("Twiml")
        if not to:
            return twilio_error(400, 21201, "No 'To' number is specified")
        if not E164.match(to):
            return twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not from_:
            return twilio_error(400, 21213, "No 'From' number is specified")
        if not E164.match(from_):
            return twilio_error(400, 21212, f"The 'From' number {from_} is not a valid number.")
        if not url and twiml is None:
            return twilio_error(400, 21205, "Url or Twiml parameter is required.")
        if url and not _valid_url(url):
            return twilio_error(400, 21205, f"Url is not a valid URL: {url}")
        if twiml is not None and twiml_problem(twiml):
            return twilio_error(400, 21205, "Twiml is not valid TwiML.")
        for name in ("StatusCallback", "FallbackUrl"):
            if form.get(name) and not _valid_url(form[name]):
                return twilio_error(400, 21609, f"{name} is not a valid URL: {form[name]}")
        timeout = form.get("Timeout", "60")
        if not timeout.isdigit():
            return twilio_error(400, 21216, f"Timeout must be a whole number, not {timeout!r}")
        amd_callback = form.get("AsyncAmdStatusCallback") or None
        if amd_callback and not _valid_url(amd_callback):
            return twilio_error(400, 21609, f"AsyncAmdStatusCallback is not a URL: {amd_callback}")
        leg = sim.create_call(
            to=to,
            from_=from_,
            url=url or None,
            method=form.get("Method", "POST"),
            twiml=twiml,
            fallback_url=form.get("FallbackUrl") or None,
            fallback_method=form.get("FallbackMethod", "POST"),
            status_callback=form.get("StatusCallback") or None,
            status_callback_method=form.get("StatusCallbackMethod", "POST"),
            status_callback_event=form.getlist("StatusCallbackEvent"),
            timeout=int(timeout),
            machine_detection=form.get("MachineDetection") or None,
            async_amd=form.get("AsyncAmd", "").lower() == "true",
            async_amd_status_callback=amd_callback,
            async_amd_status_callback_method=form.get("AsyncAmdStatusCallbackMethod", "POST"),
        )
        sim.hold_rest_response()  # chaos: the call rings while the client still waits
        return jsonify(call_resource(sim, leg)), 201

    @app.get(f"{api}/Calls.json")
    def list_calls(account_sid: str):
        """Newest first, filtered as Twilio filters: To, From, ParentCallSid, Status."""
        if (refused := check_account(account_sid)) is not None:
            return refused
        wanted = {
            "to": request.args.get("To"),
            "from_": request.args.get("From"),
            "parent_sid": request.args.get("ParentCallSid"),
            "state": request.args.get("Status"),
        }
        page_size = request.args.get("PageSize", "50")
        size = min(int(page_size), 1000) if page_size.isdigit() and int(page_size) else 50
        calls = [
            call_resource(sim, leg)
            for leg in reversed(sim.legs())
            if all(value is None or getattr(leg, name) == value for name, value in wanted.items())
        ][:size]
        uri = f"/{API_VERSION}/Accounts/{sim.account_sid}/Calls.json"
        return jsonify(
            {
                "calls": calls,
                "page": 0,
                "page_size": size,
                "start": 0,
                "end": max(len(calls) - 1, 0),
                "first_page_uri": f"{uri}?PageSize={size}&Page=0",
                "next_page_uri": None,
                "previous_page_uri": None,
                "uri": f"{uri}?PageSize={size}&Page=0",
            }
        )

    @app.route(f"{api}/Calls/<call_sid>.json", methods=["GET", "POST"])
    def call(account_sid: str, call_sid: str):
        if (refused := check_account(account_sid)) is not None:
            return refused
        try:
            leg = sim.leg(call_sid)
        except SimulatorError:
            return twilio_error(
                404, 20404, f"The requested resource /Calls/{call_sid}.json was not found"
            )
        if request.method == "GET":
            return jsonify(call_resource(sim, leg))
        form = request.form
        url = form.get("Url", "").strip() or None
        if url and not _valid_url(url):
            return twilio_error(400, 21205, f"Url is not a valid URL: {url}")
        try:
            leg = sim.update_call(
                call_sid,
                status=form.get("Status") or None,
                url=url,
                method=form.get("Method", "POST"),
                twiml=form.get("Twiml"),
            )
        except SimulatorError as exc:
            # Twilio: 21220 "Call is not in-progress. Cannot redirect."
            return twilio_error(400, 21220, str(exc).splitlines()[0])
        return jsonify(call_resource(sim, leg))

    @app.route(f"{api}/Recordings/<name>", methods=["GET", "DELETE"])
    def recording(account_sid: str, name: str):
        if (refused := check_account(account_sid)) is not None:
            return refused
        matched = RECORDING_NAME.match(name)
        found = sim.recording(matched.group(1)) if matched else None
        if matched is None or found is None:
            return twilio_error(
                404, 20404, f"The requested resource /Recordings/{name} was not found"
            )
        if request.method == "DELETE":
            sim.delete_recording(found.sid)
            return Response(status=204)
        extension = matched.group(2) or ".wav"
        if extension == ".json":
            uri = f"/{API_VERSION}/Accounts/{sim.account_sid}/Recordings/{found.sid}.json"
            return jsonify(
                {
                    "account_sid": sim.account_sid,
                    "call_sid": found.call_sid,
                    "sid": found.sid,
                    "duration": str(found.duration),
                    "status": "completed",
                    "channels": 1,
                    "source": "RecordVerb",
                    "date_created": rfc2822(found.date_created),
                    "uri": uri,
                }
            )
        if extension == ".mp3":
            return Response(silent_mp3(found.duration), mimetype="audio/mpeg")
        return Response(silent_wav(found.duration), mimetype="audio/x-wav")

    # Control API: what a test or a developer does with the phones. -----------------------

    def done(payload: dict[str, Any], status: int = 200):
        if request.is_json:
            return jsonify(payload), status
        return redirect(url_for("index"))

    def refused(message: str, status: int):
        if request.is_json:
            return jsonify({"error": message}), status
        return redirect(url_for("index", error=message.splitlines()[0]))

    def data() -> dict[str, Any]:
        if request.is_json:
            return request.get_json(silent=True) or {}
        return request.form.to_dict()

    @app.post("/control/calls")
    def control_incoming():
        body = data()
        from_, to = str(body.get("from", "")).strip(), str(body.get("to", "")).strip()
        stir_verstat = str(body.get("stir_verstat", DEFAULT_STIR_VERSTAT) or "").strip() or None
        if not from_ or not to:
            return refused("from and to are required", 400)
        try:
            sid = sim.incoming_call(from_, to, stir_verstat=stir_verstat)
        except SimulatorError as exc:
            return refused(str(exc), 400)
        return done({"sid": sid}, 201)

    @app.get("/control/calls")
    def control_list():
        return jsonify({"calls": [leg_json(sim, leg) for leg in sim.legs()]})

    @app.get("/control/calls/<sid>")
    def control_show(sid: str):
        try:
            return jsonify(leg_json(sim, sim.leg(sid)))
        except SimulatorError as exc:
            return jsonify({"error": str(exc).splitlines()[0]}), 404

    @app.get("/control/chaos")
    def control_chaos_show():
        return jsonify(sim.chaos.as_dict())

    @app.post("/control/chaos")
    def control_chaos():
        """Change some chaos settings (the rest stay); the dev page's form sends them all."""
        values = data()
        if not request.is_json:
            values["reorder"] = values.get("reorder", "")  # an unticked box is not sent
        try:
            chaos = sim.set_chaos(Chaos.from_dict(values, base=sim.chaos))
        except ValueError as exc:
            return refused(str(exc), 400)
        return done(chaos.as_dict())

    @app.get("/control/requests")
    def control_requests():
        return jsonify(
            {
                "requests": [
                    {
                        "kind": r.kind,
                        "call_sid": r.call_sid,
                        "method": r.method,
                        "url": r.url,
                        "params": r.params,
                        "status": r.status,
                        "error": r.error,
                        "token": r.token,
                        "chaos": r.chaos,
                    }
                    for r in sim.requests + sim.dropped
                ],
                "errors": sim.errors,
            }
        )

    @app.post("/control/calls/<sid>/<action>")
    def control_action(sid: str, action: str):
        body = data()
        try:
            if action == "answer":
                sim.answer(sid)
            elif action == "answer-machine":
                sim.answer_machine(sid)
            elif action == "busy":
                sim.busy(sid)
            elif action == "no-answer":
                sim.no_answer(sid)
            elif action == "fail":
                sim.fail(sid)
            elif action == "hangup":
                sim.hangup(sid)
            elif action == "silence":
                sim.silence(sid)
            elif action == "press":
                sim.press(sid, str(body.get("digits", "")))
            elif action == "record":
                seconds = str(body.get("seconds", "5"))
                if not seconds.isdigit():
                    return refused("seconds must be a whole number", 400)
                sim.record(
                    sid,
                    int(seconds),
                    finish_key=str(body["finish_key"]) if body.get("finish_key") else None,
                    hang_up=str(body.get("hang_up", "")).lower() in ("1", "true", "yes", "on"),
                )
            else:
                return refused(f"unknown action {action!r}", 404)
        except SimulatorError as exc:
            missing = str(exc).startswith("no call leg")
            return refused(str(exc), 404 if missing else 409)
        return done({"sid": sid, "action": action})

    @app.get("/")
    def index():
        legs = sim.legs()
        return render_template(
            "dev.html",
            legs=[(leg, sim.said(leg.sid)) for leg in reversed(legs)],
            numbers=list(sim.numbers),
            default_caller=DEFAULT_CALLER,
            default_stir_verstat=DEFAULT_STIR_VERSTAT,
            chaos=sim.chaos,
            status_callbacks=sim.status_callbacks,
            error=request.args.get("error"),
            live=any(not leg.ended for leg in legs),
            errors=sim.errors,
        )

    return app
