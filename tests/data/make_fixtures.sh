#!/usr/bin/env bash
# Regenerates the frame-source fixtures in this folder from assets/demo/astronaut.png
# (public domain, see assets/README.md). Needs ffmpeg with libx264 (Debian: apt install ffmpeg).
#
# Every picture is an exact crop of the original (no resampling), so tests/sources.rs can cut the
# same crop out of astronaut.png and compare pixels without depending on a scaler.
#
#   astronaut_320x240.yuyv    raw YUYV 4:2:2 (yuyv422), BT.601 limited range: what a UVC camera
#                             delivers. Crop x=96 y=16, 320x240. 153600 bytes.
#   astronaut_320x240.mjpeg   one MJPEG frame (4:2:2, standard Huffman tables as most cameras use)
#                             of the same crop.
#   pan_baseline.mp4          H.264 Constrained Baseline, 320x180, 15 frames at 15 fps, no B-frames:
#                             a pan over the photo, frame n = crop x=8n y=40+4n.
#   pan_high_bframes.mp4      the same pan as H.264 High profile with B-frames (-bf 2): needs the
#                             FFmpeg path (openh264 cannot decode B-frames).
#
# Usage: tests/data/make_fixtures.sh   (from anywhere; writes next to this script)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
src="$here/../../assets/demo/astronaut.png"
ff=(ffmpeg -nostdin -hide_banner -loglevel error -y)

# Stills: one crop, two camera pixel formats.
"${ff[@]}" -i "$src" -vf "crop=320:240:96:16" -frames:v 1 \
  -f rawvideo -pix_fmt yuyv422 "$here/astronaut_320x240.yuyv"
"${ff[@]}" -i "$src" -vf "crop=320:240:96:16" -frames:v 1 \
  -c:v mjpeg -pix_fmt yuvj422p -q:v 3 -huffman default -f mjpeg "$here/astronaut_320x240.mjpeg"

# Video: a 1-second pan (15 frames at 15 fps) over the still.
pan="crop=320:180:x='8*n':y='40+4*n',format=yuv420p"
common=(-loop 1 -framerate 15 -i "$src" -vf "$pan" -frames:v 15 -r 15
  -map_metadata -1 -fflags +bitexact -flags:v +bitexact -c:v libx264 -crf 26 -pix_fmt yuv420p)
"${ff[@]}" "${common[@]}" -profile:v baseline -bf 0 -g 15 \
  -x264-params "threads=1" "$here/pan_baseline.mp4"
"${ff[@]}" "${common[@]}" -profile:v high -bf 2 -b_strategy 0 -g 15 \
  -x264-params "threads=1" "$here/pan_high_bframes.mp4"

ls -l "$here"/astronaut_320x240.* "$here"/pan_*.mp4
