#!/usr/bin/env python3
"""Check that proto/ is a field-compatible subset of Envoy's API.

Usage: check_subset.py ENVOY_DESCRIPTOR_SET

ENVOY_DESCRIPTOR_SET is a FileDescriptorSet built with --include_imports from
Envoy's own .proto files (envoyproxy/envoy api/, with its xds, googleapis and
protoc-gen-validate dependencies), e.g.

  protoc -Iapi -Ixds -Igoogleapis -Iprotoc-gen-validate --include_imports \\
      -o envoy.pb envoy/config/bootstrap/v3/bootstrap.proto \\
      envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto \\
      envoy/extensions/filters/http/router/v3/router.proto \\
      envoy/service/discovery/v3/ads.proto

Every message, field (name, number, type, label, type name, json name, oneof)
and enum value in proto/ must exist in Envoy's descriptor with the same
meaning.  Needs protoc and python3-protobuf; not part of the build.
"""
import os, subprocess, sys, tempfile
from google.protobuf import descriptor_pb2 as D


def index(fds):
    msgs, enums = {}, {}

    def walk(pfx, m):
        name = pfx + "." + m.name
        msgs[name] = m
        for n in m.nested_type:
            walk(name, n)
        for e in m.enum_type:
            enums[name + "." + e.name] = e

    for f in fds.file:
        for m in f.message_type:
            walk("." + f.package, m)
        for e in f.enum_type:
            enums["." + f.package + "." + e.name] = e
    return msgs, enums


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    full = D.FileDescriptorSet()
    full.ParseFromString(open(sys.argv[1], "rb").read())
    protos = []
    for root, _, files in os.walk(here):
        protos += [os.path.relpath(os.path.join(root, f), here) for f in files if f.endswith(".proto")]
    with tempfile.NamedTemporaryFile(suffix=".pb") as tmp:
        subprocess.run(["protoc", "-I" + here, "-I/usr/include", "--include_imports", "-o", tmp.name] + protos,
                       check=True)
        sub = D.FileDescriptorSet()
        sub.ParseFromString(open(tmp.name, "rb").read())
    fm, fe = index(full)
    sm, se = index(sub)
    bad = 0
    nfields = 0
    for name, m in sm.items():
        if name.startswith(".google.protobuf.") or name.endswith("AdsDummy"):
            continue
        if name not in fm:
            print("missing message", name); bad += 1; continue
        ref = {f.name: f for f in fm[name].field}
        for f in m.field:
            r = ref.get(f.name)
            if r is None:
                print("%s: field %s not in Envoy" % (name, f.name)); bad += 1; continue
            nfields += 1
            for attr in ("number", "type", "label", "type_name", "json_name", "proto3_optional"):
                if getattr(f, attr) != getattr(r, attr):
                    print("%s.%s: %s %r != Envoy %r" % (name, f.name, attr, getattr(f, attr), getattr(r, attr)))
                    bad += 1
            so = m.oneof_decl[f.oneof_index].name if f.HasField("oneof_index") else None
            ro = fm[name].oneof_decl[r.oneof_index].name if r.HasField("oneof_index") else None
            if so != ro:
                print("%s.%s: oneof %r != Envoy %r" % (name, f.name, so, ro)); bad += 1
    for name, e in se.items():
        if name.startswith(".google.protobuf."):
            continue
        if name not in fe:
            print("missing enum", name); bad += 1; continue
        ref = {v.name: v.number for v in fe[name].value}
        for v in e.value:
            if ref.get(v.name) != v.number:
                print("%s.%s = %d: Envoy has %r" % (name, v.name, v.number, ref.get(v.name))); bad += 1
    print("%d messages, %d fields, %d enums checked; %d mismatches" % (len(sm), nfields, len(se), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
