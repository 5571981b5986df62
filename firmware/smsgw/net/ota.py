# Over-the-air updates with rollback (optional feature, config section `ota`).
#
# Two firmware slots beside what `smsgate install` writes at the root ("root"): /fw/a and
# /fw/b, each a complete tree (smsgw/, boards/, lib/, www/). /fw/state (JSON, replaced
# atomically; smsgw/slot.py reads it) names the slot main.py boots: {"run", "prev", "trying",
# "boots", "from", "to", "last"}.
# An update is staged in the slot that is not running, file by file, each checked against the
# manifest's sha256; the manifest is signed (HMAC-SHA256, under the device's update key
# `ota.key`, of the manifest's sha256 hex) and refused before anything is staged. Commit = one
# rename of /fw/state ("trying": the new slot), then a reset. The new version runs on probation:
# it confirms itself once the modem is ready and the HTTP server serves, within probation_s;
# else it writes the previous slot back and resets; a version that crashes, hangs (watchdog) or
# loses power before confirming is rolled back by main.py after its second boot. The message
# queue (queue.dir) is never touched: a power cut at any moment leaves a complete version and
# the queue intact.
#
# Manifest (text, kept in flash and read line by line, never whole in RAM):
#   smsgate-ota 1 / version <v> / file <path> <sha256 hex> <size>  (one line each)
# API (Basic auth as the rest): GET /ota (versions, slot, last outcome), GET /ota/files
# ({path: sha256} of the running slot), PUT /ota/manifest?offset=N and PUT /ota/file?path=P&
# offset=N (chunks of at most http.max_body bytes appended at N: a lost answer is retried without
# harm), POST /ota/begin {"signature": hex}, POST /ota/commit (202, then the reset).
import asyncio
import os

from micropython import const

from smsgw.fsutil import chunks, exists, makedirs, write_atomic
from smsgw.fstree import rmtree, walk
from smsgw.slot import STATE, read_state, slot_dir

_CODE_DIRS = ("smsgw", "boards", "lib", "www")  # a slot; config and queue stay at the root
_MAX_FILES = const(300)
_READ = const(512)
DEFAULTS = {"key": None, "probation_s": 120}
_NUMS = {"probation_s": (5, 3600)}


def validate(value, key="ota"):
    """Check the `ota` section; return it merged over DEFAULTS (ConfigError names the key)."""
    from smsgw.errors import ConfigError
    from smsgw.section import check_section

    def check_other(name, k, v):
        if not isinstance(v, str) or len(v) < 16:
            raise ConfigError(name, "must be a string of at least 16 characters")

    out = check_section({} if value is None else value, key, DEFAULTS, _NUMS, check_other)
    if out["key"] is None:
        raise ConfigError(key + ".key", "is required (the per-device update key)")
    return out


# -- slots and state -----------------------------------------------------------------------------
def write_state(st):
    import json

    makedirs("/fw")
    write_atomic(STATE, json.dumps(st))


def files_of(slot):
    """{relative path: sha256 hex} of the code files of `slot`."""
    base = slot_dir(slot)
    out = {}
    cut = len(base) + 1
    for d in _CODE_DIRS:
        for p, is_dir in walk(base + "/" + d):
            if not is_dir and not p.endswith(".tmp"):
                out[p[cut:]] = sha256_file(p)
    return out


def sha256_file(path):
    import binascii
    import hashlib

    h = hashlib.sha256()
    for piece in chunks(path, _READ):
        h.update(piece)
    return binascii.hexlify(h.digest()).decode()


def _copy(src, dst):
    with open(dst, "wb") as out:
        for piece in chunks(src, _READ):
            out.write(piece)


def _safe_path(p):
    # a manifest path: relative, below a code directory, no "..", printable
    if not 0 < len(p) <= 120 or p.split("/", 1)[0] not in _CODE_DIRS:
        return False
    return ".." not in p.split("/") and "//" not in p and all(32 < ord(c) < 127 for c in p)


def manifest_entries(path):
    """Yield (path, sha256, size) of a manifest file; ValueError names a bad line."""
    with open(path) as f:
        if f.readline().strip() != "smsgate-ota 1":
            raise ValueError("manifest: not an smsgate-ota 1 manifest")
        f.readline()  # version
        n = 0
        for line in f:
            w = line.split()
            n += 1
            if (len(w) != 4 or w[0] != "file" or not _safe_path(w[1]) or len(w[2]) != 64
                    or not w[3].isdigit() or n > _MAX_FILES):
                raise ValueError("manifest: line %d" % (n + 2))
            yield w[1], w[2], int(w[3])


def _append_at(path, offset, data, limit):
    # one chunk of an upload, appended where the file ends: a retried chunk is answered 409 with
    # the size to go on from, never written twice
    try:
        size = os.stat(path)[6]
    except OSError:
        size = 0
    if offset != size:
        return 409, {"message": "offset must be %d" % size, "size": size}
    if size + len(data) > limit:
        return 400, {"message": "larger than %d bytes" % limit}
    with open(path, "ab") as f:
        f.write(data)
    return 200, {"size": size + len(data)}


def manifest_version(path):
    with open(path) as f:
        f.readline()
        w = f.readline().split()
    if len(w) != 2 or w[0] != "version":
        raise ValueError("manifest: version")
    return w[1]


INCOMING = "/fw/incoming.manifest"


class Updater:
    """The update endpoints and the probation of a freshly switched version."""

    def __init__(self, ctx, cfg):
        self.ctx = ctx
        self.cfg = validate(cfg)
        self.begun = False  # a verified manifest is staged
        st = read_state()
        self.run = st.get("run", "root")
        self.stage = "b" if self.run == "a" else "a"
        self.probation = None  # "running" while this version is on trial

    # -- staging -------------------------------------------------------------------------------
    def put_manifest(self, offset, data):
        makedirs("/fw")
        if offset == 0:  # a new manifest: whatever was staged before is void
            self.begun = False
            with open(INCOMING, "wb"):
                pass
        return _append_at(INCOMING, offset, data, 1 << 15)

    def begin(self, body):
        from smsgw.hmac import sha256_hex

        sig = body.get("signature") if isinstance(body, dict) else None
        if not exists(INCOMING):
            return 409, {"message": "no manifest (PUT /ota/manifest first)"}
        if not isinstance(sig, str) or sha256_hex(self.cfg["key"], sha256_file(INCOMING)) != sig:
            return 403, {"message": "bad signature: not signed with this device's update key"}
        if read_state().get("trying"):
            return 409, {"message": "an update is on probation; wait for its outcome"}
        try:
            version = manifest_version(INCOMING)
            for _ in manifest_entries(INCOMING):  # the whole manifest is valid before staging
                pass
        except ValueError as e:
            return 400, {"message": str(e)}
        base = slot_dir(self.stage)
        rmtree(base)
        makedirs(base)
        need = []
        run = slot_dir(self.run)
        for p, sha, _size in manifest_entries(INCOMING):
            makedirs(base + "/" + p.rsplit("/", 1)[0])
            if exists(run + "/" + p) and sha256_file(run + "/" + p) == sha:
                _copy(run + "/" + p, base + "/" + p)  # unchanged: copied here, not sent again
            else:
                need.append(p)
        self.begun = True
        return 200, {"slot": self.stage, "need": need, "version": version}

    def _entry(self, path):
        for p, sha, size in manifest_entries(INCOMING):
            if p == path:
                return sha, size
        return None

    def put(self, path, offset, data):
        e = self._entry(path) if self.begun and isinstance(path, str) else None
        if e is None:
            return 404, {"message": "not a file of the staged update"}
        full = slot_dir(self.stage) + "/" + path
        status, obj = _append_at(full, offset, data, e[1])
        if status == 200 and obj["size"] == e[1] and sha256_file(full) != e[0]:
            os.remove(full)
            return 400, {"message": "sha256 of %s differs from the manifest" % path}
        return status, obj

    def commit(self):
        if not self.begun:
            return 409, {"message": "no staged update (POST /ota/begin first)"}
        base = slot_dir(self.stage)
        for p, sha, _size in manifest_entries(INCOMING):
            if not exists(base + "/" + p) or sha256_file(base + "/" + p) != sha:
                return 400, {"message": "%s is missing or incomplete" % p}
        from smsgw import VERSION

        to = manifest_version(INCOMING)
        write_state({"run": self.stage, "prev": self.run, "trying": True, "boots": 0,
                     "from": VERSION, "to": to, "last": read_state().get("last")})
        self.begun = False
        asyncio.create_task(self._reset(0.5))  # after the 202 has gone out
        return 202, {"from": VERSION, "to": to, "slot": self.stage}

    async def _reset(self, delay_s):
        await asyncio.sleep(delay_s)  # the answer goes out first
        try:  # between AT commands: a part being sent finishes first
            await asyncio.wait_for(self.ctx.at.hold(), 90)
        except asyncio.TimeoutError:
            pass
        from smsgw.resets import expect

        expect(self.ctx.cfg["queue"]["dir"], "update")  # not counted as an unexpected reset
        self.ctx.board.reset()

    # -- probation -----------------------------------------------------------------------------
    def start_probation(self):
        st = read_state()
        if st.get("trying") and st.get("run") == self.run:
            self.probation = "running"
            return asyncio.create_task(self._probation(st))
        return None

    async def _probation(self, st):
        deadline = self.cfg["probation_s"] * 1000
        import time

        t0 = time.ticks_ms()
        app = self.ctx.app
        # safe mode (smsgw.startup): this version reset the board early again and again; one
        # that runs only without its features is not confirmed
        safe = self.ctx.safe
        while not safe and time.ticks_diff(time.ticks_ms(), t0) < deadline:
            if self.ctx.ready.is_set() and getattr(app, "server", None) is not None:
                return self._settle(st, "ok", None)
            await asyncio.sleep_ms(200)
        why = "probation: safe mode" if safe else "probation: %s within %d s" % (
            "modem not ready" if not self.ctx.ready.is_set() else "HTTP server not serving",
            self.cfg["probation_s"])
        self._settle(st, "rolled back", why)
        await self._reset(0.2)

    def _settle(self, st, result, why):
        last = {"from": st.get("from"), "to": st.get("to"), "result": result}
        if why:
            last["reason"] = why
            new = {"run": st.get("prev", "root"), "prev": st.get("run"), "last": last}
        else:
            new = {"run": st.get("run"), "prev": st.get("prev"), "last": last}
        write_state(new)
        self.probation = result
        from smsgw import events, log

        log.info("update %s -> %s: %s", last["from"], last["to"], why or result)
        events.emit("system:update", last)

    def info(self):
        from smsgw import VERSION

        st = read_state()
        return {"version": VERSION, "slot": self.run,
                "previous": st.get("from") if st.get("run") == self.run else None,
                "previousSlot": st.get("prev"), "probation": self.probation,
                "last": st.get("last")}

    def health_check(self):
        inf = self.info()
        last = inf["last"] or {}
        bad = last.get("result") == "rolled back" or self.probation == "running"
        desc = "firmware %s (slot %s)" % (inf["version"], inf["slot"])
        if last:
            desc += "; last update %s -> %s: %s" % (last.get("from"), last.get("to"),
                                                    last.get("reason") or last.get("result"))
        return {"description": desc, "observedValue": inf["version"],
                "status": "warn" if bad else "pass"}


def add_routes(app, up):
    from smsgw.net.api import error, json_body, reply

    @app.route("/ota", methods=["GET"])
    async def _info(req):
        return up.info()

    @app.route("/ota/files", methods=["GET"])
    async def _files(req):
        return files_of(up.run)

    def _chunk(req):
        try:
            offset = int(req.args.get("offset", "0"))
        except ValueError:
            return None, error(400, "offset must be a number")
        return offset, None

    @app.route("/ota/manifest", methods=["PUT"])
    async def _manifest(req):
        offset, bad = _chunk(req)
        if bad:
            return bad
        status, obj = up.put_manifest(offset, req.body or b"")
        return reply(obj, status)

    @app.route("/ota/begin", methods=["POST"])
    async def _begin(req):
        try:
            body = json_body(req)
        except ValueError as exc:
            return error(400, str(exc))
        status, obj = up.begin(body)
        return reply(obj, status)

    @app.route("/ota/file", methods=["PUT"])
    async def _put(req):
        offset, bad = _chunk(req)
        if bad:
            return bad
        status, obj = up.put(req.args.get("path"), offset, req.body or b"")
        return reply(obj, status)

    @app.route("/ota/commit", methods=["POST"])
    async def _commit(req):
        status, obj = up.commit()
        return reply(obj, status)


def start(ctx):
    """Feature entry point (smsgw.startup): routes, /health check `firmware`, the probation."""
    up = Updater(ctx, ctx.cfg["ota"])
    add_routes(ctx.app, up)
    ctx.health_checks["firmware"] = up.health_check
    t = up.start_probation()
    if t is not None:
        ctx.tasks.append(t)
    return up
