#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Fails when a tracked C file differs from what clang-format makes of it
# with the repository's .clang-format (`make format` fixes them).
set -u
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || {
    echo "check-format: clang-format not found (scripts/deps.sh host installs it)" >&2
    exit 1
}
bad=0
while IFS= read -r f; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "check-format: $f is not formatted (run: clang-format -i $f)"
        bad=$((bad + 1))
    fi
done < <(git ls-files '*.c' '*.h')
[ "$bad" -eq 0 ] || { echo "check-format: $bad file(s) not formatted"; exit 1; }
echo "check-format: every tracked C file is formatted ($(clang-format --version | head -n1))"
