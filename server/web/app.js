// The kvsclip page: lists the streams, draws each one's fragments on a
// timeline (producer time, so holes in the recording show as gaps), lets
// the user drag out a range and plays or downloads it through the clip URL.
// It talks to the same JSON API the SDKs use; no build step, no libraries.
"use strict";

const COLORS = { bg: "#e9ecf1", frag: "#2563eb", edge: "#ffffff", sel: "rgba(234,88,12,0.35)", selEdge: "#c2410c" };

const statusEl = document.getElementById("status");
const video = document.getElementById("video");
const state = { streams: new Map(), ready: null };

function setStatus(text) { statusEl.textContent = text; }

// Signing. A server with credentials takes only requests signed with them
// (SigV4, as the AWS SDKs sign): the page signs its API calls in headers
// and its clip URLs in the query string (presigned), with keys typed into
// its form and kept for this tab only (sessionStorage); the keys are never
// sent, only signatures. The hashes are computed here in plain JavaScript
// because WebCrypto is offered only to secure pages (HTTPS or localhost),
// and such a server is often reached over plain HTTP.

// SHA-256 (FIPS 180-4). Its constants are the first 32 bits of the
// fractional parts of the square roots (initial hash) and cube roots
// (round constants) of the first primes.
const rotr = (x, n) => (x >>> n) | (x << (32 - n));
const frac32 = x => Math.floor((x - Math.floor(x)) * 4294967296) >>> 0;
const firstPrimes = n => { const ps = []; for (let c = 2; ps.length < n; c++) if (ps.every(p => c % p)) ps.push(c); return ps; };
const SHA_K = firstPrimes(64).map(p => frac32(Math.cbrt(p)));
const SHA_H = firstPrimes(8).map(p => frac32(Math.sqrt(p)));

function sha256(bytes) {
  const n = bytes.length;
  const m = new Uint8Array((((n + 8) >> 6) + 1) << 6); // message, 0x80, zeros, 64-bit bit length
  m.set(bytes);
  m[n] = 0x80;
  const mv = new DataView(m.buffer);
  mv.setUint32(m.length - 8, Math.floor(n / 0x20000000));
  mv.setUint32(m.length - 4, (n << 3) >>> 0);
  const h = SHA_H.slice(), w = new Uint32Array(64);
  for (let off = 0; off < m.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = mv.getUint32(off + 4 * i);
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15], y = w[i - 2];
      w[i] = w[i - 16] + (rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)) + w[i - 7] + (rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10));
    }
    let [a, b, c, d, e, f, g, k] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + SHA_K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      k = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    [a, b, c, d, e, f, g, k].forEach((v, i) => { h[i] = (h[i] + v) >>> 0; });
  }
  const out = new Uint8Array(32), ov = new DataView(out.buffer);
  h.forEach((v, i) => ov.setUint32(4 * i, v));
  return out;
}

// hmac is HMAC-SHA-256 (RFC 2104) of msg under key, both bytes.
function hmac(key, msg) {
  if (key.length > 64) key = sha256(key);
  const inner = new Uint8Array(64 + msg.length), outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = (key[i] || 0) ^ 0x36;
    outer[i] = (key[i] || 0) ^ 0x5c;
  }
  inner.set(msg, 64);
  outer.set(sha256(inner), 64);
  return sha256(outer);
}

const utf8 = s => new TextEncoder().encode(s);
const hex = b => Array.from(b, x => x.toString(16).padStart(2, "0")).join("");
// sigEscape percent-encodes all but RFC 3986's unreserved characters.
const sigEscape = s => encodeURIComponent(s).replace(/[!'()*]/g, c => "%" + c.charCodeAt(0).toString(16).toUpperCase());

// The scope: the server checks the service and its region, which it
// writes into the page.
const SIG = { region: document.querySelector('meta[name="kvsclip-region"]').content, service: "kinesisvideo" };

function credentials() {
  try { return JSON.parse(sessionStorage.getItem("kvsclip.credentials")); } catch { return null; }
}

// sign returns the credential scope and the signature of a canonical
// request made at amzDate (YYYYMMDDTHHMMSSZ).
function sign(c, canonical, amzDate) {
  const date = amzDate.slice(0, 8), scope = [date, SIG.region, SIG.service, "aws4_request"].join("/");
  let key = hmac(utf8("AWS4" + c.secret), utf8(date));
  for (const part of [SIG.region, SIG.service, "aws4_request"]) key = hmac(key, utf8(part));
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, hex(sha256(utf8(canonical)))].join("\n");
  return { scope, signature: hex(hmac(key, utf8(toSign))) };
}

const amzNow = () => new Date().toISOString().replace(/\.\d+/, "").replace(/[-:]/g, "");

// signedHeaders are the headers of a signed POST of body to path.
function signedHeaders(c, path, body) {
  const amzDate = amzNow(), payload = hex(sha256(utf8(body)));
  const names = "content-type;host;x-amz-content-sha256;x-amz-date";
  const canonical = ["POST", path, "", "content-type:application/json", "host:" + location.host,
    "x-amz-content-sha256:" + payload, "x-amz-date:" + amzDate, "", names, payload].join("\n");
  const { scope, signature } = sign(c, canonical, amzDate);
  return {
    "Content-Type": "application/json", "X-Amz-Date": amzDate, "X-Amz-Content-Sha256": payload,
    Authorization: "AWS4-HMAC-SHA256 Credential=" + c.id + "/" + scope + ", SignedHeaders=" + names + ", Signature=" + signature,
  };
}

// presign returns path with params and a signature good for an hour: a
// URL the <video> element and the download link can use as they are.
function presign(c, path, params) {
  const amzDate = amzNow();
  const q = Object.assign({}, params, {
    "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    "X-Amz-Credential": [c.id, amzDate.slice(0, 8), SIG.region, SIG.service, "aws4_request"].join("/"),
    "X-Amz-Date": amzDate, "X-Amz-Expires": "3600", "X-Amz-SignedHeaders": "host",
  });
  const query = Object.keys(q).sort().map(k => sigEscape(k) + "=" + sigEscape(q[k])).join("&");
  const canonical = ["GET", path, query, "host:" + location.host, "", "host", "UNSIGNED-PAYLOAD"].join("\n");
  return path + "?" + query + "&X-Amz-Signature=" + sign(c, canonical, amzDate).signature;
}

// api posts a KVS operation and returns its JSON, or throws with the
// server's error code and message so the page can show them as they are.
async function api(op, body) {
  const text = JSON.stringify(body || {}), c = credentials();
  const headers = c ? signedHeaders(c, "/" + op, text) : { "Content-Type": "application/json" };
  const resp = await fetch("/" + op, { method: "POST", headers, body: text });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const err = new Error((data.__type || resp.status) + ": " + (data.message || resp.statusText));
    err.code = data.__type;
    throw err;
  }
  return data;
}

// listAll pages through ListFragments: a stream may hold more fragments
// than one answer carries.
async function listAll(name) {
  const frags = [];
  let token;
  do {
    const body = token ? { StreamName: name, NextToken: token } : { StreamName: name, MaxResults: 1000 };
    const page = await api("listFragments", body);
    frags.push(...page.Fragments);
    token = page.NextToken;
  } while (token);
  frags.sort((a, b) => a.ProducerTimestamp - b.ProducerTimestamp);
  return frags;
}

// codecString maps the stream's MediaType to the codecs parameter that
// canPlayType understands. The profile/level values are typical ones: the
// question is whether the browser has a decoder for the codec at all.
function codecString(mediaType) {
  const parts = (mediaType || "video/h264").split(",").map(s => s.trim().toLowerCase());
  const codecs = [];
  for (const p of parts) {
    if (p === "video/h264") codecs.push("avc1.64001F");
    else if (p === "video/h265" || p === "video/hevc") codecs.push("hvc1.1.6.L93.B0");
    else if (p === "audio/aac") codecs.push("mp4a.40.2");
  }
  return 'video/mp4; codecs="' + codecs.join(", ") + '"';
}

function fmtTime(sec) { return new Date(sec * 1000).toISOString().replace(".000Z", "Z"); }
function fixed(sec) { return (Math.round(sec * 1000) / 1000).toFixed(3); }

function clipURL(st, format) {
  const path = "/clips/" + encodeURIComponent(st.name) + ".mp4";
  const params = { start: st.start.value, end: st.end.value, selector: "producer", format };
  const c = credentials();
  return c ? presign(c, path, params) : path + "?" + new URLSearchParams(params).toString();
}

function draw(st) {
  const c = st.canvas, ctx = c.getContext("2d");
  const w = c.width, h = c.height;
  ctx.fillStyle = COLORS.bg;
  ctx.fillRect(0, 0, w, h);
  const x = t => (t - st.t0) / (st.t1 - st.t0) * w;
  for (const f of st.frags) {
    const a = x(f.ProducerTimestamp), b = x(f.ProducerTimestamp + f.FragmentLengthInMilliseconds / 1000);
    ctx.fillStyle = COLORS.frag;
    ctx.fillRect(a, 8, Math.max(b - a, 1), h - 16);
    ctx.fillStyle = COLORS.edge;
    ctx.fillRect(a, 8, 1, h - 16); // fragment boundary
  }
  if (st.sel) {
    const a = x(Math.min(...st.sel)), b = x(Math.max(...st.sel));
    ctx.fillStyle = COLORS.sel;
    ctx.fillRect(a, 0, Math.max(b - a, 1), h);
    ctx.fillStyle = COLORS.selEdge;
    ctx.fillRect(a, 0, 2, h);
    ctx.fillRect(b - 2, 0, 2, h);
  }
}

// select sets the range (epoch seconds) in the form and on the timeline.
function select(st, a, b) {
  st.sel = [Math.min(a, b), Math.max(a, b)];
  st.start.value = fixed(st.sel[0]);
  st.end.value = fixed(st.sel[1]);
  st.download.href = clipURL(st, st.format.value);
  draw(st);
}

function bindDrag(st) {
  const toTime = ev => {
    const r = st.canvas.getBoundingClientRect();
    const frac = Math.min(Math.max((ev.clientX - r.left) / r.width, 0), 1);
    return st.t0 + frac * (st.t1 - st.t0);
  };
  let from = null;
  st.canvas.addEventListener("pointerdown", ev => { from = toTime(ev); st.canvas.setPointerCapture(ev.pointerId); select(st, from, from); });
  st.canvas.addEventListener("pointermove", ev => { if (from !== null) select(st, from, toTime(ev)); });
  st.canvas.addEventListener("pointerup", ev => { if (from !== null) select(st, from, toTime(ev)); from = null; });
}

// play points the one <video> at the chosen range. A clip the browser
// cannot decode is still offered for download.
function play(st, autoplay = true) {
  const format = st.format.value;
  const url = clipURL(st, format);
  document.getElementById("player").hidden = false;
  document.getElementById("clip-info").textContent = st.name + ": " + fmtTime(+st.start.value) + " – " + fmtTime(+st.end.value) + " (" + format + ")";
  const dl = document.getElementById("download");
  dl.href = url;
  dl.download = st.name + "-" + st.start.value + ".mp4";
  const warn = document.getElementById("codec-warning");
  warn.hidden = st.playable;
  warn.textContent = st.playable ? "" : "This browser cannot play " + st.codecs + "; download the clip instead.";
  video.src = url;
  if (autoplay) {
    const p = video.play();
    if (p) p.catch(() => {}); // autoplay may be refused; the controls remain
  }
  return url;
}

function render(info, frags) {
  const el = document.getElementById("stream-tpl").content.firstElementChild.cloneNode(true);
  const st = {
    name: info.StreamName, info, frags, el,
    canvas: el.querySelector(".timeline"), start: el.querySelector(".start"), end: el.querySelector(".end"),
    format: el.querySelector(".format"), download: document.getElementById("download"),
    codecs: codecString(info.MediaType), sel: null,
  };
  st.playable = video.canPlayType(st.codecs) !== "";
  el.dataset.stream = st.name;
  el.querySelector(".name").textContent = st.name;
  let total = 0;
  for (const f of frags) total += f.FragmentLengthInMilliseconds;
  el.querySelector(".meta").textContent = (info.MediaType || "media type not set") + " · " + frags.length + " fragments · " + (total / 1000).toFixed(1) + " s recorded";
  if (!st.playable) {
    const w = el.querySelector(".codec");
    w.hidden = false;
    w.textContent = "This browser cannot play this stream's codec (" + st.codecs + "); clips can still be downloaded.";
  }
  if (frags.length) {
    st.t0 = frags[0].ProducerTimestamp;
    st.t1 = Math.max(...frags.map(f => f.ProducerTimestamp + f.FragmentLengthInMilliseconds / 1000));
    if (st.t1 <= st.t0) st.t1 = st.t0 + 1;
    el.querySelector(".from").textContent = fmtTime(st.t0);
    el.querySelector(".to").textContent = fmtTime(st.t1);
    bindDrag(st);
    select(st, st.t0, st.t1);
  } else {
    el.querySelector(".meta").textContent += " · nothing to clip yet";
    st.canvas.hidden = true;
    el.querySelector(".axis").hidden = true;
    el.querySelector(".controls").hidden = true;
  }
  el.querySelector(".controls").addEventListener("submit", ev => { ev.preventDefault(); play(st); });
  document.getElementById("streams").appendChild(el);
  state.streams.set(st.name, st);
}

async function load() {
  setStatus("loading…");
  document.getElementById("streams").replaceChildren();
  state.streams.clear();
  try {
    const streams = [];
    let token;
    do {
      const page = await api("listStreams", token ? { NextToken: token } : {});
      streams.push(...page.StreamInfoList);
      token = page.NextToken;
    } while (token);
    for (const info of streams) render(info, await listAll(info.StreamName));
    setStatus(streams.length ? streams.length + " stream(s)" : "no streams");
  } catch (err) {
    // A server with credentials refuses unsigned requests, and wrong keys:
    // the form asks for them.
    const denied = err.code === "NotAuthorizedException";
    document.getElementById("auth").hidden = !denied;
    setStatus(err.message + (denied ? " — enter this server's access key" : ""));
    if (!denied) throw err;
  }
}

// signIn keeps the keys for this tab and loads the page again with them.
function signIn(id, secret) {
  sessionStorage.setItem("kvsclip.credentials", JSON.stringify({ id, secret }));
  document.getElementById("auth").hidden = true;
  window.kvsclip.ready = load();
  return window.kvsclip.ready;
}

document.getElementById("auth").addEventListener("submit", ev => {
  ev.preventDefault();
  signIn(document.getElementById("key-id").value.trim(), document.getElementById("secret").value);
});

video.addEventListener("error", () => {
  const e = video.error;
  setStatus("video error " + (e ? e.code + " " + e.message : ""));
});

// window.kvsclip is the page's handle for scripts and the browser test.
window.kvsclip = {
  ready: load(),
  streams: () => [...state.streams.keys()],
  canPlay: name => state.streams.get(name).playable,
  select: (name, start, end) => select(state.streams.get(name), start, end),
  // play loads the selected range in the format; autoplay false only loads it.
  play: (name, format, autoplay = true) => { const st = state.streams.get(name); st.format.value = format || "mp4"; return play(st, autoplay); },
  signIn,
  // sha256hex is the page's SHA-256, for the browser test to check.
  sha256hex: s => hex(sha256(utf8(s))),
};
