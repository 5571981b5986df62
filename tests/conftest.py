"""Puts tests/ on sys.path so every test package can `import helpers` (shared test helpers) and
`import alphabet` (the GSM alphabet as the spec prints it)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
