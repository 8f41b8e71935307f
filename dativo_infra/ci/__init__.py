"""Which jobs a change between two git revisions affects: the matrices of a per-job CI deploy
(``dativo-infra changed``). :mod:`~dativo_infra.ci.git` reads the committed content of the two
revisions, :mod:`~dativo_infra.ci.detect` applies the rules that select the jobs to deploy and the
stacks to destroy, and :mod:`~dativo_infra.ci.legs` cuts them into GitHub Actions matrix legs and
prints the result. Pure Python plus the ``git`` executable; no cdktf or jsii import."""
