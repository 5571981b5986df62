#!/usr/bin/env bash
# Type-checks firmware/ and boards/ against the MicroPython ESP32 port's API
# (micropython-esp32-stubs + micropython-stdlib-stubs, which replace CPython's typeshed), so a
# call that exists only on CPython (time.monotonic, os.path...) fails here, not on a board.
# Pyright, not mypy: the stubs are written and tested for pyright (mypy reports errors inside
# the stub files themselves). Both tools are pinned and installed once under build/typecheck/.
# pyrightconfig.json: basic mode without reportOptionalMemberAccess (the gateway wires its parts
# after construction: attributes start as None, and MicroPython has no Optional to say so);
# boards/unix.py is excluded (it runs on the unix port, not an ESP32). A line the checker reads
# wrongly carries `# pyright: ignore[rule]`, never a blanket file-level switch.
set -euo pipefail
cd "$(dirname "$0")/.."
PYRIGHT_VERSION=1.1.414
STUBS="micropython-esp32-stubs==1.29.0.post1"
dir=build/typecheck
py=${PYTHON:-.venv/bin/python}
if [ ! -x "$dir/node_modules/.bin/pyright" ] || ! grep -q "\"$PYRIGHT_VERSION\"" \
        "$dir/node_modules/pyright/package.json" 2>/dev/null; then
    command -v npm >/dev/null || { echo "typecheck: npm is missing (tools/install-system-deps.sh)"; exit 2; }
    npm install --silent --no-audit --no-fund --prefix "$dir" "pyright@$PYRIGHT_VERSION" >/dev/null
fi
if [ ! -f "$dir/stubs/.$STUBS" ]; then
    rm -rf "$dir/stubs"
    "$py" -m pip install -q --disable-pip-version-check --target "$dir/stubs" "$STUBS"
    touch "$dir/stubs/.$STUBS"
fi
exec "$dir/node_modules/.bin/pyright" -p pyrightconfig.json "$@"
