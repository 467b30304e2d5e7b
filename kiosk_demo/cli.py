"""The ``kiosk demo`` command, plugged into ``kiosk`` through the ``kiosk.commands`` entry point.

Only click is imported at module level: ``kiosk --help`` lists the command's help from here
without loading the reference host, the printer stack or the web app.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

#: The markets whose presets the demo can start (the four of business-rules.md).
MARKETS = ("si", "rs", "az", "fi")


@click.command()
@click.option(
    "--market",
    type=click.Choice(MARKETS),
    default="si",
    show_default=True,
    help="Which market's preset to demonstrate.",
)
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the demos' files (default var/demo); each market gets <dir>/<market>.",
)
@click.option("--host-port", default=8700, show_default=True, help="Port of the reference host.")
@click.option(
    "--printer-port", default=9100, show_default=True, help="ESC/POS port of the virtual printer."
)
@click.option(
    "--api-port",
    default=8780,
    show_default=True,
    help="Port of the kiosk's API and counter screen.",
)
def demo(
    market: str, folder: Path | None, host_port: int, printer_port: int, api_port: int
) -> None:
    """Start the reference host, the virtual printer and the kiosk: no hardware needed."""
    from kiosk_demo.peers import (
        DEFAULT_DIR,
        DemoPeers,
        DemoPorts,
        how_to_sell,
        market_folder,
        prepare_config,
        register_terminal,
        seed_demo_clerks,
    )
    from terminal.cli.sale import run_kiosk
    from terminal.web.slips import VirtualPrinterSlips

    ports = DemoPorts(host=host_port, printer=printer_port)
    where = market_folder((folder or DEFAULT_DIR).resolve(), market)
    config = prepare_config(where, market, ports)
    register_terminal(where / "host.sqlite", config, datetime.now(UTC).isoformat())
    seed_demo_clerks(config)
    peers = DemoPeers(where, ports).start()
    try:
        run_kiosk(
            config,
            bind="127.0.0.1",
            port=api_port,
            banner=lambda url: how_to_sell(config, peers, url),
            demo=True,
            # the result screen shows the slip the virtual printer really printed
            printed_slips=VirtualPrinterSlips(peers.printer),
            demo_peers=peers,
        )
    finally:
        peers.stop()


def register(main: click.Group) -> None:
    """What the ``kiosk.commands`` entry point calls: add ``demo`` to ``kiosk``."""
    main.add_command(demo)


__all__ = ["MARKETS", "demo", "register"]
