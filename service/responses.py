"""JSON responses serialized once, by pydantic, straight from the domain's models.

A route that returns a model lets FastAPI dump it to Python objects, validate those against the
response model and encode them again; for a lookup that costs more than the lookup. Returning
`model_response(...)` skips all that: the route keeps its ``response_model`` for the OpenAPI
document, and the bytes are what the model itself writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, TypeAdapter
from starlette.responses import Response

_LISTS: dict[type[Any], TypeAdapter[Any]] = {}


class ModelResponse(Response):
    """An ``application/json`` response of bytes already encoded."""

    media_type = "application/json"


def model_response(model: BaseModel, status_code: int = 200) -> ModelResponse:
    """Return the model as a JSON response, encoded once."""
    return ModelResponse(model.model_dump_json(), status_code=status_code)


def models_response(models: Sequence[BaseModel], item: type[BaseModel]) -> ModelResponse:
    """Return a list of models of one type as a JSON array, encoded once."""
    adapter = _LISTS.get(item)
    if adapter is None:
        adapter = _LISTS[item] = TypeAdapter(list[item])  # type: ignore[valid-type]
    return ModelResponse(adapter.dump_json(list(models)))
