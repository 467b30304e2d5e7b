"""``kiosk demo``: the reference host, the virtual printer and the kiosk together, no hardware.

The composition lives here, outside the product: the kiosk (``terminal``) never imports the
reference host (``hostsim``), so a counter's installation could leave both this package and
``hostsim`` out. ``kiosk`` finds the ``demo`` command through the ``kiosk.commands`` entry point
(setup.cfg), and the running kiosk sees the demo's peers only through
``terminal.devices.DemoControls``.

- :mod:`kiosk_demo.peers`: the per-market folder, config, clerks and the peers started together.
- :mod:`kiosk_demo.cli`: the ``kiosk demo`` command.
"""
