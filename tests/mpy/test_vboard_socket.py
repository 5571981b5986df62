# The virtual board's ESP32 `socket` stand-in (host/smsgate/vboard/mpy/esp32/socket.py): lwIP's
# budget of 10 sockets, ENFILE when out, accept dropping what it cannot place,
# the ESP32's address tuples.
import sys

sys.path.insert(0, "host/smsgate/vboard/mpy/esp32")
import os  # noqa: E402
import socket  # noqa: E402 - the stand-in, before asyncio imports the built-in

import fsutil  # noqa: E402
import localnet  # noqa: E402
import waits  # noqa: E402

_dir = fsutil.scratch("vbsock")
socket._STATUS = _dir + "/sockets.json"
socket._LIMIT = _dir + "/lwip.json"


def _enfile(fn):
    try:
        fn()
    except OSError as e:
        assert e.errno == 23, e
        return True
    return False


def test_the_eleventh_socket_is_enfile_until_one_is_closed():
    assert socket._open() == 0
    held = [socket.socket() for _ in range(socket.MAX_SOCKETS)]
    assert socket._open() == 10
    assert _enfile(socket.socket)
    assert _enfile(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))  # NTP's too
    held.pop().close()
    s = socket.socket()
    held.append(s)
    for s in held:
        s.close()
    assert socket._open() == 0


async def test_accept_drops_the_connection_it_cannot_place():
    with open(socket._LIMIT, "w") as f:
        f.write('{"max_sockets": 2}')  # a `free_ram` build has 6; 2 shows it sooner
    held = []

    async def hold(r, w):
        held.append(w)  # an API client that stays

    srv, port = await localnet.serve(hold)
    assert socket._open() == 1, socket._open()  # the listening socket: 1 of 2, nothing leaked
    outside = []  # clients on the host's own sockets, outside the board's budget
    try:
        for _ in range(2):
            c = socket._host.socket()
            c.connect(socket._host.getaddrinfo("127.0.0.1", port)[0][-1])
            outside.append(c)
        try:  # the 2nd found no descriptor (30 s: a busy machine starves this process)
            await waits.until(lambda: socket._refused == 1, 30000)
        except AssertionError:
            raise AssertionError("refused %d, open %d, held %d, peak %d" % (
                socket._refused, socket._open(), len(held), socket._peak))
        assert len(held) == 1 and socket._open() == 2
        assert outside[1].recv(1) == b""  # closed by the board without a word
    finally:
        for c in outside:
            c.close()
        for w in held:
            await w.wait_closed()
        srv.close()
        await srv.wait_closed()
        os.remove(socket._LIMIT)
    assert socket._open() == 0


def test_the_esp32_address_forms():
    assert socket.getaddrinfo("localhost", 80)[0][-1] == ("127.0.0.1", 80)
    assert not hasattr(socket, "SO_REUSEPORT") and not hasattr(socket, "AF_UNIX")
    s = socket.socket()
    try:
        assert not hasattr(s, "fileno")
    finally:
        s.close()
