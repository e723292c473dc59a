"""Parse TwiML responses and find verbs: tests assert on XML, never on strings."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit


def parse(data: bytes | str) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == "Response", f"not TwiML: {data!r}"
    return root


def verbs(root: ET.Element) -> list[str]:
    return [child.tag for child in root]


def spoken(element: ET.Element) -> str:
    return " ".join((say.text or "") for say in element.iter("Say"))


def url_path(url: str) -> str:
    return urlsplit(url).path


def url_query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
