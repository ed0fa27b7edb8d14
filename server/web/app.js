// The kvsclip page: lists the streams, draws each one's fragments on a
// timeline (producer time, so holes in the recording show as gaps) with
// thumbnails from GetImages under it, lets the user drag out a range and
// plays or downloads it through the clip URL.
// It talks to the same JSON API the SDKs use; no build step, no libraries.
"use strict";

const COLORS = { bg: "#e9ecf1", frag: "#2563eb", edge: "#ffffff", sel: "rgba(234,88,12,0.35)", selEdge: "#c2410c", playing: "#16a34a" };

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
// fmtTime writes epoch seconds as the axis shows them: UTC, ISO 8601,
// with milliseconds only when there are some.
function fmtTime(sec) { return new Date(Math.round(sec * 1000)).toISOString().replace(".000Z", "Z"); }
function fixed(sec) { return (Math.round(sec * 1000) / 1000).toFixed(3); }

// fmtSpan writes a length of time for people: "7.4 s", "6 min 40 s", "2.8 h".
function fmtSpan(sec) {
  if (sec < 60) return (Math.round(sec * 10) / 10) + " s";
  if (sec < 3600) return Math.floor(sec / 60) + " min " + Math.round(sec % 60) + " s";
  return (Math.round(sec / 360) / 10) + " h";
}

const TIME_FORMS = "2024-03-01T12:00:05Z, 2024-03-01T14:00:05+02:00, 2024-03-01 12:00:05 (local time) or epoch seconds";

// parseTime reads a time as people type it: epoch seconds, ISO 8601 with
// Z or an offset (the form the axis shows), or a date and time without a
// zone, taken as this browser's local time. It returns epoch seconds with
// millisecond precision, the server's, or throws an Error that says what
// is accepted. Date.parse is not used: it takes many forms that differ
// between browsers, and reads a zoneless date-time differently from a
// zoneless date.
function parseTime(text) {
  const s = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) return Math.round(+s * 1000) / 1000;
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(s);
  if (!m) throw new Error((s ? "“" + s + "” is not a time" : "a time is needed") + ": type " + TIME_FORMS);
  const [, y, mo, d, h, mi, sec = "0", frac = "", zone] = m;
  const parts = [+y, +mo - 1, +d, +h, +mi, +sec, Math.round(+("0." + (frac || "0")) * 1000)];
  // A field out of range (month 13, 25:00) would roll over: refuse it.
  const check = new Date(Date.UTC(...parts));
  if (check.getUTCMonth() !== parts[1] || check.getUTCDate() !== parts[2] || check.getUTCHours() !== parts[3] ||
    check.getUTCMinutes() !== parts[4] || check.getUTCSeconds() !== parts[5]) {
    throw new Error("“" + s + "” is not a valid date and time");
  }
  let ms;
  if (zone === undefined) {
    ms = new Date(...parts).getTime(); // local time
  } else {
    ms = check.getTime();
    if (zone.toUpperCase() !== "Z") {
      const digits = zone.slice(1).replace(":", "");
      const offset = (+digits.slice(0, 2) * 60 + +(digits.slice(2) || 0)) * 60000;
      ms -= zone[0] === "-" ? -offset : offset;
    }
  }
  return ms / 1000;
}

// readRange parses a stream's start and end inputs, saying under each what
// it was read as or why it was refused; it returns [start, end] or null.
function readRange(st) {
  let ok = true;
  const out = [st.start, st.end].map(input => {
    const note = input.parentElement.querySelector(".note");
    try {
      const t = parseTime(input.value);
      input.removeAttribute("aria-invalid");
      note.classList.remove("invalid");
      note.textContent = fmtTime(t);
      return t;
    } catch (err) {
      ok = false;
      input.setAttribute("aria-invalid", "true");
      note.classList.add("invalid");
      note.textContent = err.message;
      return NaN;
    }
  });
  st.download.hidden = !ok;
  if (!ok) return null;
  // The timeline shows what was typed, as it shows what was dragged.
  st.sel = [Math.min(...out), Math.max(...out)];
  if (st.view) draw(st);
  st.download.href = clipURL(st, st.format.value, out[0], out[1]);
  st.download.download = fileName(st.name, out[0], out[1]);
  return out;
}

// fileName names a downloaded clip by its stream and range; colons are
// left out, as some file systems refuse them.
function fileName(name, a, b) {
  const t = s => fmtTime(s).replace(/[-:]/g, "");
  return name + "_" + t(a) + "_" + t(b) + ".mp4";
}

function clipURL(st, format, a, b) {
  const path = "/clips/" + encodeURIComponent(st.name) + ".mp4";
  const params = { start: fixed(a), end: fixed(b), selector: "producer", format };
  const c = credentials();
  return c ? presign(c, path, params) : path + "?" + new URLSearchParams(params).toString();
}

function draw(st) {
  const c = st.canvas, ctx = c.getContext("2d");
  const w = c.width, h = c.height;
  ctx.fillStyle = COLORS.bg;
  ctx.fillRect(0, 0, w, h);
  const [v0, v1] = st.view;
  const x = t => (t - v0) / (v1 - v0) * w;
  for (const f of st.frags) {
    const a = x(f.ProducerTimestamp), b = x(f.ProducerTimestamp + f.FragmentLengthInMilliseconds / 1000);
    if (b < 0 || a > w) continue;
    ctx.fillStyle = COLORS.frag;
    ctx.fillRect(a, 8, Math.max(b - a, 1), h - 16);
    ctx.fillStyle = COLORS.edge;
    if (b - a > 3) ctx.fillRect(a, 8, 1, h - 16); // fragment boundary, where there is room for it
  }
  if (st.playing) {
    // What the player holds: the fragments the clip kept, under the request.
    const a = x(st.playing[0]), b = x(st.playing[1]);
    ctx.fillStyle = COLORS.playing;
    ctx.fillRect(a, h - 6, Math.max(b - a, 2), 6);
  }
  if (st.sel) {
    const a = x(Math.min(...st.sel)), b = x(Math.max(...st.sel));
    ctx.fillStyle = COLORS.sel;
    ctx.fillRect(a, 0, Math.max(b - a, 1), h - 6);
    ctx.fillStyle = COLORS.selEdge;
    ctx.fillRect(a, 0, 2, h - 6);
    ctx.fillRect(b - 2, 0, 2, h - 6);
  }
}

// setView shows [a, b] of the stream on the timeline, kept within the
// recording and no shorter than a second, and labels the axis for it.
function setView(st, a, b) {
  const full = st.t1 - st.t0, span = Math.min(Math.max(b - a, Math.min(1, full)), full);
  a = Math.min(Math.max(a, st.t0), st.t1 - span);
  st.view = [a, a + span];
  const ticks = st.el.querySelectorAll(".axis span");
  ticks.forEach((el, i) => { el.textContent = fmtTime(a + span * i / (ticks.length - 1)); });
  st.el.querySelector(".zoom-level").textContent = span < full ? "showing " + fmtSpan(span) + " of " + fmtSpan(full) : "whole stream, " + fmtSpan(full);
  draw(st);
  scheduleThumbs(st);
}

// Thumbnails. Under the timeline, THUMBS pictures of the view from
// GetImages, one per equal slice: the key frame at or before the slice's
// middle, JPEG at the strip's height. A slice over a hole in the recording
// says so (NO_MEDIA). One GetImages call per slice, each with a window of
// one instant, works at any zoom; the server caches what it decoded, so
// coming back to a view costs no decoding. A server without ffmpeg answers
// that GetImages is not available there, and the strip goes away.
const THUMBS = 8, THUMB_HEIGHT = 54, THUMB_DELAY = 250;

// scheduleThumbs loads the view's thumbnails once it has stopped moving:
// zooming with the wheel moves it many times a second.
function scheduleThumbs(st) {
  clearTimeout(st.thumbTimer);
  st.thumbsDone = new Promise(resolve => {
    st.thumbTimer = setTimeout(() => resolve(loadThumbs(st)), THUMB_DELAY);
  });
}

// loadThumbs fills the strip for the current view and resolves to each
// slice's state: "image", "NO_MEDIA", "MEDIA_ERROR", "error" or "stale"
// (the view moved on before the answer came).
function loadThumbs(st) {
  const strip = st.el.querySelector(".thumbs");
  if (state.imagesOff) {
    strip.hidden = true;
    return Promise.resolve([]);
  }
  if (strip.children.length !== THUMBS) {
    strip.replaceChildren(...Array.from({ length: THUMBS }, () => {
      const fig = document.createElement("figure");
      fig.appendChild(document.createElement("img")).alt = "";
      return fig;
    }));
  }
  const gen = st.thumbGen = (st.thumbGen || 0) + 1;
  const [a, b] = st.view, step = (b - a) / THUMBS;
  return Promise.all([...strip.children].map((fig, i) => {
    const t = a + step * (i + 0.5), img = fig.querySelector("img");
    fig.title = fmtTime(t);
    fig.dataset.state = "loading";
    const body = {
      StreamName: st.name, ImageSelectorType: "PRODUCER_TIMESTAMP", StartTimestamp: t, EndTimestamp: t,
      SamplingInterval: 3000, Format: "JPEG", FormatConfig: { JPEGQuality: "70" }, HeightPixels: THUMB_HEIGHT,
    };
    return api("getImages", body).then(out => {
      if (gen !== st.thumbGen) return "stale";
      const got = (out.Images || [])[0];
      if (!got || !got.ImageContent) {
        img.removeAttribute("src");
        return fig.dataset.state = got && got.Error ? got.Error : "NO_MEDIA";
      }
      return new Promise(resolve => {
        img.onload = () => resolve(fig.dataset.state = "image");
        img.onerror = () => resolve(fig.dataset.state = "MEDIA_ERROR");
        img.src = "data:image/jpeg;base64," + got.ImageContent;
      });
    }).catch(err => {
      if (err.code === "InvalidArgumentException" && /ffmpeg/.test(err.message)) {
        state.imagesOff = true;
        strip.hidden = true;
      }
      fig.title = err.message;
      return fig.dataset.state = "error";
    });
  }));
}

// zoom scales the view by factor (below 1 zooms in) about the time at.
function zoom(st, factor, at) {
  const [a, b] = st.view;
  if (at === undefined) at = (a + b) / 2;
  setView(st, at - (at - a) * factor, at + (b - at) * factor);
}

// pan moves the view by frac of its width.
function pan(st, frac) {
  const [a, b] = st.view, d = (b - a) * frac;
  setView(st, a + d, b + d);
}

// select sets the range (epoch seconds) in the form and on the timeline.
function select(st, a, b) {
  st.sel = [Math.min(a, b), Math.max(a, b)];
  st.start.value = fixed(st.sel[0]);
  st.end.value = fixed(st.sel[1]);
  readRange(st);
  draw(st);
}

// timeAt is the time under a pointer over the timeline, in the view.
function timeAt(st, clientX) {
  const r = st.canvas.getBoundingClientRect();
  const frac = Math.min(Math.max((clientX - r.left) / r.width, 0), 1);
  return st.view[0] + frac * (st.view[1] - st.view[0]);
}

function bindTimeline(st) {
  const c = st.canvas;
  let from = null;
  c.addEventListener("pointerdown", ev => { from = timeAt(st, ev.clientX); c.setPointerCapture(ev.pointerId); c.focus(); select(st, from, from); });
  c.addEventListener("pointermove", ev => { if (from !== null) select(st, from, timeAt(st, ev.clientX)); });
  c.addEventListener("pointerup", ev => { if (from !== null) select(st, from, timeAt(st, ev.clientX)); from = null; });
  // The wheel zooms about the time under the pointer; sideways, it pans.
  c.addEventListener("wheel", ev => {
    ev.preventDefault();
    if (Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) pan(st, ev.deltaX / 1000);
    else zoom(st, Math.pow(1.2, Math.sign(ev.deltaY) * Math.min(Math.abs(ev.deltaY) / 100, 5)), timeAt(st, ev.clientX));
  }, { passive: false });
  c.addEventListener("keydown", ev => {
    const keys = { "+": () => zoom(st, 0.5), "=": () => zoom(st, 0.5), "-": () => zoom(st, 2), "_": () => zoom(st, 2),
      ArrowLeft: () => pan(st, -0.25), ArrowRight: () => pan(st, 0.25), "0": () => setView(st, st.t0, st.t1), Home: () => setView(st, st.t0, st.t1) };
    if (keys[ev.key]) { ev.preventDefault(); keys[ev.key](); }
  });
  const on = (cls, f) => st.el.querySelector(cls).addEventListener("click", f);
  on(".zoom-in", () => zoom(st, 0.5));
  on(".zoom-out", () => zoom(st, 2));
  on(".pan-left", () => pan(st, -0.25));
  on(".pan-right", () => pan(st, 0.25));
  on(".zoom-sel", () => { if (st.sel && st.sel[1] > st.sel[0]) setView(st, st.sel[0], st.sel[1]); });
  on(".zoom-all", () => setView(st, st.t0, st.t1));
}

const player = {
  section: document.getElementById("player"),
  info: document.getElementById("clip-info"),
  asked: document.getElementById("clip-asked"),
  cut: document.getElementById("clip-cut"),
  error: document.getElementById("clip-error"),
  download: document.getElementById("download"),
  st: null,
};

// showClipError puts a failure into words where the player is: the
// server's error type and message, or what the browser said.
function showClipError(type, message) {
  player.error.hidden = false;
  player.error.replaceChildren();
  const b = document.createElement("strong");
  b.className = "type";
  b.textContent = type;
  player.error.append(b, " ", message);
}

// showServerError shows a KVS error answer: its type (X-Amzn-ErrorType,
// else the body's __type) and its message ("message", or "Message" as
// some services write it).
async function showServerError(resp) {
  const data = await resp.json().catch(() => ({}));
  const type = resp.headers.get("X-Amzn-ErrorType") || data.__type || "HTTP " + resp.status;
  showClipError(type.split(":")[0], data.message || data.Message || resp.statusText);
}

// play checks the chosen range with the server and, when it makes a clip,
// points the one <video> — moved beside the stream — at it. The check is a
// one-byte ranged GET: the server plans the whole clip for it, so every
// error the clip would have comes back as the server's JSON error, which a
// <video> would turn into "Format error"; and the answer's provenance
// headers say what the clip holds, which may be less than was asked:
// GetClip keeps the fragments that start in the range, up to 200 of them
// or 100 MB. It returns the clip's URL, or "" when there is no clip.
async function play(st, autoplay = true) {
  const range = readRange(st);
  if (!range) return "";
  const [a, b] = range;
  const format = st.format.value;
  const url = clipURL(st, format, a, b);
  player.st = st;
  st.el.appendChild(player.section);
  player.section.hidden = false;
  player.error.hidden = true;
  player.cut.hidden = true;
  player.asked.hidden = true;
  player.download.parentElement.hidden = true;
  player.info.textContent = st.name + ": asking for " + fmtTime(a) + " – " + fmtTime(b) + "…";
  for (const other of state.streams.values()) if (other.playing) { other.playing = null; draw(other); }
  video.pause();
  video.removeAttribute("src");
  video.hidden = true;
  let resp;
  try {
    resp = await fetch(url, { headers: { Range: "bytes=0-0" }, cache: "no-store" });
  } catch (err) {
    player.info.textContent = st.name + ": no clip";
    showClipError("network error", err.message);
    return "";
  }
  if (!resp.ok) {
    player.info.textContent = st.name + ": no clip for " + fmtTime(a) + " – " + fmtTime(b) + " (HTTP " + resp.status + ")";
    await showServerError(resp);
    return "";
  }
  if (resp.body) resp.body.cancel().catch(() => {});
  const hdr = name => resp.headers.get("X-Kvsclip-" + name);
  const first = parseFloat(hdr("First-Producer-Timestamp")), lastStart = parseFloat(hdr("Last-Producer-Timestamp"));
  const lastFrag = st.frags.find(f => f.FragmentNumber === hdr("Last-Fragment-Number"));
  const last = lastStart + (lastFrag ? lastFrag.FragmentLengthInMilliseconds / 1000 : 0);
  const n = +hdr("Fragments");
  st.playing = [first, last];
  draw(st);
  player.info.textContent = st.name + ": " + fmtTime(first) + " – " + fmtTime(last) + " · " + fmtSpan(last - first) +
    " · " + n + " fragment" + (n === 1 ? "" : "s") + " (" + format + ")";
  player.info.dataset.start = fixed(first);
  player.info.dataset.end = fixed(last);
  if (Math.abs(first - a) > 0.001 || Math.abs(last - b) > 0.001) {
    player.asked.hidden = false;
    player.asked.textContent = "Asked for " + fmtTime(a) + " – " + fmtTime(b) + " (" + fmtSpan(b - a) +
      "): a clip holds the whole fragments that start in the range.";
  }
  if (hdr("Truncated") === "true") {
    const next = parseFloat(hdr("Next-Start-Timestamp"));
    player.cut.hidden = false;
    player.cut.replaceChildren("Cut at 200 fragments / 100 MB, GetClip's limits: this part ends at " + fmtTime(last) + ". ");
    if (!isNaN(next)) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = "continue";
      btn.textContent = "Continue from " + fmtTime(next);
      btn.addEventListener("click", () => { select(st, next, b); play(st); });
      player.cut.append(btn);
      player.cut.dataset.next = fixed(next);
    }
  }
  player.download.parentElement.hidden = false;
  player.download.href = url;
  player.download.download = fileName(st.name, first, last);
  const warn = document.getElementById("codec-warning");
  warn.hidden = st.playable;
  warn.textContent = st.playable ? "" : "This browser cannot play " + st.codecs + "; download the clip instead.";
  video.hidden = false;
  video.src = url;
  if (autoplay) {
    const p = video.play();
    if (p) p.catch(() => {}); // autoplay may be refused; the controls remain
  }
  return url;
}

// putHint is the command line that puts a recording into a stream here;
// on a server with credentials, kvsclip put signs with the keys in the
// environment (the page never writes the secret out).
function putHint(stream) {
  const env = credentials() ? "AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... " : "";
  return env + "kvsclip put --endpoint " + location.origin + " --stream " + stream + " recording.mkv";
}

function render(info, frags) {
  const el = document.getElementById("stream-tpl").content.firstElementChild.cloneNode(true);
  const st = {
    name: info.StreamName, info, frags, el,
    canvas: el.querySelector(".timeline"), start: el.querySelector(".start"), end: el.querySelector(".end"),
    format: el.querySelector(".format"), download: el.querySelector(".download"),
    codecs: codecString(info.MediaType), sel: null, playing: null,
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
    st.view = [st.t0, st.t1];
    bindTimeline(st);
    setView(st, st.t0, st.t1);
    select(st, st.t0, st.t1);
    for (const input of [st.start, st.end]) input.addEventListener("input", () => { readRange(st); });
    // A presigned link lasts an hour: it is signed again when followed.
    st.download.addEventListener("click", () => { readRange(st); });
    st.format.addEventListener("change", () => { readRange(st); });
  } else {
    el.querySelector(".meta").textContent += " · nothing to clip yet";
    for (const cls of [".timeline", ".thumbs", ".axis", ".zoom", ".controls"]) el.querySelector(cls).hidden = true;
    const hint = el.querySelector(".empty");
    hint.hidden = false;
    hint.querySelector("pre code").textContent = putHint(st.name);
  }
  el.querySelector(".controls").addEventListener("submit", ev => { ev.preventDefault(); play(st); });
  bindSessions(st);
  document.getElementById("streams").appendChild(el);
  state.streams.set(st.name, st);
}

// renderNoStreams says how to make a first stream and fill it.
function renderNoStreams() {
  const el = document.getElementById("empty-tpl").content.firstElementChild.cloneNode(true);
  const [create, put] = el.querySelectorAll("code");
  create.textContent = "curl -X POST " + location.origin + "/createStream -H 'Content-Type: application/json' -d '{\"StreamName\":\"demo\",\"DataRetentionInHours\":24}'";
  put.textContent = putHint("demo");
  document.getElementById("streams").appendChild(el);
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
    if (!streams.length) renderNoStreams();
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

// The server accepted the clip before the <video> got it, so an error here
// is most often the browser's, a codec it cannot decode; but the server may
// have refused the video's own requests since (a limit, a store that
// failed), so it is asked once more before the browser is blamed.
video.addEventListener("error", async () => {
  const e = video.error, src = video.getAttribute("src");
  if (!e || !src) return;
  const resp = await fetch(src, { headers: { Range: "bytes=0-0" }, cache: "no-store" }).catch(() => null);
  if (video.getAttribute("src") !== src) return; // another clip since
  if (resp && !resp.ok) {
    await showServerError(resp);
    return;
  }
  if (resp && resp.body) resp.body.cancel().catch(() => {});
  showClipError("The browser could not play this clip", "(" + e.code + (e.message ? " " + e.message : "") + "); download it instead.");
});

// window.kvsclip is the page's handle for scripts and the browser test.
window.kvsclip = {
  ready: load(),
  streams: () => [...state.streams.keys()],
  canPlay: name => state.streams.get(name).playable,
  select: (name, start, end) => select(state.streams.get(name), start, end),
  // play checks and loads the selected range in the format; autoplay
  // false only loads it. It resolves to the clip's URL, "" without a clip.
  play: (name, format, autoplay = true) => { const st = state.streams.get(name); st.format.value = format || "mp4"; return play(st, autoplay); },
  // thumbnails resolves to the states of the stream's thumbnails once the
  // current view's have loaded.
  thumbnails: name => state.streams.get(name).thumbsDone,
  // view is the time span the stream's timeline shows.
  view: name => state.streams.get(name).view,
  parseTime,
  signIn,
  // sha256hex is the page's SHA-256, for the browser test to check.
  sha256hex: s => hex(sha256(utf8(s))),
};

// Playback sessions: the live view of a stream and the playback of its
// selected range, through the playback API any KVS client uses
// (Get{HLS,DASH}StreamingSessionURL, then the session URL in a <video> of
// their own, apart from the clip's). Chromium and Firefox offer Media
// Source Extensions rather than HLS or DASH, so the page plays sessions
// with hls.js and dash.js, which the server serves from its --player-dir
// (make deps fetches them there); without hls.js, a browser's own HLS is
// used where it has one, and otherwise the page says what is missing.

const PLAYER_LIBRARIES = {
  "hls.js": { url: "/web/player/hls.min.js", global: "Hls", usable: Hls => Hls.isSupported() },
  "dash.js": { url: "/web/player/dash.mediaplayer.min.js", global: "dashjs", usable: () => "MediaSource" in window },
};
// LIVE_WINDOW is the live playlist's or manifest's length in fragments
// (MaxMediaPlaylistFragmentResults, MaxManifestFragmentResults): KVS's
// fragments last 1 to 2 s, so the window holds more than the players stay
// behind the live edge.
const LIVE_WINDOW = 10;
// LIVE_DELAY is how far behind the newest media the live view plays, in
// seconds: less risks stalls at each new fragment, more is older news.
const LIVE_DELAY = 3;

const sessionView = {
  section: document.getElementById("session"),
  info: document.getElementById("session-info"),
  error: document.getElementById("session-error"),
  video: document.getElementById("session-video"),
  player: null, // the hls.js or dash.js player, while one plays
  current: null, // { stream, mode, protocol, url, player }
  waiting: 0, // 'waiting' events since playback began: stalls
  began: 0, // performance.now() when the session was asked for
  firstFrame: 0, // ms from began to the first 'playing'
  ticker: 0,
};

const loadedLibraries = new Map();

// loadLibrary loads a player library once and resolves to its global, or
// to null when the server has none or it cannot play in this browser.
function loadLibrary(name) {
  const lib = PLAYER_LIBRARIES[name];
  if (!loadedLibraries.has(name)) {
    loadedLibraries.set(name, new Promise(resolve => {
      const s = document.createElement("script");
      s.src = lib.url;
      s.onload = () => { const g = window[lib.global]; resolve(g && lib.usable(g) ? g : null); };
      s.onerror = () => resolve(null);
      document.head.appendChild(s);
    }));
  }
  return loadedLibraries.get(name);
}

function showSessionError(type, message) {
  const e = sessionView.error;
  e.hidden = false;
  e.replaceChildren();
  const b = document.createElement("strong");
  b.className = "type";
  b.textContent = type;
  e.append(b, " ", message);
}

// stopSession ends what the session player plays.
function stopSession() {
  const view = sessionView;
  if (view.player) {
    view.player.destroy();
    view.player = null;
  }
  clearInterval(view.ticker);
  view.video.pause();
  view.video.removeAttribute("src");
  view.video.load();
  view.current = null;
}

// sessionLatency is how far the live view plays behind now, in seconds,
// by the fragments' timestamps in the playlist (PROGRAM-DATE-TIME) or the
// manifest's timeline, or null when the player cannot tell.
function sessionLatency() {
  const c = sessionView.current, p = sessionView.player;
  if (!c || !p) return null;
  if (c.player === "hls.js") return p.playingDate ? (Date.now() - p.playingDate.getTime()) / 1000 : null;
  const lat = p.getCurrentLiveLatency();
  return isFinite(lat) && lat > 0 ? lat : null;
}

// choosePlayer picks how to play the protocol here: "hls.js" or "native"
// for HLS, as asked ("auto": hls.js where it loads, else the browser's
// own), "dash.js" for DASH; or throws an Error that says what is missing.
async function choosePlayer(protocol, choice) {
  if (protocol === "DASH") {
    if (await loadLibrary("dash.js")) return "dash.js";
    throw new Error("This server has no DASH player library (" + PLAYER_LIBRARIES["dash.js"].url +
      " is missing): run make deps, or start kvsclip serve with --player-dir set to a directory holding dash.js's dash.mediaplayer.min.js.");
  }
  const native = sessionView.video.canPlayType("application/vnd.apple.mpegurl") !== "";
  if (choice !== "native" && await loadLibrary("hls.js")) return "hls.js";
  if (native && choice !== "hls.js") return "native";
  throw new Error("This server has no HLS player library for this browser (" + PLAYER_LIBRARIES["hls.js"].url +
    " is missing): run make deps, or start kvsclip serve with --player-dir set to a directory holding hls.js's hls.min.js." +
    (native ? "" : " This browser does not play HLS itself."));
}

// sessionRequest is the body of the session call: LIVE follows the
// stream; ON_DEMAND plays the range in the form (producer time). It
// returns null when the range does not read.
function sessionRequest(st, mode, protocol) {
  const body = { StreamName: st.name, PlaybackMode: mode, DisplayFragmentTimestamp: "ALWAYS" };
  const hls = protocol === "HLS";
  if (hls) body.ContainerFormat = "FRAGMENTED_MP4";
  if (mode === "LIVE") {
    body[hls ? "MaxMediaPlaylistFragmentResults" : "MaxManifestFragmentResults"] = LIVE_WINDOW;
    return body;
  }
  const range = readRange(st);
  if (!range) return null;
  body[hls ? "HLSFragmentSelector" : "DASHFragmentSelector"] = {
    FragmentSelectorType: "PRODUCER_TIMESTAMP", TimestampRange: { StartTimestamp: range[0], EndTimestamp: range[1] } };
  return body;
}

// attachPlayer plays url in the session's <video> with player, reporting
// a player's fatal error where the session is shown.
function attachPlayer(player, url) {
  const view = sessionView, v = view.video;
  if (player === "hls.js") {
    const Hls = window.Hls;
    const hls = new Hls({ liveSyncDuration: LIVE_DELAY, liveMaxLatencyDuration: 4 * LIVE_DELAY });
    view.player = hls;
    let recovered = false;
    hls.on(Hls.Events.ERROR, (_, data) => {
      if (!data.fatal || view.player !== hls) return;
      // A decoder error is retried once (hls.js resets the media
      // source); anything else ends the session with its reason.
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !recovered) {
        recovered = true;
        hls.recoverMediaError();
        return;
      }
      const code = data.response && data.response.code;
      showSessionError(data.details, (code ? "HTTP " + code + " from the session URL" : data.type) + (data.error ? ": " + data.error.message : ""));
    });
    hls.loadSource(url);
    hls.attachMedia(v);
  } else if (player === "dash.js") {
    const dash = window.dashjs.MediaPlayer().create();
    view.player = dash;
    dash.updateSettings({ streaming: { delay: { liveDelay: LIVE_DELAY } } });
    dash.on(window.dashjs.MediaPlayer.events.ERROR, e => {
      if (view.player !== dash) return;
      const err = e.error || {};
      showSessionError("dash.js error " + (err.code || ""), err.message || String(err));
    });
    dash.initialize(v, url, true);
  } else {
    v.src = url;
  }
}

// startSession asks for a session of the stream and plays it in the
// session player. mode is LIVE or ON_DEMAND, protocol HLS or DASH, choice
// the HLS player ("auto", "hls.js" or "native"). It resolves to the
// session URL, or "" when nothing plays.
async function startSession(st, mode, protocol = "HLS", choice = "auto") {
  const view = sessionView;
  stopSession();
  video.pause(); // the clip player
  st.el.appendChild(view.section);
  view.section.hidden = false;
  view.error.hidden = true;
  view.video.hidden = true;
  view.waiting = 0;
  view.firstFrame = 0;
  view.began = performance.now();
  view.info.classList.toggle("live", mode === "LIVE");
  const body = sessionRequest(st, mode, protocol);
  if (!body) return "";
  const label = st.name + " · " + (mode === "LIVE" ? "live" : fmtTime(body[protocol + "FragmentSelector"].TimestampRange.StartTimestamp) + " – " +
    fmtTime(body[protocol + "FragmentSelector"].TimestampRange.EndTimestamp)) + " · " + protocol;
  view.info.textContent = label + ": starting a session…";
  let url, player;
  try {
    // The player first: without one, no session is worth asking for.
    player = await choosePlayer(protocol, choice);
    const op = "get" + protocol + "StreamingSessionURL";
    url = (await api(op, body))[protocol + "StreamingSessionURL"];
  } catch (err) {
    view.info.textContent = label + ": not playing";
    const [type, ...rest] = err.message.split(": ");
    if (err.code) showSessionError(type, rest.join(": "));
    else showSessionError("No player", err.message);
    return "";
  }
  view.current = { stream: st.name, mode, protocol, url, player };
  view.video.hidden = false;
  attachPlayer(player, url);
  if (player !== "dash.js") {
    // dash.js starts playing itself: it must see the 'play' event to
    // begin refreshing a live manifest.
    const p = view.video.play();
    if (p) p.catch(() => {}); // autoplay may be refused; the controls remain
  }
  view.info.textContent = label + " · " + player;
  if (mode === "LIVE") {
    view.ticker = setInterval(() => {
      const lat = sessionLatency();
      if (view.current && view.current.url === url) view.info.textContent = label + " · " + player + (lat === null ? "" : " · " + lat.toFixed(1) + " s behind");
    }, 1000);
  }
  return url;
}

// bindSessions gives a stream's article its session buttons.
function bindSessions(st) {
  const el = st.el.querySelector(".sessions"), protocol = () => el.querySelector(".protocol").value;
  el.querySelector(".live").addEventListener("click", () => { startSession(st, "LIVE", protocol()); });
  const range = el.querySelector(".range");
  range.hidden = !st.frags.length;
  range.addEventListener("click", () => { startSession(st, "ON_DEMAND", protocol()); });
}

sessionView.video.addEventListener("playing", () => {
  if (!sessionView.firstFrame) sessionView.firstFrame = performance.now() - sessionView.began;
});
sessionView.video.addEventListener("waiting", () => { if (sessionView.firstFrame) sessionView.waiting++; });
sessionView.video.addEventListener("error", () => {
  const e = sessionView.video.error;
  if (e && sessionView.current) showSessionError("The browser could not play this session", "(" + e.code + (e.message ? " " + e.message : "") + ")");
});
// One player plays at a time: a clip started stops the session.
video.addEventListener("play", () => {
  if (sessionView.current) stopSession();
  sessionView.section.hidden = true;
});

Object.assign(window.kvsclip, {
  // live and playRange start a session of the stream, LIVE or ON_DEMAND
  // over the selected range, in protocol "HLS" (the default) or "DASH",
  // HLS with player "auto", "hls.js" or "native"; they resolve to the
  // session URL, "" when nothing plays.
  live: (name, protocol, player) => startSession(state.streams.get(name), "LIVE", protocol, player),
  playRange: (name, protocol, player) => startSession(state.streams.get(name), "ON_DEMAND", protocol, player),
  stopSession,
  // session is what the session player is doing, for the browser test.
  session: () => {
    const v = sessionView.video, c = sessionView.current;
    return {
      player: c ? c.player : "", mode: c ? c.mode : "", protocol: c ? c.protocol : "", url: c ? c.url : "",
      currentTime: v.currentTime, readyState: v.readyState, paused: v.paused, ended: v.ended,
      duration: isFinite(v.duration) ? v.duration : -1, waiting: sessionView.waiting,
      firstFrameMs: sessionView.firstFrame, latency: sessionLatency(),
      // ahead is the media buffered past the play head, in seconds.
      ahead: (b => { for (let i = 0; i < b.length; i++) if (b.start(i) <= v.currentTime + 0.1 && v.currentTime <= b.end(i)) return b.end(i) - v.currentTime; return 0; })(v.buffered),
      error: sessionView.error.hidden ? "" : sessionView.error.textContent,
    };
  },
});
