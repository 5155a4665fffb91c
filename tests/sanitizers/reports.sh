#!/bin/sh
# reports.sh clear DIR: empty the sanitizer report folder before the tests.
# reports.sh check DIR: after them, print every report found and fail.
set -eu
mode=$1
dir=$2
case $mode in
clear)
    rm -rf "$dir"
    mkdir -p "$dir"
    ;;
check)
    found=0
    for report in "$dir"/report.*; do
        [ -e "$report" ] || continue
        found=$((found + 1))
        echo "=== sanitizer report $report"
        cat "$report"
    done
    if [ "$found" -gt 0 ]; then
        echo "$found sanitizer report(s): see above"
        exit 1
    fi
    echo "no sanitizer reports"
    ;;
*)
    echo "usage: reports.sh clear|check DIR" >&2
    exit 64
    ;;
esac
