"""Endpoints of the local API, one module per area; :data:`ROUTERS` lists every one.

The list is explicit, not discovered: a module that goes missing fails at import instead of
silently taking its endpoints out of the API. Each module has ``router(kiosk) -> APIRouter``;
its handlers' names are the operations' ``operationId`` (``sell``, ``get_transaction``), so a
client generated from ``/openapi.json`` has readable method names (see :func:`include`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from terminal.kiosk import Kiosk
from terminal.routes import (
    backup,
    clerks,
    demo,
    devices,
    idempotency,
    reports,
    sales,
    schemas,
    status,
    storno,
    transactions,
)

RouterFactory = Callable[[Kiosk], APIRouter]

#: Every area of the API, in the order the OpenAPI document lists them.
ROUTERS: tuple[RouterFactory, ...] = (
    status.router,
    sales.router,
    transactions.router,
    storno.router,
    reports.router,
    clerks.router,
    devices.router,
    idempotency.router,
    backup.router,
    demo.router,
)


def operation_id(route: APIRoute) -> str:
    """The handler's own name: ``sell`` rather than FastAPI's ``sell_api_v1_sales_post``."""
    return route.name


def include(
    app: FastAPI,
    kiosk: Kiosk,
    *,
    prefix: str,
    dependencies: Sequence[Any],
    routers: Sequence[RouterFactory] = ROUTERS,
) -> None:
    """Every router of ``routers`` (:data:`ROUTERS` unless a composition such as the demo adds
    its own) on ``app`` under ``prefix``, guarded by ``dependencies``.

    Every operation declares the error model for 401 (the token) and 422 (invalid input), also
    one whose module does not say so, instead of FastAPI's own validation-error schema (the API
    never answers in that shape)."""
    for factory in routers:
        app.include_router(
            factory(kiosk),
            prefix=prefix,
            dependencies=dependencies,
            responses=schemas.errors(),
            generate_unique_id_function=operation_id,
        )


__all__ = ["ROUTERS", "RouterFactory", "include", "operation_id"]
