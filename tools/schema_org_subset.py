"""Write tests/data/schema-org.json: the part of schema.org the site's JSON-LD uses.

The structured-data check (tests/structured_data.py) validates offline, against
this file: for each type it may meet, the types it inherits from and every
property schema.org allows on it, and for each of those properties the types
of value it expects (rangeIncludes). Comments and examples are left out.

Made from a schema.org release's CSV files (in the schemaorg/schemaorg
repository, data/releases/<version>/schemaorg-current-https-types.csv and
-properties.csv). To add a type or move to a newer release:

    python -m tools.schema_org_subset TYPES.csv PROPERTIES.csv VERSION [EXTRA_TYPE ...]
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "schema-org.json"
# The types the templates write, the types their values may take, and the data types.
TYPES = ["TechArticle", "WebSite", "BreadcrumbList", "ListItem", "Organization", "Person",
         "Text", "URL", "Date", "DateTime", "Number", "Integer", "Boolean", "Language"]


def short(uri: str) -> str:
    return uri.strip().removeprefix("https://schema.org/")


def split(cell: str) -> list[str]:
    return [short(part) for part in cell.split(",") if part.strip()]


def main(types_csv: str, properties_csv: str, version: str, *extra: str) -> None:
    types = {row["label"]: row for row in csv.DictReader(open(types_csv, encoding="utf-8"))}
    props = {row["label"]: row for row in csv.DictReader(open(properties_csv, encoding="utf-8"))}

    def ancestors(name: str) -> list[str]:
        found, todo = [], split(types[name]["subTypeOf"])
        while todo:
            parent = todo.pop(0)
            if parent not in found:
                found.append(parent)
                todo += split(types[parent]["subTypeOf"])
        return found

    wanted = TYPES + list(extra)
    out = {"_source": f"schema.org release {version} (vocabulary under CC BY-SA 3.0, schema.org/docs/terms.html), "
                      "made by tools/schema_org_subset.py", "types": {}, "properties": {}}
    for name in wanted:
        # A type's list can name a property the properties file lacks (one
        # still pending); only those the release defines are kept.
        allowed = sorted(p for p in split(types[name]["properties"]) if p in props)
        out["types"][name] = {"ancestors": ancestors(name), "properties": allowed}
        for prop in allowed:
            out["properties"][prop] = split(props[prop]["rangeIncludes"])
    out["properties"] = dict(sorted(out["properties"].items()))
    OUT.write_text(json.dumps(out, ensure_ascii=False, indent=0, sort_keys=False) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(out['types'])} types, {len(out['properties'])} properties")


if __name__ == "__main__":
    main(*sys.argv[1:])
