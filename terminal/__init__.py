"""The counter terminal: config, money, tariffs, validation and the slip-first sale service."""
