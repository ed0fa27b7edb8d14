// Calls every Kinesis Video Streams operation the JS SDK v3 exposes
// against a kvsclip server, with the inputs of compat/plan.json, and prints
// one JSON line per operation: {op, service, client, version, outcome[, detail]}.
// Outcomes and environment as compat/python/run.py describes them.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as kinesisvideo from "@aws-sdk/client-kinesis-video";
import * as archivedMedia from "@aws-sdk/client-kinesis-video-archived-media";
import * as media from "@aws-sdk/client-kinesis-video-media";

const here = dirname(fileURLToPath(import.meta.url));
const env = process.env;

// Each service: its module, its package (for the version) and its client class.
const services = {
  "kinesisvideo": { mod: kinesisvideo, pkg: "@aws-sdk/client-kinesis-video", client: "KinesisVideoClient" },
  "kinesis-video-archived-media": { mod: archivedMedia, pkg: "@aws-sdk/client-kinesis-video-archived-media", client: "KinesisVideoArchivedMediaClient" },
  "kinesis-video-media": { mod: media, pkg: "@aws-sdk/client-kinesis-video-media", client: "KinesisVideoMediaClient" },
};
const streaming = new Set(["GetMedia", "GetClip", "GetMediaForFragmentList"]);

for (const s of Object.values(services)) {
  s.version = JSON.parse(readFileSync(join(here, "node_modules", s.pkg, "package.json"), "utf8")).version;
  s.api = new s.mod[s.client]({ endpoint: env.KVSCLIP_URL, region: env.AWS_REGION || env.AWS_DEFAULT_REGION, maxAttempts: 1 });
  s.ops = Object.keys(s.mod).filter((k) => k.endsWith("Command") && k !== "$Command").map((k) => k.slice(0, -"Command".length));
}

const send = (service, op, input) => services[service].api.send(new services[service].mod[op + "Command"](input));

async function describe() {
  return (await send("kinesisvideo", "DescribeStream", { StreamName: env.KVSCLIP_STREAM })).StreamInfo;
}

async function firstFragment() {
  const out = await send("kinesis-video-archived-media", "ListFragments", { StreamName: env.KVSCLIP_MEDIA_STREAM, MaxResults: 1000 });
  return out.Fragments.map((f) => f.FragmentNumber).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))[0];
}

const placeholders = {
  $stream: async () => env.KVSCLIP_STREAM,
  $media: async () => env.KVSCLIP_MEDIA_STREAM,
  $start: async () => new Date(Number(env.KVSCLIP_START) * 1000),
  $end: async () => new Date(Number(env.KVSCLIP_END) * 1000),
  $version: async () => (await describe()).Version,
  $streamARN: async () => (await describe()).StreamARN,
  $fragment: firstFragment,
};

async function fill(v) {
  if (Array.isArray(v)) return Promise.all(v.map(fill));
  if (v && typeof v === "object") {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = await fill(x);
    return out;
  }
  if (typeof v === "string" && v in placeholders) return placeholders[v]();
  return v;
}

async function call(service, op, input) {
  try {
    const out = await send(service, op, await fill(input));
    if (streaming.has(op)) {
      let got = 0;
      if (op === "GetMedia") {
        // GetMedia never ends by itself: its first bytes are proof enough.
        for await (const chunk of out.Payload) {
          got = chunk.length;
          break;
        }
      } else {
        got = (await out.Payload.transformToByteArray()).length;
      }
      if (!got) return { outcome: "other", detail: "empty payload" };
    }
    return { outcome: "ok" };
  } catch (e) {
    if (e?.$metadata?.httpStatusCode) {
      return { outcome: e.name === "UnknownOperationException" ? "UNKNOWN_OPERATION" : e.name };
    }
    return { outcome: "other", detail: `${e?.name}: ${e?.message}` };
  }
}

const plan = JSON.parse(readFileSync(join(here, "..", "plan.json"), "utf8")).operations;
const planned = new Set(plan.map((e) => e.service + "/" + e.op));
const calls = plan.map((e) => [e.service, e.op, services[e.service].ops.includes(e.op) ? e.input : null]);
for (const [service, s] of Object.entries(services)) {
  for (const op of s.ops) if (!planned.has(service + "/" + op)) calls.push([service, op, {}]);
}
for (const [service, op, input] of calls) {
  const line = { op, service, client: "js-v3", version: services[service].version };
  Object.assign(line, input === null ? { outcome: "NOT_EXPOSED" } : await call(service, op, input));
  console.log(JSON.stringify(line));
}
