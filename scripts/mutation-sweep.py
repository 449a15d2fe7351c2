#!/usr/bin/env python3
"""Mutation sweep: small random edits of a config; `kamailio -c` and `kcfg check` must agree.

usage: scripts/mutation-sweep.py CONFIG N SEED [OUTDIR]

Makes N mutants of CONFIG (delete, duplicate or swap a token, delete a line,
change a number, drop a character of a name), runs real Kamailio (`kamailio -c`,
on loopback) and `kcfg check --kamailio-version 5.6` on each, and prints every
mutant where one accepts and the other rejects (the mutant is kept in OUTDIR,
default `target/mutation-sweep`). `kcfg` is `$KCFG` or `target/release/kcfg`.
Disagreements where kcfg rejects and `kamailio -c` accepts can be right: kcfg
also reports what only fails at Kamailio's start-up (fixups: reply codes,
regexes), which `-c` does not run. The rest are bugs of kcfg (or of Kamailio).
"""
import json, os, random, re, subprocess, sys, tempfile
src = open(sys.argv[1]).read()
n = int(sys.argv[2]); seed = int(sys.argv[3])
rng = random.Random(seed)
KCFG = os.environ.get("KCFG", "target/release/kcfg")
OUT = sys.argv[4] if len(sys.argv) > 4 else "target/mutation-sweep"
os.makedirs(OUT, exist_ok=True)
RUN = tempfile.mkdtemp(prefix="kcfg-mut-")
lines = src.split("\n")
toks = [(m.start(), m.end()) for m in re.finditer(r"[A-Za-z_][A-Za-z0-9_.]*|[0-9]+|\"[^\"\n]*\"|[;(){}\[\],=!<>+\-*/|&$]", src)]
def mutate():
    k = rng.randrange(6)
    if k == 0:  # delete a token
        a, b = rng.choice(toks); return src[:a] + src[b:], "del-token"
    if k == 1:  # duplicate a token
        a, b = rng.choice(toks); return src[:b] + " " + src[a:b] + src[b:], "dup-token"
    if k == 2:  # swap a token with another token's text
        a, b = rng.choice(toks); c, d = rng.choice(toks); return src[:a] + src[c:d] + src[b:], "swap-token"
    if k == 3:  # delete a line
        i = rng.randrange(len(lines)); return "\n".join(lines[:i] + [""] + lines[i+1:]), "del-line"
    if k == 4:  # change a number
        nums = [(m.start(), m.end()) for m in re.finditer(r"\b[0-9]+\b", src)]
        a, b = rng.choice(nums); return src[:a] + rng.choice(["0", "-1", "99999", "32", "abc"]) + src[b:], "num"
    # mutate an identifier's case / a char
    a, b = rng.choice(toks)
    t = src[a:b]
    if len(t) > 2:
        i = rng.randrange(len(t)); t = t[:i] + t[i+1:]
    return src[:a] + t + src[b:], "typo"
def kam(path):
    r = subprocess.run(["kamailio", "-c", "-E", "-f", path, "-l", "udp:127.0.0.1:5060", "-Y", RUN], capture_output=True, text=True, timeout=60)
    m = re.search(r"line (\d+)", r.stderr)
    return r.returncode == 0, (int(m.group(1)) if m else None), r.stderr
def kc(path):
    r = subprocess.run([KCFG, "check", "--kamailio-version", "5.6", "--format", "json", path], capture_output=True, text=True, timeout=60)
    try:
        ds = json.loads(r.stdout)
    except Exception:
        return None, None, r.stdout[:200]
    if isinstance(ds, dict): ds = ds.get("diagnostics", [])
    errs = [d for d in ds if d.get("severity") == "error"]
    line = errs[0].get("line") if errs else None
    if line is None and errs:
        line = (errs[0].get("range") or errs[0].get("location") or {}).get("start", {}).get("line") if isinstance(errs[0].get("range") or errs[0].get("location"), dict) else None
    return not errs, line, errs[:2]
dis = 0
for i in range(n):
    text, kind = mutate()
    if text == src: continue
    mut = os.path.join(RUN, "mutant.cfg")
    with open(mut, "w") as f: f.write(text)
    ok_k, line_k, err_k = kam(mut)
    ok_c, line_c, err_c = kc(mut)
    if ok_k != ok_c:
        dis += 1
        p = os.path.join(OUT, f"dis-{seed}-{i}.cfg"); open(p, "w").write(text)
        kl = [l for l in err_k.splitlines() if "ERROR" in l or "CRITICAL" in l][:2]
        print(f"DISAGREE {kind} {p}: kamailio {'ok' if ok_k else 'FAIL'} kcfg {'ok' if ok_c else 'FAIL'} | kam: {' / '.join(x[-150:] for x in kl)} | kcfg: {json.dumps(err_c)[:300]}", flush=True)
print(f"done {n} mutations, {dis} disagreements")
