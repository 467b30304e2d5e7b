"""Slip templates (Jinja2), message catalogs (gettext via Babel) and the document renderer."""
