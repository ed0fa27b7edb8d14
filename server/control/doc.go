// Package control is the KVS control plane (the kinesisvideo API) over an
// archive.Store: streams (CreateStream, DescribeStream, ListStreams,
// UpdateStream, UpdateDataRetention, DeleteStream), their tags by name and
// by ARN, the configurations kept with a stream (image generation,
// notification, storage tier), GetDataEndpoint, and the answers that are
// true of a self-hosted archive for what it does not have: edge agents,
// mapped resources and signaling channels.
//
// kvsclip does not generate images into a destination or send
// notifications: it validates and stores what was configured, so that
// clients that set and read these settings work, and GetImages is where
// images come from.
//
// The newer stream operations of the kinesisvideo API (in the JS v3 and Go
// v2 SDKs' models, not in every botocore) each get the answer that is true
// here rather than a 404:
//
//   - Edge configuration drives the KVS Edge Agent, which records cameras
//     on an AWS IoT Greengrass device and uploads to KVS. No such agent
//     works for this server, so no stream has an edge configuration:
//     DescribeEdgeConfiguration and DeleteEdgeConfiguration answer
//     StreamEdgeConfigurationNotFoundException, as KVS does for a stream
//     without one; ListEdgeAgentConfigurations lists none; and
//     StartEdgeConfigurationUpdate, which would have to create one, is
//     refused with AccessDeniedException.
//   - A mapped resource is the signaling channel whose WebRTC media is
//     stored in a stream. There are no signaling channels here, so
//     DescribeMappedResourceConfiguration lists none for any stream.
//   - Describe/UpdateMediaStorageConfiguration take a signaling channel,
//     and are refused as the other signaling-channel operations are.
//   - The stream storage configuration (the default storage tier, HOT or
//     WARM) is validated and kept with the stream, and read back; the
//     archive has one tier, so it changes nothing about where fragments go.
//
// Routes returns the operations for the server's route table; the
// server's middleware checks the signature and hands each request on with
// its httpapi.Call in the context.
package control
