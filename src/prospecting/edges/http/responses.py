"""The error responses each HTTP route documents: RFC 9457 problem documents, one schema.

A route lists the statuses it can really answer with `responses=errors(401, 404, ...)`;
`document_problems(app)` puts the `Problem` schema they refer to into the OpenAPI components.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Response
from pydantic import BaseModel, Field

PROBLEM_JSON = "application/problem+json"
JSON = "application/json"
_REF = "#/components/schemas/{model}"


class FieldError(BaseModel):
    """One rejected value: the field (dotted path into the body or the parameter's name)."""

    field: str = Field(description="The rejected field, e.g. `phone` or `items.0.name`.")
    reason: str


class Problem(BaseModel):
    """An RFC 9457 problem document, as every error of this API is answered."""

    type: str = Field(description="`/problems/<code>`, e.g. `/problems/not_found`.")
    title: str
    status: int
    detail: str
    hint: str | None = Field(None, description="The next step, in words a person can act on.")
    errors: list[FieldError] | None = Field(
        None, description="On a 422: every rejected field with its reason."
    )
    limit_bytes: int | None = Field(None, description="On a 413: the most bytes this route reads.")


_WHEN = {
    400: "The body could not be read (not UTF-8 text, for one).",
    401: "No bearer token, or one that is unknown or revoked.",
    403: "The acting Person lacks the role or the consent this needs.",
    404: "Missing, or another tenant's: the two answer alike.",
    409: "The request contradicts the stored state.",
    410: "The subject left the network.",
    413: "The request body is larger than the limit.",
    415: "The body's Content-Type is not one this route reads.",
    422: "A value (body, query or path) was rejected; `errors` names each field and why.",
    503: "At capacity, or a store is unreachable; nothing was done. Retry after `Retry-After`.",
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
    503: {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: each status with the problem+json schema."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted(set(statuses)):
        response: dict[str, Any] = {
            "description": _WHEN[status],
            "content": {PROBLEM_JSON: {"schema": {"$ref": _REF.format(model="Problem")}}},
        }
        if status in _HEADERS:
            response["headers"] = _HEADERS[status]
        out[status] = response
    return out


def document_problems(app: FastAPI) -> None:
    """The app's OpenAPI document, with `Problem` (and `FieldError`) in its components."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()  # cached by FastAPI after the first call
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        if "Problem" not in schemas:
            problem = Problem.model_json_schema(ref_template=_REF)
            schemas.update(problem.pop("$defs", {}))
            schemas["Problem"] = problem
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def answer(model: BaseModel, status_code: int = 200) -> Response:
    """A route's answer serialised to JSON in the route's own worker thread.

    FastAPI validates a returned model again against `response_model` and, for a plain `def`
    route, takes one more worker-thread hop to do it; a returned Response skips both. The
    route keeps `response_model=` for its OpenAPI document, and the body is the model's own
    JSON (the same document FastAPI would have written: no aliases, nothing excluded)."""
    return Response(model.model_dump_json(), status_code=status_code, media_type=JSON)
