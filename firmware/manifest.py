# MicroPython manifest: freezes the gateway into a firmware image, so its bytecode runs from
# flash instead of being loaded into the heap (the core gateway then needs under half the heap).
#
#   make -C ports/esp32 BOARD=ESP32_GENERIC FROZEN_MANIFEST=/path/to/smsgate/firmware/manifest.py
#
# main.py is not frozen (a frozen main.py would run instead of the one on the flash): after
# flashing the image, `smsgate install --frozen` writes main.py and removes the compiled modules
# of an earlier install, which would be imported instead of the frozen ones.

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

