"""Targeting strategies. Each is a frozen dataclass whose fields are its config (conf/strategy/*.yaml)."""
