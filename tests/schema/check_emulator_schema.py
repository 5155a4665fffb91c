#!/usr/bin/python3
"""Schema fidelity of the Twilio emulator.

Starts the twilio-emulator executable on a free loopback port, calls every
operation in every kind of answer (success, paged lists, errors) and validates
each JSON body against the schema of that operation and status in Twilio's
OpenAPI subset. Error bodies are checked against Twilio's error shape.

Usage: check_emulator_schema.py --emulator BIN --spec tests/data/openapi-subset.json
       (or TWILIO_EMULATOR_BIN in the environment)
"""
import argparse
import base64
import copy
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import jsonschema

ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message", "more_info", "status"],
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "more_info": {"type": "string", "pattern": "^https://"},
        "status": {"type": "integer"},
    },
}

TOKEN_VALID_SCHEMA = {
    "type": "object",
    "required": ["valid", "code", "message", "expiration", "realm_user_id", "identity", "roles", "worker_sid"],
    "properties": {
        "valid": {"enum": [True]},
        "code": {"type": "integer"},
        "message": {"type": "null"},
        "expiration": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"},
        "realm_user_id": {"type": "string"},
        "identity": {"type": "string"},
        "roles": {"type": "array", "items": {"type": "string"}},
        "worker_sid": {"type": "string", "pattern": "^WK[0-9a-fA-F]{32}$"},
    },
}
TOKEN_INVALID_SCHEMA = {
    "type": "object",
    "required": ["valid", "code", "message"],
    "properties": {"valid": {"enum": [False]}, "code": {"type": "integer"}, "message": {"type": "string"}},
}


def openapi_to_jsonschema(node):
    """OpenAPI 3.0 'nullable: true' becomes a JSON-schema type union with null."""
    if isinstance(node, list):
        return [openapi_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: openapi_to_jsonschema(v) for k, v in node.items() if k not in ("nullable", "example", "x-twilio")}
    if node.get("nullable"):
        if "type" in out:
            t = out["type"]
            out["type"] = (t if isinstance(t, list) else [t]) + ["null"]
            if "enum" in out:
                out["enum"] = list(out["enum"]) + [None]
        elif "$ref" in out:
            out = {"anyOf": [{"$ref": out.pop("$ref")}, {"type": "null"}], **out}
        # no type at all: anything goes already, null included
    return out


class Checker:
    def __init__(self, spec_path):
        with open(spec_path) as f:
            self.spec = json.load(f)
        self.components = openapi_to_jsonschema(self.spec["components"]["schemas"])
        self.ops = {}
        for path, item in self.spec["paths"].items():
            for method, op in item.items():
                if isinstance(op, dict) and "operationId" in op:
                    self.ops[op["operationId"]] = op
        self.failures = []
        self.checked = 0

    def schema_for(self, operation, status):
        response = self.ops[operation]["responses"].get(str(status))
        if response is None:
            return None
        schema = response["content"]["application/json"]["schema"]
        schema = openapi_to_jsonschema(copy.deepcopy(schema))
        # $refs point at '#/components/schemas/...': give the validator that document.
        return {**schema, "components": {"schemas": self.components}}

    def validate(self, label, schema, body):
        self.checked += 1
        validator = jsonschema.Draft7Validator(schema, format_checker=None)
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        for e in errors:
            self.failures.append("%s: %s at %s" % (label, e.message, "/".join(str(p) for p in e.path)))
        return not errors


class Emulator:
    def __init__(self, binary):
        self.proc = subprocess.Popen([binary, "--port", "0", "--warmup-s", "900", "--seed", "7",
                                      "--call-step-ms", "20", "--talk-time-ms", "100",
                                      "--token", "good-token:alice:agent"],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if not m:
            self.proc.kill()
            raise RuntimeError("emulator did not report its URL: %r" % line)
        self.base = m.group(1)
        state = self.control("GET", "/")[1]
        self.account = state["accountSid"]
        self.token = state["authToken"]
        self.workspace = state["workspaceSid"]
        self.queues = state["queues"]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def request(self, method, path, body=None, content_type=None, auth=True, user=None, password=None):
        url = path if path.startswith("http") else self.base + path
        req = urllib.request.Request(url, data=body, method=method)
        if content_type:
            req.add_header("Content-Type", content_type)
        if auth:
            cred = "%s:%s" % (user or self.account, password or self.token)
            req.add_header("Authorization", "Basic " + base64.b64encode(cred.encode()).decode())
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null"), resp.headers
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null"), e.headers

    def control(self, method, path, payload=None):
        body = json.dumps(payload).encode() if payload is not None else None
        return self.request(method, "/__emulator" + path, body, "application/json", auth=False)[:2]


def run(binary, spec):
    checker = Checker(spec)
    emu = Emulator(binary)
    try:
        ws = "/v1/Workspaces/" + emu.workspace
        calls = "/2010-04-01/Accounts/%s/Calls" % emu.account
        q = emu.queues[0]
        form = lambda d: urllib.parse.urlencode(d, doseq=True).encode()

        def expect(label, operation, status, result, body_schema=None):
            got_status, body, headers = result
            if got_status != status:
                checker.failures.append("%s: HTTP %s, expected %s: %s" % (label, got_status, status, body))
                return body
            if body_schema is not None:
                checker.validate(label, body_schema, body)
            elif status >= 400:
                checker.validate(label, ERROR_SCHEMA, body)
                if body.get("status") != status:
                    checker.failures.append("%s: error body status %s != %s" % (label, body.get("status"), status))
            else:
                schema = checker.schema_for(operation, status)
                if schema is None:
                    checker.failures.append("%s: no schema for %s %s" % (label, operation, status))
                else:
                    checker.validate(label, schema, body)
            return body

        # --- successes -------------------------------------------------------
        all_sids = []
        url = ws + "/TaskQueues?PageSize=2"
        pages = 0
        while url:
            body = expect("ListTaskQueue page %d" % pages, "ListTaskQueue", 200, emu.request("GET", url))
            if not isinstance(body, dict):
                break
            all_sids += [x["sid"] for x in body.get("task_queues", [])]
            url = body["meta"]["next_page_url"]
            pages += 1
            if pages > 10:
                checker.failures.append("ListTaskQueue: paging does not end")
                break
        if sorted(all_sids) != sorted(emu.queues):
            checker.failures.append("ListTaskQueue: paging lost or repeated queues")
        expect("FetchTaskQueue", "FetchTaskQueue", 200, emu.request("GET", ws + "/TaskQueues/" + q))
        expect("ListTaskChannel", "ListTaskChannel", 200, emu.request("GET", ws + "/TaskChannels"))
        expect("ListTaskChannel paged", "ListTaskChannel", 200, emu.request("GET", ws + "/TaskChannels?PageSize=1&Page=0"))
        for channel in ("", "?TaskChannel=voice", "?TaskChannel=chat"):
            expect("RealTimeStatistics" + channel, "FetchTaskQueueRealTimeStatistics", 200,
                   emu.request("GET", ws + "/TaskQueues/%s/RealTimeStatistics%s" % (q, channel)))
        for query in ("", "?Minutes=60", "?StartDate=2000-01-01T00:00:00Z&SplitByWaitTime=30,60,120",
                      "?TaskChannel=voice&Minutes=600&SplitByWaitTime=30", "?StartDate=2000-01-01T00:00:00Z&EndDate=2000-01-02T00:00:00Z"):
            expect("CumulativeStatistics" + query, "FetchTaskQueueCumulativeStatistics", 200,
                   emu.request("GET", ws + "/TaskQueues/%s/CumulativeStatistics%s" % (q, query)))
        for query in ("?PageSize=1000", "?PageSize=2&Minutes=600&SplitByWaitTime=30,60&TaskChannel=voice"):
            expect("ListTaskQueuesStatistics" + query, "ListTaskQueuesStatistics", 200,
                   emu.request("GET", ws + "/TaskQueues/Statistics" + query))
        expect("FetchWorkerStatistics", "FetchWorkerStatistics", 200, emu.request("GET", ws + "/Workers/Statistics"))
        expect("FetchWorkerStatistics queue", "FetchWorkerStatistics", 200,
               emu.request("GET", ws + "/Workers/Statistics?TaskQueueSid=" + q))
        expect("CreateTaskQueueBulkRealTimeStatistics", "CreateTaskQueueBulkRealTimeStatistics", 200,
               emu.request("POST", ws + "/TaskQueues/RealTimeStatistics",
                           json.dumps({"TaskQueueSids": emu.queues}).encode(), "application/json"))
        call = expect("CreateCall", "CreateCall", 201, emu.request(
            "POST", calls + ".json",
            form({"To": "+15550000004", "From": "+15557654321", "Url": "http://127.0.0.1:9/twiml",
                  "StatusCallbackEvent": ["ringing", "completed"]}), "application/x-www-form-urlencoded"))
        sid = call.get("sid", "CA" + "0" * 32) if isinstance(call, dict) else "CA" + "0" * 32
        expect("FetchCall", "FetchCall", 200, emu.request("GET", "%s/%s.json" % (calls, sid)))
        expect("UpdateCall", "UpdateCall", 200, emu.request(
            "POST", "%s/%s.json" % (calls, sid), form({"Status": "canceled"}), "application/x-www-form-urlencoded"))
        expect("ValidateToken valid", "ValidateToken", 200, emu.request(
            "POST", "/v1/Accounts/%s/Tokens/validate" % emu.account, b'{"token":"good-token"}', "application/json"),
            TOKEN_VALID_SCHEMA)
        expect("ValidateToken invalid", "ValidateToken", 403, emu.request(
            "POST", "/v1/Accounts/%s/Tokens/validate" % emu.account, b'{"token":"nope"}', "application/json"),
            TOKEN_INVALID_SCHEMA)

        # --- the set-up (what flex-backend check reads) ------------------------
        state = emu.control("GET", "/")[1]
        workflow = state["workflowSid"]
        expect("ListWorkspace", "ListWorkspace", 200, emu.request("GET", "/v1/Workspaces"))
        expect("ListWorkspace paged", "ListWorkspace", 200, emu.request("GET", "/v1/Workspaces?PageSize=1"))
        expect("FetchWorkspace", "FetchWorkspace", 200, emu.request("GET", ws))
        expect("ListWorkflow", "ListWorkflow", 200, emu.request("GET", ws + "/Workflows"))
        body = expect("FetchWorkflow", "FetchWorkflow", 200, emu.request("GET", ws + "/Workflows/" + workflow))
        if isinstance(body, dict):
            config = json.loads(body.get("configuration") or "null")
            if not isinstance(config, dict) or "task_routing" not in config:
                checker.failures.append("FetchWorkflow: configuration is not a JSON string with task_routing")
        expect("ListActivity", "ListActivity", 200, emu.request("GET", ws + "/Activities"))
        expect("ListActivity filtered", "ListActivity", 200, emu.request("GET", ws + "/Activities?Available=true&PageSize=1"))
        # Broken set-ups keep the shapes.
        emu.control("POST", "/setup", {"targetWorkers": "routing.skills HAS 'sales'", "removeActivities": ["Offline"],
                                       "removeChannels": ["video"], "filterFirst": False})
        expect("FetchTaskQueue narrow", "FetchTaskQueue", 200, emu.request("GET", ws + "/TaskQueues/" + q))
        expect("ListActivity removed", "ListActivity", 200, emu.request("GET", ws + "/Activities"))
        expect("ListTaskChannel removed", "ListTaskChannel", 200, emu.request("GET", ws + "/TaskChannels"))
        expect("FetchWorkflow not first", "FetchWorkflow", 200, emu.request("GET", ws + "/Workflows/" + workflow))
        emu.control("POST", "/setup", {"workflowElsewhere": True})
        expect("404 workflow elsewhere", None, 404, emu.request("GET", ws + "/Workflows/" + workflow))
        emu.control("POST", "/setup", {"rejectAuthToken": True})
        expect("401 auth token rejected", None, 401, emu.request("GET", "/v1/Workspaces"))
        emu.control("POST", "/setup", {"reset": True})
        expect("404 unknown workspace", None, 404, emu.request("GET", "/v1/Workspaces/WS" + "0" * 32))

        # --- errors ----------------------------------------------------------
        expect("401 no auth", None, 401, emu.request("GET", ws + "/TaskQueues", auth=False))
        expect("401 bad token", None, 401, emu.request("GET", ws + "/TaskQueues", password="wrong"))
        expect("404 unknown queue", None, 404, emu.request("GET", ws + "/TaskQueues/WQ" + "0" * 32))
        expect("404 unknown call", None, 404, emu.request("GET", "%s/CA%s.json" % (calls, "0" * 32)))
        expect("404 unknown path", None, 404, emu.request("GET", "/v1/Unknown"))
        expect("400 PageSize", None, 400, emu.request("GET", ws + "/TaskQueues?PageSize=0"))
        expect("400 missing To", None, 400, emu.request(
            "POST", calls + ".json", form({"From": "+15557654321", "Url": "http://127.0.0.1:9/"}),
            "application/x-www-form-urlencoded"))
        expect("400 invalid To", None, 400, emu.request(
            "POST", calls + ".json", form({"To": "abc", "From": "+15557654321", "Url": "http://127.0.0.1:9/"}),
            "application/x-www-form-urlencoded"))
        for op, method, path in (("ListTaskQueue", "GET", ws + "/TaskQueues"),
                                 ("FetchTaskQueueRealTimeStatistics", "GET", ws + "/TaskQueues/%s/RealTimeStatistics" % q),
                                 ("FetchCall", "GET", "%s/%s.json" % (calls, sid))):
            for kind, status in (("401", 401), ("404", 404), ("429", 429), ("500", 500), ("503", 503)):
                emu.control("POST", "/faults", {"operation": op, "kind": kind, "count": 1, "retryAfter": 2})
                result = emu.request(method, path)
                expect("fault %s %s" % (op, kind), None, status, result)
                if status == 429 and result[2].get("Retry-After") != "2":
                    checker.failures.append("fault 429: Retry-After header missing")
    finally:
        emu.stop()
    return checker


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--emulator", default=os.environ.get("TWILIO_EMULATOR_BIN"))
    parser.add_argument("--spec", required=True)
    args = parser.parse_args()
    if not args.emulator:
        parser.error("--emulator or TWILIO_EMULATOR_BIN is required")
    checker = run(args.emulator, args.spec)
    for f in checker.failures:
        print("FAIL", f)
    print("%d bodies validated, %d failures" % (checker.checked, len(checker.failures)))
    return 1 if checker.failures else 0


if __name__ == "__main__":
    sys.exit(main())
