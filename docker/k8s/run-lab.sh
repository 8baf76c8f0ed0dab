#!/bin/sh
# One lab per pod of lab-job.yaml (an indexed Kubernetes Job). JOB_COMPLETION_INDEX picks the lock
# the firmware applies (upc, locked, none, round robin); everything the lab writes (its temp
# files: the bootpart image, the ESP, OVMF's VARS) and its result live under BPLAB_STATE, the
# pod's own volume. The result is one JSON document on stdout (kubectl logs) and in the volume.
# The e2e suite of @bplab/container runs this script in a lab container, so it is tested.
set -eu
index="${JOB_COMPLETION_INDEX:?run me from an indexed Job (JOB_COMPLETION_INDEX)}"
case "$index" in '' | *[!0-9]*) echo "JOB_COMPLETION_INDEX is not a number: $index" >&2; exit 2 ;; esac
set -- upc locked none
shift $((index % 3))
lock="$1"
lab="${BPLAB_STATE:?the state volume}/lab-$index"
mkdir -p "$lab/tmp"
TMPDIR="$lab/tmp" bplab firmware run --lock "$lock" --json > "$lab/firmware.json"
cat "$lab/firmware.json"
