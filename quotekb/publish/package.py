"""`quotekb export package DIR`: a Frictionless data package of every table.

One CSV per table plus datapackage.json with field types, descriptions (the same
column descriptions Datasette shows, from metadata.yaml), primary keys, foreign keys,
sources and licenses. Written into a temporary directory and renamed into place.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from sqlalchemy import Boolean, Float, Integer

from quotekb.errors import InputError
from quotekb.ingest.yamlio import load_yaml
from quotekb.publish.export import connect_readonly
from quotekb.store.models import Base


def _field_type(column) -> dict:
    if isinstance(column.type, Boolean):
        return {"type": "boolean", "trueValues": ["1"], "falseValues": ["0"]}
    if isinstance(column.type, Integer):
        return {"type": "integer"}
    if isinstance(column.type, Float):
        return {"type": "number"}
    return {"type": "string"}


def _resource(table, descriptions: dict) -> dict:
    table_meta = descriptions.get(table.name, {})
    columns = table_meta.get("columns", {})
    fields = []
    for column in table.columns:
        field = {"name": column.name, **_field_type(column)}
        if columns.get(column.name):
            field["description"] = columns[column.name]
        if not column.nullable:
            field["constraints"] = {"required": True}
        fields.append(field)
    schema: dict = {"fields": fields, "primaryKey": [c.name for c in table.primary_key.columns]}
    foreign_keys = []
    for constraint in sorted(table.foreign_key_constraints, key=lambda c: [e.parent.name for e in c.elements]):
        target = constraint.elements[0].column.table.name
        foreign_keys.append({
            "fields": [e.parent.name for e in constraint.elements],
            "reference": {"resource": target, "fields": [e.column.name for e in constraint.elements]},
        })
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    resource = {
        "name": table.name,
        "path": f"{table.name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
    }
    if table_meta.get("description"):
        resource["description"] = table_meta["description"]
    return resource


def export_package(db_path: Path | str, out_dir: Path, metadata_path: Path) -> list[str]:
    connect_readonly(db_path).close()  # exists and is a quotekb database
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(out_dir, "exists and is not a directory", "choose a new directory")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise InputError(out_dir, "directory exists and is not empty", "choose a new directory or remove it")
    metadata = load_yaml(Path(metadata_path)) if Path(metadata_path).exists() else {}
    descriptions = metadata.get("databases", {}).get("quotekb", {}).get("tables", {})
    tmp = out_dir.with_name(f".{out_dir.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    conn = connect_readonly(db_path)  # a SQLite file or a postgresql:// URL
    resources = []
    try:
        for table in Base.metadata.sorted_tables:
            columns = [c.name for c in table.columns]
            order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
            with open(tmp / f"{table.name}.csv", "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(columns)
                quoted = ", ".join(f'"{c}"' for c in columns)
                writer.writerows(conn.execute(f"SELECT {quoted} FROM {table.name} ORDER BY {order}"))
            resources.append(_resource(table, descriptions))
    finally:
        conn.close()
    package = {
        "profile": "tabular-data-package",
        "name": "quotekb",
        "title": metadata.get("title", "quotekb"),
        "description": metadata.get("description", ""),
        "licenses": [
            {"name": "Apache-2.0", "path": "https://www.apache.org/licenses/LICENSE-2.0",
             "title": "Code and derived annotations"},
        ],
        "sources": [{
            "title": metadata.get("source", "corpus/"),
            "description": "Article texts remain their publishers' and are included for quotation and research.",
        }],
        "resources": resources,
    }
    (tmp / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if out_dir.exists():
        out_dir.rmdir()
    tmp.replace(out_dir)
    return [r["name"] for r in resources]
