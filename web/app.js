// The gateway's page: plain JS over the authenticated JSON API (Basic auth; the password
// stays in this tab's sessionStorage). Every endpoint beyond the core ones is optional: a 404
// hides its part. Data is rendered with textContent only (SMS text is untrusted).
(function () {
  "use strict";
  var PAGE = 10, TICK_MS = 3000;
  var $ = function (id) { return document.getElementById(id); };
  if (!$("app")) return;  // loaded without the page's markup (the counter's test): SMS only
  var store = function (v) {  // sessionStorage when the browser allows it
    try {
      if (v === undefined) return sessionStorage.getItem("auth");
      if (v === null) sessionStorage.removeItem("auth"); else sessionStorage.setItem("auth", v);
    } catch (e) { return null; }
  };
  var auth = store();
  var pages = {ob: 0, ib: 0}, totals = {ob: 0, ib: 0};
  var timer = null, busy = false, device, alertKey = "", hooksOn = false, scanned = false;

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c != null) e.append(c); });
    return e;
  }

  function b64(s) {  // btoa for any Unicode password
    var bin = "";
    new TextEncoder().encode(s).forEach(function (b) { bin += String.fromCharCode(b); });
    return btoa(bin);
  }

  function note(msg) { $("note").textContent = msg || ""; }

  // A request the board did not answer (rebooting, out of reach) rejects with NO_ANSWER; where
  // its caller does not catch it, the note says so instead of an uncaught error.
  var NO_ANSWER = new Error("The gateway does not answer; retrying.");
  var noAnswer = function () { throw NO_ANSWER; };
  window.addEventListener("unhandledrejection", function (ev) {
    if (ev.reason === NO_ANSWER) { ev.preventDefault(); note(NO_ANSWER.message); }
  });

  // One API call: {status, body, total}. A 401 logs out.
  function api(method, path, body) {
    var h = {"Authorization": "Basic " + auth, "X-Requested-With": "smsgate-web"};
    if (body !== undefined) h["Content-Type"] = "application/json";
    return fetch(path, {method: method, headers: h, cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body)})
      .then(function (r) {
        return r.text().catch(noAnswer).then(function (t) {
          var j = null;
          try { j = t ? JSON.parse(t) : null; } catch (e) { j = {message: t}; }
          if (r.status === 401 && auth) logout("Wrong user or password.");
          return {status: r.status, body: j, total: +(r.headers.get("X-Total-Count") || 0),
            retry: +(r.headers.get("Retry-After") || 0)};
        });
      }, noAnswer);
  }

  function errText(r) {
    return (r.body && r.body.message) || ("HTTP " + r.status);
  }

  // -- log in / out ---------------------------------------------------------------------
  function logout(msg) {
    auth = null;
    device = undefined;
    $("dev-btn").hidden = false;
    alertKey = "";
    store(null);
    clearInterval(timer);
    $("app").hidden = true; $("nav").hidden = true; $("login").hidden = false;
    $("login-err").textContent = msg || "";
    $("pass").value = "";
    $("pass").focus();
  }

  $("login-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    auth = b64($("user").value + ":" + $("pass").value);
    $("login-err").textContent = "";
    api("GET", "/messages?limit=1").then(function (r) {
      if (r.status === 200) {
        store(auth);
        start();
      } else if (r.status !== 401) {
        $("login-err").textContent = errText(r);
      }
    }, function () { $("login-err").textContent = "The gateway does not answer."; });
  });
  $("logout").addEventListener("click", function () { logout(""); });

  function start() {
    $("login").hidden = true; $("app").hidden = false; $("nav").hidden = false;
    refresh().then(loadSettings);  // settings once per login, not per tick
    clearInterval(timer);
    timer = setInterval(function () { if (!document.hidden) refresh(); }, TICK_MS);
  }

  function refresh() {
    if (busy || !auth) return Promise.resolve();
    busy = true;  // one request at a time: the board has few sockets
    return loadStatus().then(loadOutbox).then(loadInbox)
      .catch(function () { note(NO_ANSWER.message); })
      .then(function () { busy = false; });
  }

  // -- status ---------------------------------------------------------------------------
  function dur(s) {
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return (d ? d + "d " : "") + (d || h ? h + "h " : "") + m + "m " + (s % 60) + "s";
  }
  function kb(n) {
    return n >= 1048576 ? (n / 1048576).toFixed(1) + " MB" : (n / 1024).toFixed(1) + " KB";
  }
  function signal(csq) {
    if (csq == null || csq === 99) return "unknown";
    var bars = csq >= 20 ? 4 : csq >= 15 ? 3 : csq >= 10 ? 2 : csq >= 5 ? 1 : 0;
    return "▮".repeat(bars) + "▯".repeat(4 - bars) + "  CSQ " + csq + " (" +
      (-113 + 2 * csq) + " dBm)";
  }
  var SHOWN = {
    modem: ["Modem", function (v) { return v ? "ready" : "not ready"; }],
    registration: ["Registration", function (v) { return v ? "registered" : "not registered"; }],
    signal: ["Signal", signal],
    "queue:depth": ["Queue", function (v) { return v + " waiting"; }],
    "messages:failed": ["Failed (1 h)", String],
    "storage:free": ["Free flash", kb],
    "memory:heap": ["Heap", function (v) {
      return Array.isArray(v) ? kb(v[0]) + " now, " + kb(v[1]) + " peak" : String(v); }],
    uptime: ["Uptime", dur],
    recovery: ["Modem recoveries", String],
    alert: ["Alert unit", function (v) {  // its rules: the Alerts section
      var r = v.rules || {}, open = Object.keys(r).filter(function (k) {
        return r[k] === "alert" || r[k] === "done"; });
      return (open.length ? "open: " + open.join(", ") : "no open alert") + " · " +
        (v.alerts || 0) + " alerts, " + (v.acks || 0) + " acknowledged since boot";
    }],
    wifi: ["Wi-Fi", function (v) {  // ESP32 boards (net/wifi.py)
      if (v.connected) return v.ssid + ", " + v.rssi + " dBm, " + v.ip + " (" + v.name + ")";
      return (v.ssid ? "not joined to " + v.ssid : "no network configured") +
        (v.ap ? "; setup access point " + v.ap + " open" : "");
    }]
  };

  var DEV = [["name", "Device"], ["id", "Device id"], ["model", "Modem model"],
    ["imei", "IMEI"], ["operator", "Operator"], ["iccid", "SIM ICCID"],
    ["modemFirmware", "Modem firmware"], ["batteryMv", "Supply"]];

  function fmt(v) {
    if (v == null) return "–";
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }

  function loadStatus() {
    return api("GET", "/health").then(function (r) {
      var doc = r.body || {}, dl = $("st"), rows = [];
      var add = function (k, v, cls) {
        rows.push(el("dt", {text: k}), el("dd", cls ? {text: v, "class": cls} : {text: v}));
      };
      $("st-overall").textContent = doc.status || "";
      $("st-overall").className = doc.status || "";
      var checks = doc.checks || {};
      hooksOn = !!checks.webhooks;  // the feature runs (configured, or started by the API)
      Object.keys(SHOWN).forEach(function (k) {
        if (checks[k]) add(SHOWN[k][0], SHOWN[k][1](checks[k].observedValue), checks[k].status);
      });
      var ob = (doc.counters || {}).outbox;
      if (ob) add("Sent / failed", ob.sent + " / " + ob.failed + " since boot");
      Object.keys(checks).forEach(function (k) {  // feature checks: webhooks, mqtt, wifi ...
        if (!SHOWN[k] && k !== "firmware") add(k, fmt(checks[k].observedValue), checks[k].status);
      });
      if (device) DEV.forEach(function (f) {  // GET /device: what /health does not say
        var v = device[f[0]];
        if (v != null) add(f[1], f[0] === "batteryMv" ? (v / 1000).toFixed(2) + " V" : fmt(v));
      });
      var al = checks.alert && checks.alert.observedValue;  // the alert unit's rule states
      var ak = al && al.rules ? JSON.stringify(al.rules) : "";
      if (ak !== alertKey) { alertKey = ak; if (ak) loadAlerts(); else showAlerts(false); }
      var fw = checks.firmware;  // with updates over Wi-Fi: version, slot, the last update's outcome
      if (fw) add("Firmware", fw.description, fw.status);
      else if (doc.version) add("Firmware", doc.version);
      var wifi = checks.wifi && checks.wifi.description || "";
      $("setup").hidden = !/setup access point|no network configured/.test(wifi);
      if (!$("setup").hidden && !scanned) { scanned = true; scan(0); }  // first setup: list them
      dl.replaceChildren.apply(dl, rows);
    });
  }

  // GET /device on request only: its module stays in the board's heap once imported (~15 KB
  // on the 64-bit unix port), a cost the plain status should not pay.
  $("dev-btn").addEventListener("click", function () {
    var btn = $("dev-btn");
    btn.disabled = true;  // it asks the modem: takes a moment
    api("GET", "/device").then(function (r) {  // an object, or a list of one (the app's)
      var d = r.status === 200 && r.body;
      if (Array.isArray(d)) d = d[0];
      if (d && typeof d === "object") { device = d; btn.hidden = true; }
      else note(r.status === 404 ? "This firmware has no device endpoint." : errText(r));
      btn.disabled = false;
      if (!busy) refresh();
    });
  });

  // -- send -----------------------------------------------------------------------------
  function counter() {
    var c = SMS.count($("text").value);
    $("counter").textContent = c.encoding + " · " + c.left + " characters left · " +
      c.parts + (c.parts === 1 ? " part" : " parts") + (c.tooLong ? " · too long" : "");
  }
  $("text").addEventListener("input", counter);
  counter();

  $("send-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var to = $("to").value.split(/[\s,;]+/).filter(Boolean);
    $("send-err").textContent = "";
    api("POST", "/message", {textMessage: {text: $("text").value}, phoneNumbers: to,
      withDeliveryReport: $("dr").checked}).then(function (r) {
      if (r.status !== 202) { $("send-err").textContent = errText(r); return; }
      note("Queued message " + r.body.id + ".");
      $("text").value = ""; counter();
      pages.ob = 0;
      if (!busy) loadOutbox();  // else the running refresh or the next tick shows it
    });
  });

  // -- lists ----------------------------------------------------------------------------
  function pager(list, reload) {
    var span = document.querySelector('.pager[data-list="' + list + '"]');
    var first = pages[list] * PAGE, n = totals[list];
    var go = function (d) {
      return function () { pages[list] += d; reload(); };
    };
    span.replaceChildren(
      el("button", {type: "button", "class": "small", "aria-label": "Previous page",
        text: "‹ Prev", onclick: go(-1)}),
      el("span", {text: n ? (first + 1) + "–" + Math.min(first + PAGE, n) + " of " + n : "none"}),
      el("button", {type: "button", "class": "small", "aria-label": "Next page",
        text: "Next ›", onclick: go(1)}));
    span.firstChild.disabled = first === 0;
    span.lastChild.disabled = first + PAGE >= n;
  }

  function when(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString();
  }

  var ORDER = ["Pending", "Processed", "Sent", "Delivered", "Failed", "Cancelled"];

  function loadOutbox() {
    var st = $("ob-state").value;
    return api("GET", "/messages?limit=" + PAGE + "&offset=" + pages.ob * PAGE +
        (st ? "&state=" + st : "")).then(function (r) {
      if (r.status !== 200) return;
      totals.ob = r.total;
      $("ob").replaceChildren.apply($("ob"), (r.body || []).map(function (m) {
        var rc = m.recipients || [], errs = rc.filter(function (x) { return x.error; });
        var times = ORDER.filter(function (s) { return (m.states || {})[s]; }).map(function (s) {
          return s + " " + when(m.states[s]);
        }).join(" · ");
        var cancel = m.state === "Pending" ? el("button", {type: "button", "class": "small",
          "aria-label": "Cancel message " + m.id, text: "Cancel",
          onclick: function () { cancelMsg(m.id); }}) : null;
        return el("tr", {"data-id": m.id}, [
          el("td", {text: when((m.states || {}).Pending)}),
          el("td", {text: rc.map(function (x) { return x.phoneNumber; }).join(", ")}),
          el("td", {"class": "st st-" + m.state, text: m.state}),
          el("td", {"class": "msg"}, [el("small", {text: times}),
            errs.length ? el("div", {"class": "fail", text: errs.map(function (x) {
              return x.phoneNumber + ": " + x.error; }).join("; ")}) : null]),
          el("td", {}, [cancel])]);
      }));
      pager("ob", loadOutbox);
    });
  }

  function cancelMsg(id) {
    api("DELETE", "/messages/" + encodeURIComponent(id)).then(function (r) {
      note(r.status === 200 ? "Cancelled " + id + "." : errText(r));
      loadOutbox();
    });
  }
  $("ob-state").addEventListener("change", function () { pages.ob = 0; loadOutbox(); });

  function loadInbox() {
    return api("GET", "/inbox?limit=" + PAGE + "&offset=" + pages.ib * PAGE).then(function (r) {
      if (r.status !== 200) return;
      totals.ib = r.total;
      $("ib").replaceChildren.apply($("ib"), (r.body || []).map(function (m) {
        var text = m.message != null ? m.message : m.text != null ? m.text : m.contentPreview;
        if (m.incomplete) text += "  [parts missing]";
        return el("tr", {}, [
          el("td", {text: when(m.receivedAt || m.createdAt)}),
          el("td", {text: m.phoneNumber || m.sender || ""}),
          el("td", {"class": "msg", text: text == null ? "" : text})]);
      }));
      pager("ib", loadInbox);
    });
  }

  // -- alert rules (GET /alerts when /health's alert check changes) -----------------------
  function showAlerts(on) { $("alerts").hidden = $("nav-al").hidden = !on; }

  function loadAlerts() {
    api("GET", "/alerts").then(function (r) {
      showAlerts(r.status === 200);
      if (r.status !== 200) return;
      $("al").replaceChildren.apply($("al"), r.body.map(function (a) {
        var open = a.state === "alert" || a.state === "done";
        return el("tr", {"data-rule": a.name}, [
          el("td", {text: a.name}),
          el("td", {"class": "st st-" + a.state, text: a.state}),
          el("td", {text: a.input == null ? "–" : a.input + (a.active ? " (active)" : "")}),
          el("td", {"class": "msg", text: (a.alerted.length ? "alerted " + a.alerted.join(", ")
            : "") + (a.since ? " · since " + when(a.since * 1000) : "") +
            (a.ackLocked ? " · SMS ACK locked (wrong codes)" : "")}),
          el("td", {}, [open ? el("button", {type: "button", "class": "small",
            "aria-label": "Acknowledge alert " + a.name, text: "Acknowledge",
            onclick: function () { ackAlert(a.name); }}) : null])]);
      }));
    });
  }

  function ackAlert(name) {
    api("POST", "/alerts/" + encodeURIComponent(name) + "/ack").then(function (r) {
      note(r.status === 200 ? "Alert " + name + " acknowledged." : errText(r));
      loadAlerts();
    });
  }

  // -- settings -------------------------------------------------------------------------
  var settings = null;
  function flat(obj, pre, out) {
    Object.keys(obj).forEach(function (k) {
      var v = obj[k], key = pre ? pre + "." + k : k;
      if (v && typeof v === "object" && !Array.isArray(v)) flat(v, key, out);
      else out.push([key, v]);
    });
    return out;
  }

  function loadSettings() {
    api("GET", "/settings").then(function (r) {
      var box = $("set");
      if (r.status !== 200 || !r.body) {
        box.replaceChildren(el("p", {"class": "mut",
          text: "This firmware does not expose settings over the API."}));
        return;
      }
      settings = flat(r.body, "", []);
      box.replaceChildren.apply(box, settings.map(function (kv, i) {
        var id = "set-" + i, v = kv[1], input;
        if (typeof v === "boolean") {
          input = el("input", {id: id, type: "checkbox"}); input.checked = v;
          return el("label", {"class": "inline", "for": id}, [input, kv[0]]);
        }
        input = el("input", {id: id, type: typeof v === "number" ? "number" : "text"});
        input.value = v == null ? "" : Array.isArray(v) ? v.join(", ") : v;
        return el("div", {}, [el("label", {"for": id, text: kv[0]}), input]);
      }));
      $("set-save").hidden = false;
    });
    if (!hooksOn) {  // asking would start the webhooks feature on the board (heap): not yet
      $("wh").replaceChildren(el("li", {"class": "mut", text: "none (the first webhook " +
        "registered through the API starts them)"}));
      return;
    }
    api("GET", "/webhooks").then(function (r) {
      var ul = $("wh");
      if (r.status !== 200 || !Array.isArray(r.body)) {
        ul.replaceChildren(el("li", {"class": "mut", text: "Webhooks are not enabled."}));
        return;
      }
      ul.replaceChildren.apply(ul, r.body.length ? r.body.map(function (w) {
        return el("li", {text: (w.event || "") + " → " + (w.url || "") + " (" + w.id + ")"});
      }) : [el("li", {"class": "mut", text: "none"})]);
    });
  }

  // GET /wifi/networks: the networks the board's radio hears, strongest first. A scan holds
  // the board for 2-3 s (a repeat within 30 s is answered from memory); while it joins a
  // network it cannot scan (503 + Retry-After): tried again a few times.
  function scan(tries) {
    $("scan").disabled = true;
    api("GET", "/wifi/networks").then(function (r) {
      var sel = $("nets"), nets = r.body;
      $("scan").disabled = false;
      $("wifi-err").textContent = r.status === 200 ? "" : r.status === 404 ?
        "This board has no Wi-Fi to scan with." : errText(r);
      if (r.status === 503 && r.retry && tries < 3) {
        $("scan").disabled = true;
        setTimeout(scan, r.retry * 1000, tries + 1);
      }
      if (r.status !== 200 || !Array.isArray(nets)) return;
      sel.replaceChildren.apply(sel, [el("option", {value: "", text: nets.length ?
        "choose one of " + nets.length : "none heard"})].concat(nets.map(function (n) {
        return el("option", {value: n.ssid, text: n.ssid + " (" + n.rssi + " dBm, " +
          n.security + ")"});
      })));
    });
  }
  $("scan").addEventListener("click", function () { scan(0); });
  $("nets").addEventListener("change", function () {
    if ($("nets").value) $("ssid").value = $("nets").value;
  });

  $("wifi-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var ssid = $("ssid").value;
    api("POST", "/wifi", {ssid: ssid, password: $("wifi-pass").value}).then(function (r) {
      $("wifi-err").textContent = r.status === 202 ? "" : r.status === 404 ?
        "This board has no Wi-Fi to configure." : errText(r);
      if (r.status === 202) {
        $("wifi-pass").value = "";
        note("Joining " + ssid + ": connect this device to that network too, then open the " +
          "gateway's address there.");
      }
    });
  });

  $("apipw-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    api("POST", "/password", {password: $("apipw").value}).then(function (r) {
      $("apipw-err").textContent = r.status === 200 ? "" : r.status === 404 ?
        "This board's password is changed with smsgate provision." : errText(r);
      if (r.status === 200) {  // in force at once: this page logs in with it from now on
        auth = b64(r.body.user + ":" + $("apipw").value);
        store(auth);
        $("apipw").value = "";
        note("API password changed.");
      }
    });
  });

  // -- USSD (balance) ---------------------------------------------------------------------
  $("ussd-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var btn = $("ussd-form").querySelector("button");
    btn.disabled = true;  // one session at a time; the network takes seconds
    $("ussd-err").textContent = "";
    $("ussd-out").textContent = "Asking the network…";
    api("POST", "/ussd", {code: $("ussd-code").value}).then(function (r) {
      $("ussd-out").textContent = r.status === 200 ? (r.body.text || "(no text)") : "";
      if (r.status !== 200) $("ussd-err").textContent = r.status === 404 ?
        "This firmware has no USSD endpoint." : errText(r);
    }, function () {
      $("ussd-out").textContent = "";
      $("ussd-err").textContent = "The gateway does not answer.";
    }).then(function () { btn.disabled = false; });
  });

  $("set-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var patch = {};
    settings.forEach(function (kv, i) {
      var input = $("set-" + i), v = kv[1], nv;
      if (typeof v === "boolean") nv = input.checked;
      else if (typeof v === "number") nv = Number(input.value);
      else if (Array.isArray(v)) nv = input.value.split(/\s*,\s*/).filter(Boolean);
      else if (v === null) {  // unset: stays unset unless something is typed
        if (input.value === "") return;
        nv = isNaN(input.value) ? input.value : Number(input.value);
      } else nv = input.value;
      if (JSON.stringify(nv) === JSON.stringify(v)) return;
      var path = kv[0].split("."), o = patch;
      path.slice(0, -1).forEach(function (p) { o = o[p] = o[p] || {}; });
      o[path[path.length - 1]] = nv;
    });
    api("PATCH", "/settings", patch).then(function (r) {
      var msg = r.status === 200 ? "" : errText(r), key = msg.split(":")[0], at = -1;
      document.querySelectorAll("#set .err").forEach(function (p) { p.remove(); });
      document.querySelectorAll("#set [aria-invalid]").forEach(function (i) {
        i.removeAttribute("aria-invalid"); i.removeAttribute("aria-describedby"); });
      settings.forEach(function (kv, i) { if (kv[0] === key) at = i; });
      $("set-err").textContent = at < 0 ? msg : "";
      if (at >= 0) {  // the API names the key: the message goes next to its field
        var input = $("set-" + at);
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", "set-" + at + "-err");
        input.parentNode.append(el("p", {"class": "err", id: "set-" + at + "-err", text: msg}));
        input.focus();
      }
      if (r.status === 200) { note("Settings saved."); loadSettings(); }
    });
  });

  if (auth) start(); else logout("");
})();
