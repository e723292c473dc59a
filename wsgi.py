"""Production entry point: logging first, then the app. Run with `gunicorn wsgi:app`.

It refuses development defaults (the simulator, the dev secret key) unless IVR_DEV_MODE=1."""

import logging
import os
import sys

from ivr import create_app
from ivr.config import ConfigError, load_settings, refuse_dev_defaults

logging.basicConfig(
    level=os.environ.get("LOG_LEVEL", "INFO").upper(),
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    stream=sys.stdout,
)

try:
    settings = load_settings()
    refuse_dev_defaults(settings)
    app = create_app(settings=settings)
except ConfigError as exc:
    # One clear line, not a traceback: the operator needs the setting's name, nothing else.
    print(exc, file=sys.stderr)
    sys.exit(2)
