"""Query strings validated by one pydantic model, for the routes where every microsecond counts.

FastAPI resolves each declared query parameter on every request, field by field; on
``GET /api/lookup``, whose own work is a tenth of a millisecond, that resolution cost about as
much as the lookup (measured in-process: 280 µs per request with four declared parameters,
225 µs with this; served by two workers, wabp answered 0.75-0.83 of the bare-framework baseline
before and 0.91 after, see ``bench/README.md``). A route that takes the `Request` and calls `query(request, Model)` gets the
same validation and the same 422 (``loc`` ``["query", name]``), and documents the parameters with
``openapi_extra=openapi_parameters(Model)``. Everywhere else, declare parameters as usual.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def query(request: Request, model: type[M]) -> M:
    """Return the request's query string as `model` (a repeated name: its last value, as FastAPI)."""
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        errors = [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def openapi_parameters(model: type[BaseModel]) -> dict[str, Any]:
    """Return the OpenAPI ``parameters`` of `model`'s fields as query parameters."""
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    parameters = []
    for name, field in schema["properties"].items():
        field = dict(field)
        description = field.pop("description", None)
        field.pop("title", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": field}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return {"parameters": parameters}
