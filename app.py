#!/usr/bin/env python
"""cdktf entry point: load the selected jobs, build one stack per job, synthesize. Nothing else.

Select jobs with DATIVO_JOBS (comma-separated files, directories or globs; default: jobs/).
A bad job file prints positioned errors and exits 2 before any cdktf import.
"""

import os
import sys

from dativo_infra.cli import report_errors
from dativo_infra.config.loader import load_jobs
from dativo_infra.errors import ErrorReport
from dativo_infra.synth import build_app, selected_paths

if __name__ == "__main__":
    try:
        jobs = load_jobs(selected_paths())
    except ErrorReport as report:
        sys.exit(report_errors(report))
    build_app(jobs, os.environ.get("CDKTF_OUTDIR", "cdktf.out")).synth()
