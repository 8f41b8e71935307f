#!/usr/bin/env python
"""cdktf entry point: load the selected jobs, build one stack per job, synthesize. Nothing else.

Select jobs with DATIVO_JOBS (comma-separated files, directories or globs; default: jobs/).
A bad job file prints positioned errors and exits 2 before any cdktf import. Large job sets are
synthesized in batches by worker processes (DATIVO_SYNTH_WORKERS, DATIVO_SYNTH_BATCH: see
dativo_infra/synth_parallel.py), into the same output as one process would write.
"""

import os
import sys

from dativo_infra.cli import report_errors
from dativo_infra.config.loader import load_jobs
from dativo_infra.errors import ErrorReport, JobError
from dativo_infra.synth import selected_paths
from dativo_infra.synth_parallel import synth_settings, synthesize

if __name__ == "__main__":
    try:
        workers, most = synth_settings()
        jobs = load_jobs(selected_paths())
    except (ErrorReport, JobError) as report:
        sys.exit(report_errors(report))
    batches = synthesize(jobs, os.environ.get("CDKTF_OUTDIR", "cdktf.out"), workers, most)
    if batches:
        print(
            f"synthesized {len(jobs)} stacks in {len(batches)} batches, up to {workers} worker processes at a time"
        )
