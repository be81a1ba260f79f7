#!/bin/sh
# Start a grading worker in a privileged pod: with cgroup v2, move this process into a leaf cgroup first,
# so that the pod's cgroup may hand the pids, memory and cpu controllers to the sandboxes' cgroups
# (cgroup v2 allows controllers below a cgroup only when no process sits in it). Then run `dask worker`
# with the arguments given.
set -e
if [ -f /sys/fs/cgroup/cgroup.controllers ] && [ ! -d /sys/fs/cgroup/grading-worker ]; then
    mkdir /sys/fs/cgroup/grading-worker
    echo $$ > /sys/fs/cgroup/grading-worker/cgroup.procs
    echo "+pids +memory +cpu" > /sys/fs/cgroup/cgroup.subtree_control
fi
exec dask worker "$@"
