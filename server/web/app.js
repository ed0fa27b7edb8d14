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

// api posts a KVS operation and returns its JSON, or throws with the
// server's error code and message so the page can show them as they are.
async function api(op, body) {
  const resp = await fetch("/" + op, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}) });
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
  const q = new URLSearchParams({ start: st.start.value, end: st.end.value, selector: "producer", format });
  return "/clips/" + encodeURIComponent(st.name) + ".mp4?" + q.toString();
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
    // The page sends unsigned requests: a server with credentials refuses
    // them (it would need presigned URLs, which this page does not make).
    setStatus(err.message + (err.code === "NotAuthorizedException" ? " — this page only works on a server without credentials" : ""));
    throw err;
  }
}

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
};
