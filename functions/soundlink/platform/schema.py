"""The base of every pydantic model of the HTTP API: built when first used, not when defined.

Pydantic builds a model's validator and serializer when its class is defined; a function
defines every model of every route it serves, and a cold start serves one route. With
`defer_build` each model is built on first use (a request's body, an answer, the OpenAPI
document) and kept for the container's life: the same validation and the same schema,
paid for by the routes that use it (bench/coldstart.py: ~40 ms of the owner API's init).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    model_config = ConfigDict(defer_build=True)
