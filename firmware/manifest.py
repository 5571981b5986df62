# MicroPython manifest: freezes the gateway into a firmware image, so its bytecode runs from
# flash instead of being loaded into the heap (the core gateway then needs under half the heap).
#
#   make -C ports/esp32 BOARD=ESP32_GENERIC FROZEN_MANIFEST=/path/to/smsgate/firmware/manifest.py
#
# Run the build with this repository's venv first on PATH (`. .venv/bin/activate`): microdot
# is frozen from the pip-installed package (the version `smsgate install` ships), found with the
# Python that runs the manifest; set MICRODOT_DIR to a microdot package folder to use another.
# microdot is not in micropython-lib, and the pip package needs no network during the build.
# main.py is not frozen (a frozen main.py would run instead of the one on the flash): after
# flashing the image, `smsgate install --frozen` writes main.py and removes the compiled modules
# of an earlier install, which would be imported instead of the frozen ones.
import importlib.util
import os

# The port's own frozen modules (asyncio, ...): passing FROZEN_MANIFEST replaces the board's
# default manifest, so it is included here. The unix port keeps its default elsewhere:
# tools/build-micropython.sh includes it, then this file with port_manifest=None.
options.defaults(port_manifest="$(PORT_DIR)/boards/manifest.py")
if options.port_manifest:
    include(options.port_manifest)

# The firmware package, every sub-package included.
package("smsgw")

# Every board module: config.json's "board" picks one at boot; unfrozen ones cost flash only.
package("boards", base_path="..")


def _microdot_dir():
    if os.environ.get("MICRODOT_DIR"):
        return os.environ["MICRODOT_DIR"]
    spec = importlib.util.find_spec("microdot")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("firmware/manifest.py: microdot not found; activate the smsgate venv "
                         "or set MICRODOT_DIR")
    return list(spec.submodule_search_locations)[0]


# The modules of microdot the firmware imports (smsgate.bundle.LIBRARIES: the core only).
package("microdot", files=["__init__.py", "microdot.py"],
        base_path=os.path.dirname(_microdot_dir()))
