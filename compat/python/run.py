#!/usr/bin/env python3
"""Calls every Kinesis Video Streams operation boto3 exposes against a
kvsclip server, with the inputs of compat/plan.json, and prints one JSON
line per operation: {op, service, client, version, outcome[, detail]}.

The outcome is "ok", the error code the server answered (a typed error),
UNKNOWN_OPERATION when the server does not know the operation,
NOT_EXPOSED when the plan names an operation this boto3 lacks, or
"other" (with a detail) when the call failed in any other way.

Environment: KVSCLIP_URL (the server), KVSCLIP_STREAM (a stream name the
run may create and delete), KVSCLIP_MEDIA_STREAM (a stream holding
media), KVSCLIP_START and KVSCLIP_END (seconds since the epoch, inside the
media's producer timestamps), and the usual AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and AWS_DEFAULT_REGION.
"""

import datetime
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import plan  # noqa: E402 (compat/plan.py, found through the line above)

import boto3  # noqa: E402
import botocore.config  # noqa: E402
import botocore.exceptions  # noqa: E402

SERVICES = ("kinesisvideo", "kinesis-video-archived-media", "kinesis-video-media")
STREAMING = {"GetMedia", "GetClip", "GetMediaForFragmentList"}


def main():
    env = os.environ
    config = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"},
                                    read_timeout=30, connect_timeout=10)
    clients = {s: boto3.client(s, endpoint_url=env["KVSCLIP_URL"], config=config) for s in SERVICES}
    when = lambda name: datetime.datetime.fromtimestamp(float(env[name]), tz=datetime.timezone.utc)
    run = Run(clients, {
        "$stream": lambda: env["KVSCLIP_STREAM"],
        "$media": lambda: env["KVSCLIP_MEDIA_STREAM"],
        "$start": lambda: when("KVSCLIP_START"),
        "$end": lambda: when("KVSCLIP_END"),
        "$version": lambda: run.describe()["Version"],
        "$streamARN": plan.once(lambda: run.describe()["StreamARN"]),
        "$fragment": plan.once(lambda: run.first_fragment()),
    })
    for service, op, params in calls(plan.load(), clients):
        line = {"op": op, "service": service, "client": "boto3", "version": boto3.__version__}
        if params is None:
            line["outcome"] = "NOT_EXPOSED"
        else:
            line.update(run.call(service, op, params))
        print(json.dumps(line), flush=True)


def calls(operations, clients):
    """The plan's operations in order, then those the plan lacks with an
    empty input; those the client lacks come with params None."""
    planned = set()
    for entry in operations:
        service, op = entry["service"], entry["op"]
        planned.add((service, op))
        exposed = op in clients[service].meta.service_model.operation_names
        yield service, op, (entry["input"] if exposed else None)
    for service in SERVICES:
        for op in clients[service].meta.service_model.operation_names:
            if (service, op) not in planned:
                yield service, op, {}


class Run:
    def __init__(self, clients, placeholders):
        self.clients = clients
        self.placeholders = placeholders

    def describe(self):
        return self.clients["kinesisvideo"].describe_stream(StreamName=self.placeholders["$stream"]())["StreamInfo"]

    def first_fragment(self):
        out = self.clients["kinesis-video-archived-media"].list_fragments(
            StreamName=self.placeholders["$media"](), MaxResults=1000)
        return min(out["Fragments"], key=lambda f: int(f["FragmentNumber"]))["FragmentNumber"]

    def call(self, service, op, params):
        client = self.clients[service]
        method = getattr(client, botocore.xform_name(op))
        try:
            out = method(**plan.fill(params, self.placeholders))
            if op in STREAMING:
                # GetMedia never ends by itself: its first bytes are proof enough.
                body = out["Payload"]
                got = body.read(4) if op == "GetMedia" else body.read()
                body.close()
                if not got:
                    return {"outcome": "other", "detail": "empty payload"}
            return {"outcome": "ok"}
        except botocore.exceptions.ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            if code == "UnknownOperationException":
                return {"outcome": "UNKNOWN_OPERATION"}
            if code:
                return {"outcome": code}
            return {"outcome": "other", "detail": str(e)}
        except Exception as e:  # anything else is what the run reports
            return {"outcome": "other", "detail": "%s: %s" % (type(e).__name__, e)}


if __name__ == "__main__":
    sys.exit(main())
