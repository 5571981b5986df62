// SMS length rules, ported from the firmware's codec (gsm7.to_septets, tpud.user_data_parts)
// and checked against it by tests/web/test_counter.py: GSM-7 when every character is in the
// default alphabet or its extension table (those take ESC + code, 2 septets), else UCS-2
// (UTF-16 units: an emoji takes 2). One part holds 160 septets / 70 units; a split message
// 153 / 67 per part (8-bit concatenation header); a part never ends on an ESC or a high
// surrogate. At most 255 parts.
var SMS = (function () {
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXT = "\f^{}\\[~]|€";

  // Lead flags of the units (1 = must not end a part): GSM-7 septets, or null when a
  // character is in neither table.
  function septets(text) {
    var out = [];
    for (var ch of text) {
      if (BASIC.indexOf(ch) >= 0) out.push(0);
      else if (EXT.indexOf(ch) >= 0) out.push(1, 0);
      else return null;
    }
    return out;
  }

  function utf16(text) {
    var out = [];
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      out.push(c >= 0xD800 && c <= 0xDBFF ? 1 : 0);
    }
    return out;
  }

  // Greedy split as tpud._chunks: lengths of the runs.
  function runs(lead, limit) {
    var n = lead.length, start = 0, out = [];
    while (start < n) {
      var end = Math.min(start + limit, n);
      if (end < n && lead[end - 1]) end--;
      out.push(end - start);
      start = end;
    }
    return out.length ? out : [0];
  }

  // {encoding: "GSM-7"|"UCS-2", units, parts, left (in the last part), perPart}
  function count(text) {
    var lead = septets(text), single = 160, multi = 153, enc = "GSM-7";
    if (lead === null) {
      lead = utf16(text); single = 70; multi = 67; enc = "UCS-2";
    }
    var r = runs(lead, single), limit = single;
    if (r.length > 1) { r = runs(lead, multi); limit = multi; }
    return {encoding: enc, units: lead.length, parts: r.length,
      left: limit - r[r.length - 1], perPart: limit, tooLong: r.length > 255};
  }

  return {count: count};
})();
