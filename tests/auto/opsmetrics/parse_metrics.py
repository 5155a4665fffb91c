#!/usr/bin/python3
"""Parses Prometheus text (stdin) with the official client parser and prints
one JSON object {family: {"type": t, "samples": [[name, labels, value], ...]}}."""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families

out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    out[family.name] = {
        "type": family.type,
        "help": family.documentation,
        "samples": [[s.name, s.labels, s.value if math.isfinite(s.value) else str(s.value)]
                    for s in family.samples],
    }
print(json.dumps(out))
