#!/usr/bin/python3
"""Build tests/data/openapi-subset.json from a twilio/twilio-oai checkout.

Keeps the named operations (tests/data/openapi-operations.txt), the path-level
keys of their paths (servers, description, x-twilio), and every component
schema they reference, directly or through other schemas. Everything kept is
copied unchanged. Standard library only; `git` is needed only with --rev.

  make_openapi_subset.py OAI_DIR [--rev COMMIT] [--operations FILE] [-o OUT]
                         [--spec-file spec/json/NAME.json ...]

OAI_DIR is a twilio-oai work tree, or a (bare) git directory when --rev is
given (the spec files are then read with `git show COMMIT:PATH`).
Exit status: 0 written, 1 an operation or a reference was not found.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SPECS = ["spec/json/twilio_api_v2010.json", "spec/json/twilio_taskrouter_v1.json"]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SCHEMA_PREFIX = "#/components/schemas/"


def read_spec(oai_dir, rev, path):
    if rev:
        text = subprocess.run(["git", "-C", oai_dir, "show", f"{rev}:{path}"],
                              check=True, capture_output=True, text=True).stdout
    else:
        with open(os.path.join(oai_dir, path), encoding="utf-8") as f:
            text = f.read()
    return json.loads(text)


def read_operations(path):
    with open(path, encoding="utf-8") as f:
        lines = (line.split("#", 1)[0].strip() for line in f)
        return [line for line in lines if line]


def schema_refs(node):
    """Every '#/components/schemas/X' name referenced anywhere below node."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_PREFIX):
            yield ref[len(SCHEMA_PREFIX):]
        for value in node.values():
            yield from schema_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from schema_refs(value)


def index_operations(specs):
    """operationId -> (spec, path, method)."""
    found = {}
    for spec in specs:
        for path, item in spec["paths"].items():
            for method in METHODS:
                op = item.get(method)
                if isinstance(op, dict) and "operationId" in op:
                    found[op["operationId"]] = (spec, path, method)
    return found


def referenced_schemas(roots, all_schemas):
    wanted, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        if name not in all_schemas:
            raise KeyError(f"schema {name!r} is referenced but not defined")
        wanted.add(name)
        todo.extend(schema_refs(all_schemas[name]))
    return wanted


def build_subset(specs, operations, source_label):
    index = index_operations(specs)
    missing = [op for op in operations if op not in index]
    if missing:
        raise KeyError("operation(s) not found: " + ", ".join(missing))
    paths, roots, tags, servers = {}, set(), set(), []
    for op in operations:
        spec, path, method = index[op]
        item = spec["paths"][path]
        kept = paths.setdefault(path, {k: v for k, v in item.items() if k not in METHODS})
        kept[method] = item[method]
        # Keys in the order the source spec lists them.
        paths[path] = {k: kept[k] for k in item if k in kept}
        roots.update(schema_refs(item[method]))
        tags.update(item[method].get("tags", []))
        for server in spec.get("servers", []):
            if server not in servers:
                servers.append(server)
    all_schemas = {}
    for spec in specs:
        all_schemas.update(spec.get("components", {}).get("schemas", {}))
    schemas = referenced_schemas(roots, all_schemas)
    first = specs[0]
    info = dict(first["info"])
    info["title"] = "Twilio - subset (" + ", ".join(s["info"]["title"].removeprefix("Twilio - ") for s in specs) + ")"
    info["description"] = (f"Subset of the public Twilio REST API OpenAPI spec, made by "
                           f"tests/data/make_openapi_subset.py from {source_label}. "
                           "Operation-level `servers` give the real host of each path.")
    return {
        "openapi": first["openapi"],
        "info": info,
        "servers": servers,
        "security": first.get("security", []),
        "tags": [{"name": t} for t in sorted(tags)],
        "paths": paths,
        "components": {
            "schemas": {name: all_schemas[name] for name in sorted(schemas)},
            "securitySchemes": first.get("components", {}).get("securitySchemes", {}),
        },
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("oai_dir", help="twilio-oai work tree, or git directory with --rev")
    parser.add_argument("--rev", help="read the spec files at this commit (git show)")
    parser.add_argument("--operations", default=os.path.join(HERE, "openapi-operations.txt"))
    parser.add_argument("--spec-file", action="append", dest="spec_files",
                        help=f"spec file inside the checkout (default: {', '.join(DEFAULT_SPECS)})")
    parser.add_argument("-o", "--output", default=os.path.join(HERE, "openapi-subset.json"))
    args = parser.parse_args()
    try:
        specs = [read_spec(args.oai_dir, args.rev, p) for p in args.spec_files or DEFAULT_SPECS]
        label = f"twilio/twilio-oai@{args.rev}" if args.rev else f"twilio/twilio-oai ({args.oai_dir})"
        subset = build_subset(specs, read_operations(args.operations), label)
    except (OSError, KeyError, ValueError, subprocess.CalledProcessError) as e:
        print(f"make_openapi_subset: {e}", file=sys.stderr)
        return 1
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(subset, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {args.output}: {len(subset['paths'])} paths, "
          f"{len(subset['components']['schemas'])} schemas")
    return 0


if __name__ == "__main__":
    sys.exit(main())
