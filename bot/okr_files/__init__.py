"""OKR files: YAML with line numbers, field checks, import, export and the coach's notes on a file."""
