"""Decode every wire fixture of a directory with firmware/wire.py; print one JSON line each.

Each line is {"name": file, "fields": {...}} for a payload the firmware accepts, {"name": file,
"error": field} for one it refuses, or {"name": file, "skipped": kind} for a kind the house
node neither sends nor reads.
"""

import json
import os
import sys

import wire


def main(directory):
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".json"):
            continue
        with open(directory + "/" + name) as f:
            fixture = json.load(f)
        parts = fixture["topic"].split("/")
        kind = parts[-1]
        line = {"name": name}
        if kind not in wire.SCHEMAS:
            line["skipped"] = kind
        else:
            try:
                line["fields"] = wire.decode(kind, fixture["payload"].encode(), parts[2])
            except wire.WireError as exc:
                line["error"] = exc.field
        print(json.dumps(line))


main(sys.argv[1])
