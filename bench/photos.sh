#!/usr/bin/env bash
# Builds bench/photos/: real photos and wallpapers shipped in Debian packages (about 170 files,
# some wallpapers at several resolutions; no network access beyond apt). Usage: bash bench/photos.sh [dest]   (default bench/photos, git-ignored)
set -euo pipefail
dest="$(realpath -m "${1:-$(dirname "$0")/photos}")"
pkgs=(python3-skimage lxqt-themes mate-backgrounds plasma-workspace-wallpapers opencv-doc
  ukui-wallpapers lomiri-wallpapers-20.04 gnome-backgrounds)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"
cd "$work"
for p in "${pkgs[@]}"; do
  apt-get download "$p" >/dev/null 2>&1 || echo "photos.sh: could not download $p (try: sudo apt-get update)" >&2
done
for deb in ./*.deb; do
  [ -e "$deb" ] || continue
  dpkg -x "$deb" extracted
done
# Photos only: JPEG/PNG/WebP bigger than 100 KB, not opencv-doc's HTML figures or the
# wallpapers' screenshots (skips icons, previews, diagrams and UI captures).
n=0
while IFS= read -r -d '' f; do
  base="$(basename "$f")"
  # Prefix with a hash of the path: wallpapers share names like screenshot.png or 5120x2880.png.
  key="$(printf '%s' "$f" | md5sum | cut -c1-6)"
  cp "$f" "$dest/${key}-${base}"
  n=$((n + 1))
done < <(find extracted -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' -o -iname '*.webp' \) -size +100k -not -path '*/html/*' -not -iname 'screenshot*' -print0)
echo "photos.sh: $n images in $dest"
