#!/usr/bin/env bash
# Look at a report as its readers will: laptop and phone screenshots and a PDF, with
# headless Chromium (Debian: apt-get install chromium).
#
#   scripts/screenshot-report.sh out/report/report.html out/screens
#
# writes OUTDIR/laptop.png (1366 px wide), OUTDIR/phone.png (390 px) and OUTDIR/report.pdf.
set -euo pipefail
if [ $# -ne 2 ]; then
    echo "usage: $0 REPORT.html OUTDIR" >&2
    exit 2
fi
page="$(realpath "$1")"
out="$2"
browser="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}"
if [ -z "$browser" ]; then
    echo "error: no chromium found (apt-get install chromium, or set CHROMIUM)" >&2
    exit 2
fi
mkdir -p "$out"
shoot() {  # name width height [extra flags]
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --force-device-scale-factor=1 --window-size="$2,$3" \
        --screenshot="$out/$1.png" "file://$page" >/dev/null 2>&1
}
shoot laptop 1366 2400
shoot phone 390 2400
"$browser" --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
    --print-to-pdf="$out/report.pdf" "file://$page" >/dev/null 2>&1
echo "$out/laptop.png $out/phone.png $out/report.pdf"
