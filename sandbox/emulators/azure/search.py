"""Azure AI Search data plane, as ``azure-search-documents`` 12.0.0 calls it (api-version 2026-04-01).

Paths are the OData key form the SDK sends (``/indexes('name')``, ``/aliases('name')``,
``/indexes('name')/docs/$count``); the plain form (``/indexes/name``) is accepted too. Documents are not
stored: each index only has a document count. Document operations accept an alias in place of the index.
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

from sandbox.emulators.azure.arm import Route, json_body, route
from sandbox.emulators.azure.wire import JSON, ApiError, Request, Response, bad_request

if TYPE_CHECKING:
    from sandbox.emulators.azure.core import Core

INDEX = r"/indexes(?:\('(?P<index>[^']+)'\)|/(?P<index_plain>[^/(]+))"
ALIAS = r"/aliases(?:\('(?P<alias>[^']+)'\)|/(?P<alias_plain>[^/(]+))"


def new_etag() -> str:
    return f'"0x8DD{secrets.token_hex(6).upper()}"'


def index_json(name: str) -> JSON:
    """A small vector index definition shaped like the Search REST examples."""
    return {
        "@odata.etag": new_etag(),
        "name": name,
        "fields": [
            {
                "name": "id",
                "type": "Edm.String",
                "key": True,
                "searchable": False,
                "filterable": True,
                "retrievable": True,
                "sortable": False,
                "facetable": False,
            },
            {
                "name": "content",
                "type": "Edm.String",
                "searchable": True,
                "filterable": False,
                "retrievable": True,
                "sortable": False,
                "facetable": False,
                "analyzer": "en.microsoft",
            },
            {
                "name": "contentVector",
                "type": "Collection(Edm.Single)",
                "searchable": True,
                "retrievable": False,
                "dimensions": 1536,
                "vectorSearchProfile": "default-profile",
            },
        ],
        "vectorSearch": {
            "algorithms": [{"name": "default-hnsw", "kind": "hnsw"}],
            "profiles": [{"name": "default-profile", "algorithm": "default-hnsw"}],
        },
    }


def _search(core: Core) -> JSON:
    search: JSON = core.state["search"]
    return search


def _name(m: re.Match[str], kind: str) -> str:
    return str(m[kind] or m[f"{kind}_plain"])


def alias_name(path: str) -> str | None:
    """The alias a request path names (``/aliases('drugs')`` or ``/aliases/drugs``), else None."""
    match = re.fullmatch(ALIAS, path)
    return _name(match, "alias") if match else None


def _index(core: Core, name: str) -> JSON:
    found: JSON | None = _search(core)["indexes"].get(name)
    if found is None:
        raise ApiError(404, "IndexNotFound", f"No index with the name '{name}' was found in the service.")
    return found


def _alias(core: Core, name: str) -> JSON:
    found: JSON | None = _search(core)["aliases"].get(name)
    if found is None:
        raise ApiError(404, "AliasNotFound", f"No alias with the name '{name}' was found in the service.")
    return found


def resolve(core: Core, name: str) -> str:
    """An index name, or the index an alias of that name points to."""
    alias = _search(core)["aliases"].get(name)
    return str(alias["indexes"][0]) if alias and name not in _search(core)["indexes"] else name


def list_indexes(core: Core, req: Request, m: re.Match[str]) -> Response:
    indexes = list(_search(core)["indexes"].values())
    select = [s.strip() for s in req.query.get("$select", "").split(",") if s.strip()]
    if select and select != ["*"]:
        indexes = [{k: v for k, v in idx.items() if k in select or k == "name"} for idx in indexes]
    return Response(200, {"@odata.context": f"{req.base_url}/$metadata#indexes", "value": indexes})


def get_index(core: Core, req: Request, m: re.Match[str]) -> Response:
    return Response(200, _index(core, _name(m, "index")))


def put_index(core: Core, req: Request, m: re.Match[str]) -> Response:
    name = _name(m, "index")
    body = json_body(req)
    if body.get("name", name) != name:
        raise bad_request("InvalidRequestParameter", "The index name in the body does not match the URL.")
    existing = _search(core)["indexes"].get(name)
    _check_etag(req, existing)
    index = {**body, "name": name, "@odata.etag": new_etag()}
    _search(core)["indexes"][name] = index
    _search(core)["documentCounts"].setdefault(name, 0)
    return Response(200 if existing else 201, index)


def delete_index(core: Core, req: Request, m: re.Match[str]) -> Response:
    name = _name(m, "index")
    _index(core, name)
    users = [a["name"] for a in _search(core)["aliases"].values() if name in a.get("indexes", [])]
    if users:
        raise bad_request(
            "IndexInUse",
            f"Index '{name}' is referenced by alias(es) {', '.join(users)}; point the alias at another index first.",
        )
    del _search(core)["indexes"][name]
    _search(core)["documentCounts"].pop(name, None)
    return Response(204)


def index_stats(core: Core, req: Request, m: re.Match[str]) -> Response:
    name = _name(m, "index")
    _index(core, name)
    count = int(_search(core)["documentCounts"].get(name, 0))
    return Response(200, {"documentCount": count, "storageSize": count * 2048, "vectorIndexSize": count * 6144})


def document_count(core: Core, req: Request, m: re.Match[str]) -> Response:
    name = resolve(core, _name(m, "index"))
    _index(core, name)
    return Response(200, int(_search(core)["documentCounts"].get(name, 0)))


def list_aliases(core: Core, req: Request, m: re.Match[str]) -> Response:
    aliases = list(_search(core)["aliases"].values())
    return Response(200, {"@odata.context": f"{req.base_url}/$metadata#aliases", "value": aliases})


def get_alias(core: Core, req: Request, m: re.Match[str]) -> Response:
    return Response(200, _alias(core, _name(m, "alias")))


def put_alias(core: Core, req: Request, m: re.Match[str]) -> Response:
    name = _name(m, "alias")
    existing = _search(core)["aliases"].get(name)
    _check_etag(req, existing)
    alias = _validated_alias(core, json_body(req), name)
    _search(core)["aliases"][name] = alias
    return Response(200 if existing else 201, alias)


def create_alias(core: Core, req: Request, m: re.Match[str]) -> Response:
    body = json_body(req)
    name = str(body.get("name") or "")
    if name in _search(core)["aliases"]:
        raise ApiError(409, "AliasAlreadyExists", f"An alias with the name '{name}' already exists.")
    alias = _validated_alias(core, body, name)
    _search(core)["aliases"][name] = alias
    return Response(201, alias)


def delete_alias(core: Core, req: Request, m: re.Match[str]) -> Response:
    name = _name(m, "alias")
    _check_etag(req, _alias(core, name))
    del _search(core)["aliases"][name]
    return Response(204)


def _validated_alias(core: Core, body: JSON, name: str) -> JSON:
    if not name or body.get("name", name) != name:
        raise bad_request("InvalidRequestParameter", "The alias name in the body must match the URL.")
    indexes = body.get("indexes")
    if not isinstance(indexes, list) or len(indexes) != 1:
        raise bad_request("InvalidRequestParameter", "An alias must map to exactly one index.")
    if indexes[0] not in _search(core)["indexes"]:
        raise bad_request(
            "InvalidRequestParameter",
            f"Index '{indexes[0]}' does not exist; an alias can only point to an existing index.",
        )
    return {"@odata.etag": new_etag(), "name": name, "indexes": [str(indexes[0])]}


def _check_etag(req: Request, existing: JSON | None) -> None:
    if_match = req.headers.get("if-match")
    if if_match and if_match != "*" and (existing is None or existing.get("@odata.etag") != if_match):
        raise ApiError(412, "PreconditionFailed", "The If-Match condition was not met: the resource changed.")
    if req.headers.get("if-none-match") == "*" and existing is not None:
        raise ApiError(412, "PreconditionFailed", "The resource already exists (If-None-Match: *).")


ROUTES: list[Route] = [
    route("GET", r"/indexes", list_indexes),
    route("GET", INDEX, get_index),
    route("PUT", INDEX, put_index),
    route("DELETE", INDEX, delete_index),
    route("GET", rf"{INDEX}/search\.stats", index_stats),
    route("GET", rf"{INDEX}/docs/\$count", document_count),
    route("GET", r"/aliases", list_aliases),
    route("POST", r"/aliases", create_alias),
    route("GET", ALIAS, get_alias),
    route("PUT", ALIAS, put_alias),
    route("DELETE", ALIAS, delete_alias),
]
