#!/usr/bin/env bash
# The image test (registered with ctest, label "image", run by scripts/test): builds the
# image with scripts/image-build (a warm cache makes this a rebuild of what changed), then
# runs tests/image/image_test.py against it with a real broker. Times both steps.
#   tests/image/run.sh [--port N] [--keep]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${CRP_CACHE:-$REPO/.cache}
# shellcheck source=scripts/image-env
. "$REPO/scripts/image-env"
tag=localhost/crp-adapter:test
start=$(date +%s)
"$REPO/scripts/image-build" --tag "$tag" > /dev/null
built=$(date +%s)
echo "image: built $tag in $((built - start)) s" >&2
# The test calls buildah itself: through crp_buildah's namespace when /dev/null needs it.
export CRP_BUILDAH_STORAGE
CRP_BUILDAH_STORAGE=$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "${BUILDAH_STORAGE[@]}")
if [ ! -c /dev/null ]; then
  export CRP_BUILDAH="$REPO/tests/image/buildah-with-null"
fi
status=0
"$REPO/tests/integration/e2e_run.sh" "$REPO/tests/image/image_test.py" --image "$tag" "$@" || status=$?
echo "image: test ran in $(($(date +%s) - built)) s" >&2
exit $status
