# Host-only (never deployed): the virtual board's ROMFS partition, imported by vboot.py when the
# flash folder has `.romfs` (an image of smsgate.bundle.romfs_image). MicroPython mounts a board's
# ROMFS partition at /rom at start-up and puts /rom and /rom/lib on sys.path before /lib; the
# .mpy files in it run in place, their bytecode never copied to the heap. The unix port has no
# partition to map, so the image is read into one heap buffer here: `len(image)` bytes that a
# board keeps in flash (tools/benchlib/footprint.py subtracts them from the heap it measures).
import os
import sys

import vfs  # MicroPython's

sys.path.pop(0)  # vboot.py's entry for this folder
with open("/.romfs", "rb") as f:
    image = bytearray(os.stat("/.romfs")[6])
    f.readinto(image)
vfs.mount(vfs.VfsRom(image), "/rom")
sys.path[2:2] = ["/rom", "/rom/lib"]  # ['', '.frozen', '/rom', '/rom/lib', '/lib'] as on a board
del sys.modules["vbrom"]
