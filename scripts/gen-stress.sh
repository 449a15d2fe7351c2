#!/usr/bin/env bash
# scripts/gen-stress.sh OUTDIR
#
# Generates the stress inputs of issue #11 into OUTDIR (nothing is committed:
# they are large and reproducible):
#   big.cfg          ~50 MB config (one request_route of ~500,000 if-blocks)
#   nested.cfg       10,000 nested `if` blocks
#   routes.cfg       10,000 routes, all called from request_route
#   includes.cfg     a chain of 1,000 include_file (inc/0001.cfg → … → inc/1000.cfg)
#   simple.cfg       a small config replying to every request (for `kcfg run`)
#   msgs100k.pcap    100,000 SIP messages (UDP/IPv4/Ethernet, pcap written by hand)
# Needs python3 (standard library only).
set -euo pipefail
out=${1:?usage: gen-stress.sh OUTDIR}
mkdir -p "$out/inc"
python3 - "$out" <<'PY'
import os, struct, sys
out = sys.argv[1]
head = '#!KAMAILIO\nlisten=udp:10.0.0.1:5060\nloadmodule "sl.so"\nloadmodule "pv.so"\nloadmodule "xlog.so"\nloadmodule "textops.so"\n'

# 1. ~50 MB config
target = 50 * 1000 * 1000
with open(os.path.join(out, "big.cfg"), "w") as f:
    f.write(head + "request_route {\n")
    n, size = 0, 0
    while size < target:
        s = (f'\tif ($rU == "user{n:07d}") {{\n\t\t$var(dst) = "sip:user{n:07d}@10.0.0.1:5060";\n'
             f'\t\txlog("L_INFO", "route user{n:07d} to $var(dst)\\n");\n\t}}\n')
        f.write(s)
        size += len(s)
        n += 1
    f.write('\tsl_send_reply("404", "Not here");\n}\n')

# 2. 10,000 nested blocks
depth = 10000
with open(os.path.join(out, "nested.cfg"), "w") as f:
    f.write(head + "request_route {\n")
    for i in range(depth):
        f.write(f'if ($var(x) != {i}) {{\n')
    f.write('sl_send_reply("200", "deep");\n')
    f.write("}\n" * depth)
    f.write("}\n")

# 3. 10,000 routes
routes = 10000
with open(os.path.join(out, "routes.cfg"), "w") as f:
    f.write(head + "request_route {\n")
    for i in range(routes):
        f.write(f"\troute(R{i});\n")
    f.write('\tsl_send_reply("404", "Not here");\n}\n')
    for i in range(routes):
        f.write(f'route[R{i}] {{\n\tif ($rU == "u{i}") {{\n\t\tsl_send_reply("200", "R{i}");\n\t\texit;\n\t}}\n}}\n')

# 4. a chain of 1,000 includes
chain = 1000
with open(os.path.join(out, "includes.cfg"), "w") as f:
    f.write(head + 'include_file "inc/0001.cfg"\nrequest_route {\n\troute(I1);\n\tsl_send_reply("404", "x");\n}\n')
for i in range(1, chain + 1):
    with open(os.path.join(out, "inc", f"{i:04d}.cfg"), "w") as f:
        if i < chain:
            f.write(f'include_file "inc/{i + 1:04d}.cfg"\n')
        nxt = f"\troute(I{i + 1});\n" if i < chain else ""
        f.write(f"route[I{i}] {{\n\t$var(n) = {i};\n{nxt}}}\n")

# 5. a small config for `kcfg run`
with open(os.path.join(out, "simple.cfg"), "w") as f:
    f.write(head + 'request_route {\n\tif (is_method("OPTIONS")) {\n\t\tsl_send_reply("200", "Keepalive");\n\t\texit;\n\t}\n'
            '\tif ($rU == "alice") {\n\t\tsl_send_reply("486", "Busy");\n\t\texit;\n\t}\n\tsl_send_reply("404", "Not here");\n}\n')

# 6. 100,000 SIP messages in a pcap
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

msgs = 100000
src, dst = bytes([10, 0, 0, 2]), bytes([10, 0, 0, 1])
with open(os.path.join(out, "msgs100k.pcap"), "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # Ethernet
    for i in range(msgs):
        method, user = [("OPTIONS", "ping"), ("INVITE", "alice"), ("INVITE", "bob"), ("REGISTER", "carol")][i % 4]
        sip = (f"{method} sip:{user}@10.0.0.1:5060 SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK-{i}\r\n"
               f"Max-Forwards: 70\r\nFrom: <sip:tester@10.0.0.2>;tag=t{i}\r\nTo: <sip:{user}@10.0.0.1>\r\n"
               f"Call-ID: stress-{i}@10.0.0.2\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n").encode()
        udp = struct.pack("!HHHH", 5060, 5060, 8 + len(sip), 0) + sip
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        frame = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02" + b"\x08\x00" + ip + udp
        ts = 1700000000 * 1000000 + i * 100  # one message every 100 µs
        f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(frame), len(frame)))
        f.write(frame)
PY
ls -l "$out" | sed 1d
