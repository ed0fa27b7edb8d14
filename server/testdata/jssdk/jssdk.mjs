// Calls GetImages and the newer kinesisvideo operations through the AWS SDK
// for JavaScript v3 against a kvsclip server, and prints one JSON object
// per call: what the SDK returned, or the name of the exception it threw.
// server/jssdk_test.go runs it and judges the results.
import * as kv from "@aws-sdk/client-kinesis-video";
import * as am from "@aws-sdk/client-kinesis-video-archived-media";

const env = name => {
  const v = process.env[name];
  if (!v) throw new Error(name + " is not set");
  return v;
};
const config = {
  endpoint: env("KVSCLIP_ENDPOINT"),
  region: "us-west-2",
  credentials: { accessKeyId: env("KVSCLIP_KEY_ID"), secretAccessKey: env("KVSCLIP_SECRET") },
  maxAttempts: 1,
};
const stream = env("KVSCLIP_STREAM");
const start = new Date(Number(env("KVSCLIP_START_MS")));
const video = new kv.KinesisVideoClient(config);
const media = new am.KinesisVideoArchivedMediaClient(config);

// call runs one operation and reduces its answer with pick.
async function call(op, run, pick = () => ({})) {
  try {
    return { op, ok: true, ...pick(await run()) };
  } catch (err) {
    return { op, ok: false, error: err.name, message: err.message };
  }
}

const thing = "arn:aws:iot:us-west-2:000000000000:thing/hub-1";
const channel = "arn:aws:kinesisvideo:us-west-2:000000000000:channel/ch/1";
const results = [];
const images = [];
results.push(await call("GetImages", async () => {
  const input = {
    StreamName: stream, ImageSelectorType: "PRODUCER_TIMESTAMP", StartTimestamp: start,
    EndTimestamp: new Date(start.getTime() + 9000), SamplingInterval: 3000, Format: "JPEG",
    FormatConfig: { JPEGQuality: "60" }, HeightPixels: 48, MaxResults: 2,
  };
  let pages = 0;
  for await (const page of am.paginateGetImages({ client: media }, input)) {
    pages++;
    images.push(...page.Images);
  }
  return { pages };
}, r => ({ pages: r.pages, images: images.map(i => ({ time: i.TimeStamp.getTime(), error: i.Error, content: i.ImageContent })) })));
results.push(await call("GetDataEndpoint", () => video.send(new kv.GetDataEndpointCommand({ StreamName: stream, APIName: "GET_IMAGES" })),
  r => ({ endpoint: r.DataEndpoint })));
results.push(await call("DescribeEdgeConfiguration", () => video.send(new kv.DescribeEdgeConfigurationCommand({ StreamName: stream }))));
results.push(await call("DeleteEdgeConfiguration", () => video.send(new kv.DeleteEdgeConfigurationCommand({ StreamName: stream }))));
results.push(await call("StartEdgeConfigurationUpdate", () => video.send(new kv.StartEdgeConfigurationUpdateCommand({
  StreamName: stream,
  EdgeConfig: { HubDeviceArn: thing, RecorderConfig: { MediaSourceConfig: { MediaUriSecretArn: "arn:aws:secretsmanager:us-west-2:000000000000:secret:cam", MediaUriType: "RTSP_URI" } } },
}))));
results.push(await call("ListEdgeAgentConfigurations", () => video.send(new kv.ListEdgeAgentConfigurationsCommand({ HubDeviceArn: thing })),
  r => ({ count: r.EdgeConfigs.length })));
results.push(await call("DescribeMappedResourceConfiguration", () => video.send(new kv.DescribeMappedResourceConfigurationCommand({ StreamName: stream })),
  r => ({ count: r.MappedResourceConfigurationList.length })));
results.push(await call("DescribeMediaStorageConfiguration", () => video.send(new kv.DescribeMediaStorageConfigurationCommand({ ChannelARN: channel }))));
results.push(await call("UpdateMediaStorageConfiguration", () => video.send(new kv.UpdateMediaStorageConfigurationCommand({
  ChannelARN: channel, MediaStorageConfiguration: { Status: "DISABLED" },
}))));
results.push(await call("DescribeStreamStorageConfiguration", () => video.send(new kv.DescribeStreamStorageConfigurationCommand({ StreamName: stream })),
  r => ({ tier: r.StreamStorageConfiguration.DefaultStorageTier })));
results.push(await call("UpdateStreamStorageConfiguration", async () => {
  const d = await video.send(new kv.DescribeStreamCommand({ StreamName: stream }));
  await video.send(new kv.UpdateStreamStorageConfigurationCommand({
    StreamName: stream, CurrentVersion: d.StreamInfo.Version, StreamStorageConfiguration: { DefaultStorageTier: "WARM" },
  }));
  return video.send(new kv.DescribeStreamStorageConfigurationCommand({ StreamName: stream }));
}, r => ({ tier: r.StreamStorageConfiguration.DefaultStorageTier })));
console.log(JSON.stringify(results));
