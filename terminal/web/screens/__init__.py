"""One module per screen (or area of screens); each has ``router(ctx: WebContext) -> APIRouter``.

``terminal.web.SCREENS`` lists them; ``docs/web-ui.md`` says how to add one.
"""
