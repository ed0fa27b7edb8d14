#!/usr/bin/env python3
"""Calls every Kinesis Video Streams command the AWS CLI (`aws` on PATH)
exposes against a kvsclip server, each as its own `aws` process given the
input of compat/plan.json as options (--stream-name NAME, structures and
lists as JSON), and prints one JSON line per
operation: {op, service, client, version, outcome[, detail]}. Outcomes and
environment as compat/python/run.py describes them; only the standard
library is used, so the CLI is all that is tested.

Commands the plan lacks are found with aws_completer (shipped with both
CLI v1 and v2) and called with an empty input.
"""

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import plan  # noqa: E402 (compat/plan.py, found through the line above)

SERVICES = ("kinesisvideo", "kinesis-video-archived-media", "kinesis-video-media")
STREAMING = {"GetMedia", "GetClip", "GetMediaForFragmentList"}
# GetMedia never ends by itself: the CLI is stopped once it has written
# bytes, which are the proof, or after this long without any.
GET_MEDIA_SECONDS = 60
# Each `aws` process takes a second or more to start on a busy machine:
# the calls run side by side where the plan's chains allow.
WORKERS = 6
ERROR = re.compile(r"An error occurred \(([A-Za-z0-9_.]+)\)")


def kebab(op):
    """The CLI's command name of an operation, GetHLSStreamingSessionURL ->
    get-hls-streaming-session-url."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", op)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", s)
    return s.lower()


def commands(service):
    """The commands the CLI offers for service, or None without aws_completer."""
    completer = shutil.which("aws_completer")
    if not completer:
        return None
    line = "aws %s " % service
    env = dict(os.environ, COMP_LINE=line, COMP_POINT=str(len(line)))
    out = subprocess.run([completer], env=env, capture_output=True, text=True, timeout=60).stdout
    return {c for c in out.split() if c not in ("help", "wait", "wizard")}


class Run:
    def __init__(self):
        self.env = os.environ
        self.tmp = tempfile.mkdtemp(prefix="kvsclip-compat-cli-")
        self.placeholders = {
            "$stream": lambda: self.env["KVSCLIP_STREAM"],
            "$media": lambda: self.env["KVSCLIP_MEDIA_STREAM"],
            "$start": lambda: self.when("KVSCLIP_START"),
            "$end": lambda: self.when("KVSCLIP_END"),
            "$version": lambda: self.describe()["Version"],
            "$streamARN": plan.once(lambda: self.describe()["StreamARN"]),
            "$fragment": plan.once(self.first_fragment),
        }

    def when(self, name):
        t = datetime.datetime.fromtimestamp(float(self.env[name]), tz=datetime.timezone.utc)
        return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def aws(self, service, command, params, outfile=None, timeout=60, until_bytes=False):
        """Runs one aws command; with until_bytes, stops it as soon as
        outfile holds something (it returns None then)."""
        args = ["aws", "--endpoint-url", self.env["KVSCLIP_URL"], "--output", "json", service, command]
        if outfile:
            # First: a list option would take it as one more element.
            args.append(outfile)
        # Options rather than --cli-input-json: CLI v1 still asks for the
        # required options of a command with an outfile when given the
        # input as JSON.
        for name, value in params.items():
            args += ["--" + kebab(name), value if isinstance(value, str) else json.dumps(value)]
        env = dict(self.env, AWS_MAX_ATTEMPTS="1", AWS_PAGER="")
        if not until_bytes:
            return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
        with subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as p:
            deadline = time.monotonic() + timeout
            while p.poll() is None:
                if os.path.exists(outfile) and os.path.getsize(outfile) > 0:
                    p.kill()
                    p.wait()
                    return None
                if time.monotonic() > deadline:
                    p.kill()
                    raise subprocess.TimeoutExpired(args, timeout)
                time.sleep(0.05)
            out, err = p.communicate()
            return subprocess.CompletedProcess(args, p.returncode, out, err)

    def helper(self, service, command, params):
        p = self.aws(service, command, params)
        if p.returncode != 0:
            raise RuntimeError("%s %s: %s" % (service, command, p.stderr.strip()))
        return json.loads(p.stdout)

    def describe(self):
        return self.helper("kinesisvideo", "describe-stream", {"StreamName": self.env["KVSCLIP_STREAM"]})["StreamInfo"]

    def first_fragment(self):
        out = self.helper("kinesis-video-archived-media", "list-fragments",
                          {"StreamName": self.env["KVSCLIP_MEDIA_STREAM"], "MaxResults": 1000})
        return min(out["Fragments"], key=lambda f: int(f["FragmentNumber"]))["FragmentNumber"]

    def call(self, service, op, command, params):
        outfile = os.path.join(self.tmp, op) if op in STREAMING else None
        try:
            filled = plan.fill(params, self.placeholders)
            if op == "GetMedia":
                p = self.aws(service, command, filled, outfile, timeout=GET_MEDIA_SECONDS, until_bytes=True)
            else:
                p = self.aws(service, command, filled, outfile)
        except Exception as e:  # a failed helper call or a hung CLI
            return {"outcome": "other", "detail": "%s: %s" % (type(e).__name__, e)}
        if p is not None and p.returncode != 0:
            m = ERROR.search(p.stderr)
            if not m and "Invalid choice" in p.stderr:
                # Without aws_completer, a command this CLI lacks is found here.
                return {"outcome": "NOT_EXPOSED"}
            if not m:
                return {"outcome": "other", "detail": p.stderr.strip()[-300:]}
            if m.group(1) == "UnknownOperationException":
                return {"outcome": "UNKNOWN_OPERATION"}
            return {"outcome": m.group(1)}
        if outfile and not (os.path.exists(outfile) and os.path.getsize(outfile) > 0):
            return {"outcome": "other", "detail": "empty payload"}
        return {"outcome": "ok"}


def main():
    with ThreadPoolExecutor(WORKERS) as pool:
        version = pool.submit(subprocess.run, ["aws", "--version"], capture_output=True, text=True)
        offered = dict(zip(SERVICES, pool.map(commands, SERVICES)))
        version = (version.result().stdout.split() or ["?"])[0].split("/")[-1]
        if any(c is None for c in offered.values()):
            print("aws_completer not found: only the plan's operations are tried", file=sys.stderr)
        calls = [(e["service"], e["op"], kebab(e["op"]), e["input"], e.get("chain")) for e in plan.load()]
        planned = {(c[0], c[2]) for c in calls}
        for s in SERVICES:
            for c in sorted(offered[s] or ()):
                if (s, c) not in planned:
                    calls.append((s, "".join(w.capitalize() for w in c.split("-")), c, {}, None))
        run = Run()

        def one(call):
            service, op, command, params, _ = call
            line = {"op": op, "service": service, "client": "aws-cli", "version": version}
            if offered[service] is not None and command not in offered[service]:
                line["outcome"] = "NOT_EXPOSED"
            else:
                line.update(run.call(service, op, command, params))
            return line

        def serial(chain):
            return [one(c) for c in chain]

        # setup, then every chain (a call outside one is a chain of its
        # own) side by side, then teardown.
        chains = {}
        for i, c in enumerate(calls):
            chains.setdefault(c[4] or i, []).append(c)
        done = serial(chains.pop("setup", []))
        teardown = chains.pop("teardown", [])
        for lines in pool.map(serial, chains.values()):
            done += lines
        done += serial(teardown)
    order = {(c[0], c[1]): i for i, c in enumerate(calls)}
    for line in sorted(done, key=lambda l: order[(l["service"], l["op"])]):
        print(json.dumps(line), flush=True)
    shutil.rmtree(run.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
