# The virtual board's pins (JSON files shared with the host) and reset.
import json

from boards.unix import Board
from fsutil import scratch
from smsgw.fstree import rmtree


def _board():
    d = scratch("unixboard")
    return d, Board({"data_dir": d, "modem": {"port": "/dev/null"}})


def test_inputs_from_pins_json_and_pull_idle():
    d, b = _board()
    b.pin(4, "in", "up")
    b.pin(5, "in", None)
    assert b.read_pin(4) == 1 and b.read_pin(5) == 0  # no file yet: the pull level
    with open(d + "/.pins.json", "w") as f:
        json.dump({"4": 0, "5": 1, "35": 2048}, f)
    assert b.read_pin(4) == 0 and b.read_pin(5) == 1 and b.read_adc(35) == 2048
    rmtree(d)


def test_outputs_written_whole():
    d, b = _board()
    b.write_pin(13, 1)
    b.write_pin(12, 0)
    with open(d + "/.outputs.json") as f:
        assert json.load(f) == {"13": 1, "12": 0}
    rmtree(d)


async def test_power_and_no_wifi_and_pwrkey():
    d, b = _board()
    assert await b.modem_power(False) is False and b.wifi is False
    await b.pwrkey_pulse()
    with open(d + "/.outputs.json") as f:
        assert json.load(f)["pwrkey"] == 0
    rmtree(d)


def test_reset_exits_with_status_3():
    d, b = _board()
    try:
        b.reset()
        raise AssertionError("reset returned")
    except SystemExit as e:
        assert e.args[0] == 3
    rmtree(d)
