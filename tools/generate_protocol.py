#!/usr/bin/env python3
"""Generates the AMQP 0-9-1 method structs of Broker.Protocol from RabbitMQ's machine-readable spec.

Usage: tools/generate_protocol.py [path to amqp-rabbitmq-0.9.1.json] [output dir]

The spec defaults to the copy beside this script (tools/amqp-rabbitmq-0.9.1.json, RabbitMQ's
machine-readable protocol with its extensions). The output is committed; the build never reads the
spec, and a test (GeneratedCodeDriftTests) regenerates it and fails when the committed files differ.
"""
import json
import os
import sys

DOMAIN_CS = {
    "octet": "byte",
    "short": "ushort",
    "long": "uint",
    "longlong": "ulong",
    "shortstr": "string",
    "longstr": "byte[]",
    "bit": "bool",
    "table": "FieldTable?",
    "timestamp": "AmqpTimestamp",
}


def pascal(name):
    return "".join(part[:1].upper() + part[1:] for part in name.replace("_", "-").split("-"))


def resolve(domains, arg):
    t = arg.get("type") or arg.get("domain")
    seen = set()
    while t in domains and domains[t] != t and t not in seen:
        seen.add(t)
        t = domains[t]
    return t


def default_literal(amqp_type, value):
    if amqp_type == "bit":
        return "true" if value else "false"
    if amqp_type == "shortstr":
        return json.dumps(value if isinstance(value, str) else "")
    if amqp_type in ("longstr", "table"):
        return "null"
    if amqp_type == "timestamp":
        return "default"
    return str(value if isinstance(value, int) else 0)


def gen_method(cls, method, domains):
    name = pascal(cls["name"]) + pascal(method["name"])
    args = []
    for a in method["arguments"]:
        t = resolve(domains, a)
        args.append((pascal(a["name"]), t, a.get("default-value")))
    lines = []
    full = f'{cls["name"]}.{method["name"]}'
    lines.append(f"/// <summary><c>{full}</c> ({cls['id']}, {method['id']}).</summary>")
    if args:
        params = []
        for pname, t, dv in args:
            cs = DOMAIN_CS[t]
            if t == "longstr":
                cs = "byte[]?"
            params.append(f"    {cs} {pname} = {default_literal(t, dv)}")
        lines.append(f"public readonly partial record struct {name}(")
        lines.append(",\n".join(params) + f") : IAmqpMethod<{name}>")
    else:
        lines.append(f"public readonly partial record struct {name} : IAmqpMethod<{name}>")
    lines.append("{")
    lines.append(f"    public static ushort ClassIndex => {cls['id']};")
    lines.append(f"    public static ushort MethodIndex => {method['id']};")
    lines.append(f"    public static uint Id => MethodIds.{name};")
    lines.append(f"    public static bool HasContent => {'true' if method.get('content') else 'false'};")
    lines.append("")
    # size
    lines.append("    public int GetSize()")
    lines.append("    {")
    size_terms = []
    fixed = 0
    i = 0
    while i < len(args):
        pname, t, _ = args[i]
        if t == "bit":
            fixed += 1
            while i < len(args) and args[i][1] == "bit":
                i += 1
            continue
        if t == "octet":
            fixed += 1
        elif t == "short":
            fixed += 2
        elif t == "long":
            fixed += 4
        elif t in ("longlong", "timestamp"):
            fixed += 8
        elif t == "shortstr":
            size_terms.append(f"AmqpWriter.ShortStringSize({pname})")
        elif t == "longstr":
            size_terms.append(f"AmqpWriter.LongStringSize({pname})")
        elif t == "table":
            size_terms.append(f"FieldTableCodec.GetTableSize({pname})")
        i += 1
    expr = " + ".join([str(fixed)] + size_terms)
    lines.append(f"        return {expr};")
    lines.append("    }")
    lines.append("")
    # write
    lines.append("    public void WriteTo(ref AmqpWriter writer)")
    lines.append("    {")
    i = 0
    while i < len(args):
        pname, t, _ = args[i]
        if t == "bit":
            bits = []
            while i < len(args) and args[i][1] == "bit":
                bits.append(args[i][0])
                i += 1
            terms = [f"({b} ? {1 << n} : 0)" for n, b in enumerate(bits)]
            lines.append(f"        writer.WriteOctet((byte)({' | '.join(terms)}));")
            continue
        w = {
            "octet": "WriteOctet",
            "short": "WriteShort",
            "long": "WriteLong",
            "longlong": "WriteLongLong",
            "shortstr": "WriteShortString",
            "longstr": "WriteLongString",
            "timestamp": "WriteTimestamp",
        }.get(t)
        if t == "table":
            lines.append(f"        FieldTableCodec.WriteTable(ref writer, {pname});")
        else:
            lines.append(f"        writer.{w}({pname});")
        i += 1
    lines.append("    }")
    lines.append("")
    # read
    lines.append(f"    public static {name} ReadFrom(ref AmqpReader reader)")
    lines.append("    {")
    i = 0
    ctor = []
    while i < len(args):
        pname, t, _ = args[i]
        local = pname[:1].lower() + pname[1:]
        if local in ("global", "internal", "exclusive", "type", "queue", "exchange", "mandatory", "immediate", "multiple", "requeue", "active", "passive", "durable", "nowait", "ticket", "realm", "read", "write", "insist", "redelivered", "reason"):
            local = "@" + local
        if t == "bit":
            lines.append(f"        var bits{i} = reader.ReadOctet();")
            n = 0
            while i < len(args) and args[i][1] == "bit":
                bpname = args[i][0]
                blocal = bpname[:1].lower() + bpname[1:]
                blocal = "@" + blocal
                lines.append(f"        var {blocal} = (bits{i - n} & {1 << n}) != 0;")
                ctor.append(blocal)
                n += 1
                i += 1
            continue
        r = {
            "octet": "ReadOctet()",
            "short": "ReadShort()",
            "long": "ReadLong()",
            "longlong": "ReadLongLong()",
            "shortstr": "ReadShortString()",
            "longstr": "ReadLongString().ToArray()",
            "timestamp": "ReadTimestamp()",
            "table": "ReadTable()",
        }[t]
        if t == "table":
            lines.append(f"        var {local} = FieldTableCodec.ReadTable(ref reader);")
        else:
            lines.append(f"        var {local} = reader.{r};")
        ctor.append(local)
        i += 1
    lines.append(f"        return new {name}({', '.join(ctor)});" if ctor else f"        return default;")
    lines.append("    }")
    lines.append("}")
    return name, "\n".join(lines)


def main():
    spec_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "amqp-rabbitmq-0.9.1.json")
    out_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "src", "Broker.Protocol", "Methods", "Generated")
    with open(spec_path) as f:
        spec = json.load(f)
    domains = {d[0]: d[1] for d in spec["domains"]}
    header = "// <auto-generated>\n// Generated by tools/generate_protocol.py from amqp-rabbitmq-0.9.1.json. Do not edit.\n// </auto-generated>\n\n#nullable enable\n"
    os.makedirs(out_dir, exist_ok=True)
    ids = []
    for cls in spec["classes"]:
        parts = [header, "using Broker.DataModel.Encoding;", "", "namespace Broker.Protocol.Methods;", ""]
        for m in cls["methods"]:
            name, text = gen_method(cls, m, domains)
            ids.append((name, cls["id"], m["id"], f'{cls["name"]}.{m["name"]}', bool(m.get("content"))))
            parts.append(text)
            parts.append("")
        with open(os.path.join(out_dir, pascal(cls["name"]) + "Methods.cs"), "w") as f:
            f.write("\n".join(parts).rstrip() + "\n")
    # method ids and names
    lines = [header, "namespace Broker.Protocol.Methods;", "",
             "/// <summary>Method ids as <c>class-id &lt;&lt; 16 | method-id</c>.</summary>",
             "public static class MethodIds", "{"]
    for name, c, m, _, _ in ids:
        lines.append(f"    public const uint {name} = ({c}u << 16) | {m}u;")
    lines.append("")
    lines.append("    /// <summary>The spec's dotted name, e.g. <c>basic.publish</c>, as RabbitMQ prints it in error texts.</summary>")
    lines.append("    public static string GetName(uint id) => id switch")
    lines.append("    {")
    for name, _, _, full, _ in ids:
        lines.append(f"        {name} => \"{full}\",")
    lines.append("        _ => $\"unknown method {id >> 16}.{id & 0xFFFF}\",")
    lines.append("    };")
    lines.append("")
    lines.append("    /// <summary>True for methods followed by a content header and body frames.</summary>")
    lines.append("    public static bool HasContent(uint id) => id is " + " or ".join(n for n, _, _, _, c in ids if c) + ";")
    lines.append("")
    lines.append("    /// <summary>True for methods this protocol version defines.</summary>")
    lines.append("    public static bool IsKnown(uint id) => id switch")
    lines.append("    {")
    lines.append("        " + " or\n        ".join(n for n, _, _, _, _ in ids) + " => true,")
    lines.append("        _ => false,")
    lines.append("    };")
    lines.append("}")
    with open(os.path.join(out_dir, "MethodIds.cs"), "w") as f:
        f.write("\n".join(lines) + "\n")
    # reply codes
    lines = [header, "namespace Broker.Protocol;", "", "/// <summary>AMQP reply codes (spec constants).</summary>", "public static class ReplyCodes", "{"]
    for c in spec["constants"]:
        if c["name"].startswith("FRAME") and c["name"] != "FRAME-ERROR":
            continue
        lines.append(f"    public const ushort {pascal(c['name'].lower())} = {c['value']};")
    lines.append("")
    lines.append("    /// <summary>The spec's name of a reply code, e.g. <c>NOT_FOUND</c>, as RabbitMQ puts it in front of reply texts.</summary>")
    lines.append("    public static string GetName(ushort code) => code switch")
    lines.append("    {")
    for c in spec["constants"]:
        if c["name"].startswith("FRAME") and c["name"] != "FRAME-ERROR":
            continue
        lines.append(f"        {c['value']} => \"{c['name'].replace('-', '_')}\",")
    lines.append("        _ => code.ToString(System.Globalization.CultureInfo.InvariantCulture),")
    lines.append("    };")
    lines.append("")
    lines.append("    /// <summary>True for hard errors, which close the whole connection rather than one channel.</summary>")
    hard = [str(c["value"]) for c in spec["constants"] if c.get("class") == "hard-error"]
    lines.append("    public static bool IsHardError(ushort code) => code is " + " or ".join(hard) + ";")
    lines.append("}")
    with open(os.path.join(out_dir, "ReplyCodes.cs"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
