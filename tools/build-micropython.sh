#!/bin/sh
# Build, from a MicroPython source tree, what the 32-bit footprint figures are measured with:
#   build/mp32/mpy-cross/mpy-cross        the matching mpy-cross
#   build/mp32/unix/micropython           the unix port, 32-bit (i686), standard variant
#   build/mp32/unix-frozen/micropython    the same port with the firmware frozen
#                                         (FROZEN_MANIFEST=firmware/manifest.py)
# A 32-bit build has the object sizes of an ESP32 (4-byte pointers and words), so its heap
# figures stand for a board's; the 64-bit port the tests use needs about 1.4x as much.
# The unix port's variants have ROMFS (`vfs.VfsRom`, MICROPY_VFS_ROM in mpconfigvariant_common.h)
# but no partition (`vfs.rom_ioctl` only in the coverage variant, an empty image): the virtual
# board mounts its `.romfs` file itself (host/smsgate/vboard/mpy/vbrom.py), so the standard
# build measures the ROMFS route too (`smsgate install --romfs`) and no variant is needed.
#
# Usage: MICROPY_DIR=/path/to/micropython tools/build-micropython.sh
# Needs: gcc-i686-linux-gnu (cross compiler) and libc6-i386 (to run the result), and the tree's
# lib/micropython-lib submodule (the standard variant freezes modules from it). Not run by CI:
# the MicroPython sources are not part of this repository.
#
# Features the firmware never imports are switched off so no other submodule is needed:
# ffi (would need libffi for i386), btree (berkeley-db), ssl (mbedtls; the firmware imports ssl
# only for https/mqtts URLs, which the measured scenarios do not use). Object sizes and the
# heap the interpreter starts with do not depend on them.
# Extra make variables can be passed in MAKEFLAGS_MP (e.g. MAKEFLAGS_MP="MICROPY_PY_SSL=1").
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
: "${MICROPY_DIR:?set MICROPY_DIR to a MicroPython source tree (git clone of micropython/micropython)}"
MICROPY_DIR=$(cd "$MICROPY_DIR" && pwd)
OUT=${MP32_OUT:-$REPO/build/mp32}
CROSS=${CROSS_COMPILE:-i686-linux-gnu-}
JOBS=${JOBS:-2}

[ -f "$MICROPY_DIR/ports/unix/Makefile" ] || {
    echo "build-micropython: $MICROPY_DIR is not a MicroPython source tree" >&2; exit 2; }
[ -f "$MICROPY_DIR/lib/micropython-lib/README.md" ] || {
    echo "build-micropython: $MICROPY_DIR/lib/micropython-lib is empty" \
         "(git submodule update --init lib/micropython-lib)" >&2; exit 2; }
command -v "${CROSS}gcc" >/dev/null || {
    echo "build-micropython: ${CROSS}gcc not found (apt-get install gcc-i686-linux-gnu" \
         "libc6-i386)" >&2; exit 2; }

MICROPY_MPYCROSS="$OUT/mpy-cross/mpy-cross"
export MICROPY_MPYCROSS  # the ports' makefiles and makemanifest.py use this one
OPTS="CROSS_COMPILE=$CROSS MICROPY_PY_FFI=0 MICROPY_PY_BTREE=0 MICROPY_PY_SSL=0"
OPTS="$OPTS ${MAKEFLAGS_MP:-}"

echo "== mpy-cross (host) -> $MICROPY_MPYCROSS"
make -j"$JOBS" -C "$MICROPY_DIR/mpy-cross" BUILD="$OUT/mpy-cross"

echo "== unix port, 32-bit, standard variant -> $OUT/unix/micropython"
# shellcheck disable=SC2086
make -j"$JOBS" -C "$MICROPY_DIR/ports/unix" $OPTS BUILD="$OUT/unix"

echo "== unix port, 32-bit, firmware frozen -> $OUT/unix-frozen/micropython"
# The manifest list changes whenever a firmware module is added: always regenerate it.
rm -rf "$OUT/unix-frozen/frozen_content.c" "$OUT/unix-frozen/frozen_mpy"
# The unix port keeps its default frozen modules (asyncio, ...) in its variant's manifest, not
# where firmware/manifest.py looks for an ESP32's: a two-line manifest names both.
mkdir -p "$OUT/unix-frozen"
printf '%s\n' 'include("$(PORT_DIR)/variants/standard/manifest.py")' \
    "include(\"$REPO/firmware/manifest.py\", port_manifest=None)" >"$OUT/unix-frozen/manifest.py"
# shellcheck disable=SC2086
make -j"$JOBS" -C "$MICROPY_DIR/ports/unix" $OPTS BUILD="$OUT/unix-frozen" \
    FROZEN_MANIFEST="$OUT/unix-frozen/manifest.py"

cat >"$OUT/README" <<EOF
Built by tools/build-micropython.sh from $MICROPY_DIR
($(git -C "$MICROPY_DIR" describe --tags --always 2>/dev/null || echo "not a git tree"))
make variables: $OPTS
EOF
for b in unix unix-frozen; do
    "$OUT/$b/micropython" -c "import sys, vfs; print('$b:', sys.version, 'maxsize', sys.maxsize,
'ROMFS', hasattr(vfs, 'VfsRom'))"
done
