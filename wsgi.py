"""Production entry point: logging first, then the app. Run with `gunicorn wsgi:app`."""

import logging
import os
import sys

from ivr import create_app
from ivr.config import ConfigError

logging.basicConfig(
    level=os.environ.get("LOG_LEVEL", "INFO").upper(),
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    stream=sys.stdout,
)

try:
    app = create_app()
except ConfigError as exc:
    # One clear line, not a traceback: the operator needs the setting's name, nothing else.
    print(exc, file=sys.stderr)
    sys.exit(2)
