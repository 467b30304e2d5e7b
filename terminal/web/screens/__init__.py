"""One module per screen (or area of screens); each has ``router(ctx: WebContext) -> APIRouter``.

``terminal.web.SCREEN_MODULES`` lists them; ``docs/web-ui.md`` says how to add one.
"""
