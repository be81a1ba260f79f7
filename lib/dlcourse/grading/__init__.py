"""Grading homework with nbgrader's machinery, in parallel, with untrusted student code sandboxed.

Layers (each module one concept):

* `sandbox`   — how a submission's code is isolated (bubblewrap namespaces, a dropped uid, rlimits);
* `execute`   — runs *inside* the sandbox: executes one notebook in a fresh kernel;
* `metadata`  — puts back nbgrader metadata and cells that a submission removed or changed;
* `verify`    — outside the sandbox: compares each test cell's checked values with the reference
                solution's, and fails cells that did not run;
* `autograde` — the pipeline per submission (nbgrader's sanitize preprocessors → sandbox →
                verify → nbgrader's SaveAutoGrades) and the parallel driver with the grades CSV;
* `feedback`  — per-student HTML without hidden tests or server paths;
* `collect`   — nbgrader's exchange → submitted/, refusing links and names that are not the owner's;
* `distributed` — `dlcourse grade --scheduler`: one task per submission on a Dask cluster; the parent
                alone stores;
* `report`    — the teaching team's page after grading (histogram, parts, failing tests, statuses).

Teaching code never imports this package; it never imports widgets.
"""
