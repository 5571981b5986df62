"""smsgate host package: CLI, modem simulator, virtual board and provisioning tools."""

__version__ = "0.1.0"
