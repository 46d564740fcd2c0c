"""Extract MediaPipe's face mesh triangle list into models/cache/ (the app draws and warps faces with it).

The table is third-party data, so it is never committed: it is read from the mediapipe wheel that
models/manifest.toml pins (its sha256 is checked here before anything is read from it).
FACEMESH_TESSELATION in mediapipe/python/solutions/face_mesh_connections.py lists edges; in source
order they come in groups of three that close a triangle (a, b), (b, c), (c, a). This step checks
that every group is such a closed triangle over mesh points < 468, and writes one triangle a line.
Standard library only.

usage: face_mesh_tessellation.py MANIFEST DOWNLOADS OUT_FILE
"""
import hashlib
import os
import re
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import manifest  # noqa: E402

SOURCE = "mediapipe/python/solutions/face_mesh_connections.py"
MESH_POINTS = 468
HEADER = "# webtoonme face mesh tessellation v1"


def wheel(m, downloads):
    for model in m["model"]:
        p = model["package"]
        if p["name"] == "mediapipe" and p["archive"].endswith(".whl"):
            return os.path.join(downloads, p["archive"]), p["sha256"], p["version"]
    raise SystemExit("face mesh tessellation: models/manifest.toml pins no mediapipe wheel")


def triangles(source):
    start = source.find("FACEMESH_TESSELATION")
    if start < 0:
        raise SystemExit(f"face mesh tessellation: {SOURCE} has no FACEMESH_TESSELATION")
    end = source.find("])", start)
    edges = [(int(a), int(b)) for a, b in re.findall(r"\(\s*(\d+)\s*,\s*(\d+)\s*\)", source[start:end])]
    if not edges or len(edges) % 3:
        raise SystemExit(f"face mesh tessellation: {len(edges)} edges, not a positive multiple of 3")
    tris = []
    for k in range(0, len(edges), 3):
        (a, b), (b2, c), (c2, a2) = edges[k:k + 3]
        if b != b2 or c != c2 or a != a2 or len({a, b, c}) != 3:
            raise SystemExit(f"face mesh tessellation: edges {edges[k:k + 3]} (group {k // 3}) are not a closed triangle")
        if max(a, b, c) >= MESH_POINTS:
            raise SystemExit(f"face mesh tessellation: triangle {(a, b, c)} names a point >= {MESH_POINTS}")
        tris.append((a, b, c))
    return tris


def main(argv):
    if len(argv) != 4:
        raise SystemExit(__doc__)
    path, sha, version = wheel(manifest.load(argv[1]), argv[2])
    with open(path, "rb") as f:
        got = hashlib.sha256(f.read()).hexdigest()
    if got != sha:
        raise SystemExit(f"face mesh tessellation: {path} has sha256 {got}, the manifest pins {sha}")
    with zipfile.ZipFile(path) as z:
        tris = triangles(z.read(SOURCE).decode("utf-8"))
    used = {i for t in tris for i in t}
    if len(used) != MESH_POINTS:
        raise SystemExit(f"face mesh tessellation: the triangles use {len(used)} of {MESH_POINTS} mesh points")
    out = argv[3]
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{HEADER}: {len(tris)} triangles from mediapipe {version} (Apache-2.0)\n")
        for t in tris:
            f.write(f"{t[0]} {t[1]} {t[2]}\n")
    os.replace(tmp, out)
    print(f"ok   {os.path.basename(out)} ({len(tris)} triangles)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
