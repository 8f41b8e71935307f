"""Write deployed Terraform output values back into job files.

After ``cdktf deploy`` every ``{{terraform_outputs.<name>}}`` placeholder of a job can be replaced by
the value the stack exported. This package reads the outputs, fills every placeholder of a job and
writes the job back, under these rules:

* **Outputs files.** Two shapes are read: ``terraform output -json`` (``{name: {value, type,
  sensitive}}``, one stack) and ``cdktf deploy --outputs-file`` (``{stack: {name: value}}``, one or
  many stacks; the job's stack is picked by :attr:`LoadedJob.stack_name`). cdktf leaves sensitive
  outputs out of that file unless ``--outputs-file-include-sensitive-outputs`` is given, and then
  writes them without a marker, so only the Terraform shape can say that an output is sensitive.
  Anything else is rejected with a :class:`JobError` that says what was found and what is allowed.
* **Where.** Every placeholder in any string value of the job, nested in mappings or lists, alone or
  inside longer text (``s3://{{terraform_outputs.bucket}}/x``). Placeholders in mapping keys and in
  comments are not values: keys are an error, comments are left alone.
* **Values are data.** A value is inserted once and never read as YAML: it is emitted as a YAML
  scalar that reads back as exactly that value. An output value that itself holds placeholder text
  (``{{terraform_outputs.x}}``, even malformed) is refused: a later render would expand it. A
  placeholder that is the whole value (surrounding spaces allowed) takes the output's type: numbers,
  booleans, lists and maps become YAML data, unless the value is tagged ``!!str``, which inserts the
  output as text. Inside longer text numbers and booleans are written as text; lists and maps there
  are an error. A null output is unresolved. The rendered text must still be a valid job (a number
  rendered into ``env.PORT`` would not be): otherwise nothing is written and the field is named.
* **The file is kept.** The renderer splices: it parses the file to find each scalar holding a
  placeholder (with its exact character span, path and style) and replaces that span only. Every
  other byte (comments, key order, quoting, flow lists, spacing, line endings, a byte-order mark)
  is kept exactly; the replaced scalar keeps its quoting style when the new value can be written in
  it (plain, single-quoted, block scalars), else it becomes double-quoted. A full YAML round trip
  (ruamel ``typ="rt"``) was measured to respace ``key:   value`` and ``[ a, b ]``, rewrite ``~`` and
  ``"\\u00e9"`` and re-indent sequences, and to take three times as long, so it is not used.
* **All or nothing.** Every placeholder of every job is resolved in memory first; one unresolved
  placeholder (missing, null, sensitive without ``allow_sensitive``, a list inside text) stops the
  whole run before anything is written, and every problem is reported with file, line and path.
  Each file is written atomically (:func:`dativo_infra.fsutil.atomic_write_many`: temp files fsynced
  together, then one atomic replace per file, then each directory fsynced). Writers take an
  exclusive ``fcntl.flock`` on each target directory itself (no lock file), so two renders of
  the same files never interleave (the second waits, then fails clearly after ``lock_timeout``).
  A file whose content would not change is not rewritten, so rendering twice is a no-op. A file
  system error (an ``--out`` under a regular file, a read-only directory) is a positioned error too.

The package, each module importing only those listed before it: :mod:`.outputs` (outputs files),
:mod:`.splice` (placeholders in one YAML text and the scalars that replace them), :mod:`.jobs`
(jobs in memory: loading rendered jobs, :func:`~.jobs.render_job`, ``validate --rendered``),
:mod:`.parallel` (a batch of 200 jobs or more loaded and rendered by worker processes, one per core:
``DATIVO_RENDER_WORKERS``) and :mod:`.write` (locks, all-or-nothing writes, :func:`render_one` and
:func:`render_batch`).

Pure Python: nothing here imports cdktf or jsii.
"""

from __future__ import annotations

from dativo_infra.render.jobs import check_rendered
from dativo_infra.render.write import render_batch, render_one

__all__ = ["check_rendered", "render_batch", "render_one"]
