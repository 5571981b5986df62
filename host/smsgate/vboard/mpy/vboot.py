# Host-only boot script of the virtual board (never deployed): what the ESP32's ROM and
# MicroPython's startup do before the REPL. Run as
#   micropython -X heapsize=N -i vboot.py FLASH_DIR RUN_MAIN RESET_CAUSE [PERSONALITY [romfs]]
# It installs the `machine` and `os` stand-ins, mounts FLASH_DIR at `/` (os.VfsPosix) and the
# host's /dev at /dev (the modem's pty stands for a real board's UART), sets sys.path like the
# ESP32, runs /boot.py and (when RUN_MAIN is 1) /main.py, then `-i` gives the REPL.
# "romfs": the board has a ROMFS partition, FLASH_DIR/.romfs (vbrom.py mounts it at /rom).
# PERSONALITY "esp32" adds the ESP32 port's modules (esp32/): `time` counting from 2000 by an
# RTC, machine.Pin/ADC/UART/I2C/WDT/RTC, and `network`/`ntptime` importable on demand.
import sys

_vb_dir = sys.argv[0].rsplit("/", 1)[0]
sys.path.insert(0, _vb_dir)
_vb_esp32 = len(sys.argv) > 4 and sys.argv[4] == "esp32"
if _vb_esp32:
    sys.path.insert(0, _vb_dir + "/esp32")
    import time  # noqa: F401 - the stand-in, before anything imports the built-in
import machine  # noqa: E402 - the stand-ins from this folder (machine.reset, os.rename)
import os  # noqa: E402

if _vb_esp32:
    import vbhw

    vbhw.install(machine)
    del vbhw

machine._cause = int(sys.argv[3])
os.mount(os.VfsPosix(sys.argv[1]), "/")
os.mount(os.VfsPosix("/dev"), "/dev")  # the host's devices: the modem pty is /dev/pts/N
# The host's whole tree, so a modem port can name the simulator's own link (which vanishes with
# the simulator) instead of the /dev/pts/N behind it (which the kernel hands to the next pty).
os.mount(os.VfsPosix("/"), "/host")
os.chdir("/")
sys.stdout.write("\x00vboard-up\x00")  # the bridge may now deliver Ctrl-C
sys.path[:] = ["", ".frozen", "/lib"]
if len(sys.argv) > 5:
    sys.path.insert(0, "/host" + _vb_dir)
    import vbrom  # noqa: F401 - mounts /rom, then takes itself off sys.path and sys.modules
if _vb_esp32:  # network, ntptime: built in (or frozen) on an ESP32, imported from the host here
    sys.path.append("/host" + _vb_dir + "/esp32")
del _vb_dir, _vb_esp32
_run_main = sys.argv[2] == "1"
sys.argv[:] = [""]


def _vb_run(name):
    try:
        os.stat(name)
    except OSError:
        return
    try:
        execfile(name)  # noqa: F821 (a MicroPython unix-port builtin)
    except KeyboardInterrupt as exc:
        sys.print_exception(exc)
    except SystemExit as exc:
        # machine.reset() / sys.exit() in main.py reboot an ESP32, but the unix port run with
        # -i drops to the REPL instead of exiting, and it has no os._exit: the interpreter ends
        # itself with a signal (the shell's parent is this process) that tells the bridge the
        # kind of reboot: SIGUSR2 (12) soft (sys.exit(0), machine.soft_reset()), SIGKILL hard.
        code = exc.args[0] if exc.args else 0
        os.system("kill -%d $PPID" % (12 if code in (0, None, machine._EXIT_SOFT) else 9))
        raise
    except Exception as exc:
        sys.print_exception(exc)


_vb_run("boot.py")
if _run_main:
    _vb_run("main.py")
del _vb_run, _run_main
