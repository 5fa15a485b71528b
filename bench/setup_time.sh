#!/usr/bin/env bash
# Time `make setup` on fresh clones of two revisions, with an empty package cache (cold) and then with the cache
# the cold run left (warm). Prints wall, user and system seconds and the load average for each run.
# Not run by `make bench` (it downloads every package and takes minutes):
#   bash bench/setup_time.sh [BEFORE_REV] [AFTER_REV]     (default: dbba433, the last revision installed with pip,
#                                                          and HEAD)
set -u
repo=$(git rev-parse --show-toplevel)
before=${1:-dbba433}
after=${2:-HEAD}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
TIMEFORMAT="%R %U %S"
for variant in before after; do
  rev=$before; [ "$variant" = after ] && rev=$after
  for run in cold warm; do
    clone="$work/clone-$variant-$run"
    git clone -q "$repo" "$clone" && git -C "$clone" checkout -q "$(git -C "$repo" rev-parse "$rev")"
    export PIP_CACHE_DIR="$work/cache-$variant-pip" UV_CACHE_DIR="$work/cache-$variant-uv"
    [ "$run" = cold ] && rm -rf "$PIP_CACHE_DIR" "$UV_CACHE_DIR"
    took=$( { time (cd "$clone" && make setup >/dev/null 2>&1); } 2>&1 )
    echo "$variant ($rev) $run: wall/user/sys $took s, load average $(cut -d' ' -f1 /proc/loadavg)"
    rm -rf "$clone"
  done
done
