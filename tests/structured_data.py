"""The site's JSON-LD, checked against schema.org offline.

A small validator rather than a package: tests/data/schema-org.json holds the
part of schema.org the site uses (made from a schema.org release by
tools/schema_org_subset.py): for each type, the types it inherits from and
the properties schema.org allows on it, and for each property the types of
value it expects. A block of JSON-LD passes when

- it parses, and its @context is schema.org;
- every node has a @type in that file, and only properties schema.org allows
  on that type (a misspelt `dateModifed` fails);
- every value is of a type the property expects: Text is a string; URL an
  absolute http(s) address; Date `YYYY-MM-DD`; DateTime ISO 8601 with a time
  and a UTC offset; Integer a whole number; a class (Organization, Thing…) a
  node of that type or a subtype, checked in turn, or an absolute URL that
  names one (JSON-LD's reference by @id);
- the properties the site promises are there (REQUIRED, after Google's
  documented requirements for breadcrumbs, and what issue 15 asks of an
  article: headline, description, inLanguage, publisher), and a breadcrumb
  trail counts 1, 2, 3… with a link on every step but the last.

Each problem starts with the file it is about.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlparse

from bs4 import BeautifulSoup

SCHEMA_FILE = Path(__file__).parent / "data" / "schema-org.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
CONTEXTS = ("https://schema.org", "https://schema.org/", "http://schema.org", "http://schema.org/")

REQUIRED = {
    "TechArticle": ["headline", "description", "inLanguage", "publisher", "mainEntityOfPage"],
    "WebSite": ["name", "url", "inLanguage"],
    "Organization": ["name"],
    "BreadcrumbList": ["itemListElement"],
    "ListItem": ["position", "name"],
}
HEADLINE_MAX = 110  # longer headlines are cut in search results


def _is_url(value) -> bool:
    if not isinstance(value, str):
        return False
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def _is_date(value) -> bool:
    try:
        return isinstance(value, str) and bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and bool(date.fromisoformat(value))
    except ValueError:
        return False


def _is_datetime(value) -> bool:
    try:
        return isinstance(value, str) and "T" in value and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


DATA_TYPES = {
    "Text": lambda v: isinstance(v, str),
    "URL": _is_url,
    "Date": _is_date,
    "DateTime": _is_datetime,
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "Boolean": lambda v: isinstance(v, bool),
}


def is_a(type_name: str, expected: str) -> bool:
    """Whether `type_name` is `expected` or inherits from it."""
    known = SCHEMA["types"].get(type_name)
    return type_name == expected or (known is not None and expected in known["ancestors"])


def _value_problems(value, file: str, path: str) -> list[str]:
    expected = SCHEMA["properties"].get(path.rsplit(".", 1)[-1], [])
    if isinstance(value, dict):
        kind = value.get("@type")
        if not any(is_a(str(kind), e) for e in expected):
            return [f"{file}: {path} is a {kind or 'node without @type'}, schema.org expects {' or '.join(expected)}"]
        return node_problems(value, file, path)
    for name in expected:
        if name in DATA_TYPES and DATA_TYPES[name](value):
            return []
        if name not in DATA_TYPES and _is_url(value):
            return []  # a reference to a node by its address
    return [f"{file}: {path} is {value!r}, expected {' or '.join(expected)}"]


def node_problems(node: dict, file: str, path: str = "") -> list[str]:
    """Problems of one JSON-LD node of `file` and the nodes inside it; `path`
    says where it sits (TechArticle.publisher)."""
    kind = node.get("@type")
    if kind not in SCHEMA["types"]:
        return [f"{file}: {path + ' ' if path else ''}@type {kind!r} is not a schema.org type "
                f"this validator knows ({SCHEMA_FILE.name})"]
    where = f"{file}: {path or kind}"
    path = path or kind
    allowed = set(SCHEMA["types"][kind]["properties"])
    problems = [f"{where}: no {prop}" for prop in REQUIRED.get(kind, []) if node.get(prop) in (None, "", [])]
    for prop, value in node.items():
        if prop.startswith("@"):
            continue
        if prop not in allowed:
            problems.append(f"{where}: {prop} is not a property of schema.org/{kind}")
            continue
        for item in value if isinstance(value, list) else [value]:
            problems += _value_problems(item, file, f"{path}.{prop}")
    if kind == "TechArticle" and len(str(node.get("headline", ""))) > HEADLINE_MAX:
        problems.append(f"{where}: headline longer than {HEADLINE_MAX} characters")
    if kind == "BreadcrumbList":
        steps = node.get("itemListElement") or []
        positions = [step.get("position") if isinstance(step, dict) else None for step in steps]
        if positions != list(range(1, len(steps) + 1)):
            problems.append(f"{where}: breadcrumb positions are {positions}, not 1 to {len(steps)} in order")
        for step in steps[:-1]:
            if isinstance(step, dict) and not step.get("item"):
                problems.append(f"{where}: breadcrumb step {step.get('name')!r} links nowhere (item)")
    return problems


def jsonld_problems(text: str, file: str) -> tuple[list[dict], list[str]]:
    """The nodes of one <script type="application/ld+json"> of `file` and their problems."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        return [], [f"{file}: JSON-LD does not parse: {err}"]
    if not isinstance(data, dict):
        return [], [f"{file}: JSON-LD is not an object"]
    if data.get("@context") not in CONTEXTS:
        return [], [f"{file}: @context is {data.get('@context')!r}, not https://schema.org"]
    nodes = data["@graph"] if "@graph" in data else [{k: v for k, v in data.items() if k != "@context"}]
    problems = []
    for node in nodes:
        problems += node_problems(node, file) if isinstance(node, dict) else [f"{file}: {node!r} is not a node"]
    return nodes, problems


def page_structured_data(html: Path) -> list[str]:
    """The text of every JSON-LD block of a built page."""
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    return [script.string or "" for script in soup.select('script[type="application/ld+json"]')]


def structured_data_problems(site_dir: Path, pages: list[Path]) -> list[str]:
    """Every page carries valid JSON-LD: a WebSite on the home page, a
    TechArticle and a BreadcrumbList on every other page."""
    problems = []
    for html in pages:
        name = html.relative_to(site_dir).as_posix()
        blocks = page_structured_data(html)
        if len(blocks) != 1:
            problems.append(f"{name}: {len(blocks)} JSON-LD blocks, expected one")
            continue
        nodes, found = jsonld_problems(blocks[0], name)
        problems += found
        kinds = sorted(str(node.get("@type")) for node in nodes if isinstance(node, dict))
        wanted = ["WebSite"] if name == "index.html" else ["BreadcrumbList", "TechArticle"]
        if nodes and kinds != wanted:
            problems.append(f"{name}: JSON-LD describes {kinds}, expected {wanted}")
    return problems
