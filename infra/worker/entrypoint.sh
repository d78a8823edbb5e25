#!/bin/sh
# The GPU worker container's entry point.
#   1. Put the offline tier shipped in the image (FACESWAP_OFFLINE_MODELS) into the model cache.
#   2. If MODEL_LOCATION is set (s3://bucket/prefix/), pull the production models into the cache with
#      `faceswap-admin models pull` (checksums verified; files already cached and intact are kept).
#   3. exec the worker, so SIGTERM reaches it directly; arguments are passed on to it.
# Exit codes: the worker's own (0 after a stop, 2 models missing, 3 engine wedged); 1 if the pull fails;
# 143 if stopped during the pull.
set -eu

model_dir="${FACESWAP_MODEL_DIR:-/models}"
offline_dir="${FACESWAP_OFFLINE_MODELS:-/opt/faceswap/offline-models}"
ready_file="${FACESWAP_WORKER_READY_FILE:-/tmp/faceswap-worker.ready}"
export FACESWAP_MODEL_DIR="$model_dir"

mkdir -p "$model_dir"
rm -f "$ready_file"

if [ -d "$offline_dir" ]; then
    for file in "$offline_dir"/*; do
        name=$(basename "$file")
        # The checksum record belongs to the cache; offline files are pinned by the manifest anyway.
        if [ ! -f "$file" ] || [ "$name" = "SHA256SUMS" ] || [ -e "$model_dir/$name" ]; then
            continue
        fi
        ln -s "$file" "$model_dir/$name"
    done
fi

pull_pid=""
stop_during_pull() {
    if [ -n "$pull_pid" ]; then
        kill -TERM "$pull_pid" 2>/dev/null || true
    fi
    echo "entrypoint: stopped while pulling models" >&2
    exit 143
}

if [ -n "${MODEL_LOCATION:-}" ]; then
    echo "entrypoint: pulling models from $MODEL_LOCATION into $model_dir" >&2
    # In the background so a SIGTERM during a long pull is handled at once (a shell defers traps
    # until a foreground child ends).
    trap stop_during_pull TERM INT
    faceswap-admin models pull --from "$MODEL_LOCATION" --model-dir "$model_dir" &
    pull_pid=$!
    if ! wait "$pull_pid"; then
        echo "entrypoint: model pull from $MODEL_LOCATION failed; not starting the worker" >&2
        exit 1
    fi
    pull_pid=""
    trap - TERM INT
fi

exec python -m worker --ready-file "$ready_file" "$@"
