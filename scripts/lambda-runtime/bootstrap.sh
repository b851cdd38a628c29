#!/bin/sh
# The runtime's bootstrap, run by the emulator for each start of the runtime:
#   bootstrap.sh CGROUP_PROCS|- COMMAND...
# joins the sandbox's memory cgroup (the emulator's own process stays outside it, as Lambda's does not count
# against the function's memory) and then becomes the runtime: `node aws-lambda-ric/index.mjs index.handler`.
procs="$1"
shift
if [ "$procs" != "-" ]; then
  echo $$ >"$procs" || { echo "bootstrap: cannot join the memory cgroup ($procs)" >&2; exit 1; }
fi
exec "$@"
