# resolve-debs.py SUITE PACKAGE...: the URLs of PACKAGE and everything it depends on (first
# alternative of each dependency) in Debian SUITE (main, amd64), from deb.debian.org.
import sys, lzma, urllib.request, re
suite, *roots = sys.argv[1:]
mirror = "https://deb.debian.org/debian"
data = lzma.decompress(urllib.request.urlopen(f"{mirror}/dists/{suite}/main/binary-amd64/Packages.xz").read()).decode()
pk = {}
for para in data.split("\n\n"):
    f = {}
    for line in para.splitlines():
        m = re.match(r"^([A-Za-z-]+): (.*)", line)
        if m: f[m.group(1)] = m.group(2)
    if "Package" in f: pk.setdefault(f["Package"], f)
    for p in f.get("Provides", "").split(","):
        p = p.strip().split(" ")[0]
        if p: pk.setdefault("virt:" + p, f)
skip = {"debconf", "perl-base", "dpkg", "install-info"}
seen, todo = {}, list(roots)
while todo:
    n = todo.pop()
    if n in seen or n in skip: continue
    f = pk.get(n) or pk.get("virt:" + n)
    if not f: print("missing", n, file=sys.stderr); continue
    seen[n] = f
    for dep in (f.get("Pre-Depends", "") + "," + f.get("Depends", "")).split(","):
        alt = dep.split("|")[0].strip().split(" ")[0].split(":")[0]
        if alt: todo.append(alt)
for n, f in seen.items(): print(f"{mirror}/{f['Filename']}")
