"""Home: the market's products as large buttons, digit keys 1..n to open one."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from terminal.web.context import WebContext


@dataclass(frozen=True)
class ProductButton:
    id: str
    name: str
    key: str
    currency: str


def router(ctx: WebContext) -> APIRouter:
    ui = APIRouter()

    @ui.get("/ui/")
    def home(request: Request) -> Response:
        session = ctx.clerk(request)
        speaker = ctx.speaker(session.language)
        buttons = [
            ProductButton(p.id, speaker.product_name(p), str(n), p.currency)
            for n, p in enumerate(ctx.config.products.values(), 1)
        ]
        return ctx.page(request, "home.html", session=session, products=buttons)

    return ui
