"""The documentation page's content, read from the generated OpenAPI schema (one source: the
page cannot drift from the API): each endpoint's method, path, summary, parameters and the
fields of its answer."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator

# How deep nested objects are spelled out (caf.name, amounts.payments.amount…).
DEPTH = 3


@dataclass
class Row:
    name: str
    type: str
    description: str = ""
    location: str = ""
    required: bool = False


@dataclass
class Endpoint:
    method: str
    path: str
    summary: str
    description: str
    parameters: list[Row] = field(default_factory=list)
    fields: list[Row] = field(default_factory=list)
    paginated: bool = False


@functools.cache
def schema() -> dict:
    """The schema as /api/v1/schema.json serves it, generated once per process (in French)."""
    with translation.override(settings.LANGUAGE_CODE):
        return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(node: dict, components: dict) -> tuple[str, dict]:
    """(name of the component, its schema) of a $ref, through allOf/oneOf wrappers."""
    for key in ("allOf", "oneOf", "anyOf"):
        if key in node:
            refs = [n for n in node[key] if "$ref" in n]
            if refs:
                return _resolve(refs[0], components)
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return name, components[name]
    return "", node


def type_of(node: dict, components: dict) -> str:
    name, node = _resolve(node, components)
    if "enum" in node:
        return "texte : " + ", ".join(str(v) for v in node["enum"] if v not in ("", None))
    kind = node.get("type", "objet" if name else "")
    if kind == "array":
        return "liste de " + type_of(node.get("items", {}), components)
    words = {
        "string": "texte",
        "integer": "entier",
        "boolean": "booléen",
        "object": "objet",
        "number": "nombre",
    }
    text = words.get(kind, kind)
    fmt = node.get("format")
    if fmt:
        text += {
            "date": " (date ISO)",
            "date-time": " (date et heure ISO)",
            "decimal": " décimal",
        }.get(fmt, f" ({fmt})")
    elif node.get("pattern") and kind == "string":
        text = "nombre décimal (texte)"
    if node.get("nullable"):
        text += ", ou null"
    return text


def _fields(node: dict, components: dict, prefix: str = "", depth: int = 0) -> list[Row]:
    _name, node = _resolve(node, components)
    if node.get("type") == "array":
        return _fields(node.get("items", {}), components, prefix, depth)
    rows = []
    for name, prop in node.get("properties", {}).items():
        rows.append(Row(prefix + name, type_of(prop, components), prop.get("description", "")))
        _inner, inner = _resolve(prop, components)
        if inner.get("type") == "array":
            _inner, inner = _resolve(inner.get("items", {}), components)
        if inner.get("properties") and depth < DEPTH:
            rows.extend(_fields(inner, components, f"{prefix}{name}.", depth + 1))
    return rows


def endpoints() -> list[Endpoint]:
    spec = schema()
    components = spec.get("components", {}).get("schemas", {})
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if path.endswith("schema.json"):
                continue
            answer = (
                operation.get("responses", {})
                .get("200", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema", {})
            )
            _name, body = _resolve(answer, components)
            paginated = "results" in body.get("properties", {})
            if paginated:
                answer = body["properties"]["results"]
            found.append(
                Endpoint(
                    method=method.upper(),
                    path=path,
                    summary=operation.get("summary", ""),
                    description=operation.get("description", ""),
                    parameters=[
                        Row(
                            p["name"],
                            type_of(p.get("schema", {}), components),
                            p.get("description", ""),
                            {"path": "chemin", "query": "requête"}.get(p["in"], p["in"]),
                            p.get("required", False),
                        )
                        for p in operation.get("parameters", [])
                    ],
                    fields=_fields(answer, components),
                    paginated=paginated,
                )
            )
    return found
