#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Run every unit-test binary given; report each, fail if any failed.
set -u
failed=0
passed=0
for t in "$@"; do
    if "$t"; then
        passed=$((passed + 1))
    else
        echo "FAILED: $t" >&2
        failed=$((failed + 1))
    fi
done
echo "unit test binaries: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
