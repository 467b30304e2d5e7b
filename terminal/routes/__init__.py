"""Endpoints of the local API, one module per area (see ``terminal.api.ROUTE_MODULES``)."""
