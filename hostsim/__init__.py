"""The reference host: the host protocol over HTTP with simulated operators and issuers."""
