"""``kiosk slip``: look at any slip in any language without a printer or a sale.

A clerk, a translator or a reviewer checks a template change here first; the commands only call
``printer_templates`` (sample data, renderer, previews).
"""

from __future__ import annotations

from pathlib import Path

import click

from printer_templates.i18n import LANGUAGES, UnknownLanguage
from printer_templates.preview import PreviewError, slip_to_png, slip_to_text
from printer_templates.render import SlipRenderError, render_slip, template_names
from printer_templates.samples import UnknownSample, sample_context


@click.group("slip")
def slip_group() -> None:
    """Slip templates: list them, preview them with sample data."""


@slip_group.command("list")
def list_command() -> None:
    """List the slip templates."""
    for name in template_names():
        click.echo(name)


@slip_group.command("preview")
@click.argument("template")
@click.option(
    "--lang",
    "language",
    default="en",
    show_default=True,
    help=f"Slip language: {', '.join(LANGUAGES)}.",
)
@click.option(
    "--png",
    "png_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a PNG image of the slip here instead of printing text.",
)
@click.option(
    "--width",
    type=click.IntRange(16, 96),
    default=42,
    show_default=True,
    help="Characters per line (42 on 80 mm paper, 32 on 58 mm).",
)
def preview_command(template: str, language: str, png_path: Path | None, width: int) -> None:
    """Render TEMPLATE with sample data, as text on stdout or as a PNG."""
    try:
        document = render_slip(
            template, sample_context(template, language=language), language=language
        )
        if png_path is None:
            click.echo(slip_to_text(document, width=width), nl=False)
        else:
            slip_to_png(document, png_path, width=width)
            click.echo(f"wrote {png_path}")
    except (UnknownLanguage, UnknownSample, SlipRenderError, PreviewError) as exc:
        raise click.ClickException(str(exc)) from exc


def register(main: click.Group) -> None:
    """Add ``kiosk slip`` to the ``kiosk`` command."""
    main.add_command(slip_group)


__all__ = ["register"]
