"""Tests of :mod:`dativo_infra.ci`; their helpers (:mod:`tests.ci.gitrepo`) assert like tests do."""

import pytest

pytest.register_assert_rewrite("tests.ci.gitrepo")
