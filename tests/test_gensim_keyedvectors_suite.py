"""gensim's own test_keyedvectors.py, run against fastw2v.KeyedVectors, passes.

The suite runs in a child process: benchmarks/gensim_keyedvectors_suite.py points gensim's
KeyedVectors at fastw2v's for the whole run, which must not leak into the other tests.
"""

import json
import os
import subprocess
import sys

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks", "gensim_keyedvectors_suite.py")


def test_gensim_suite_passes(tmp_path):
    pytest.importorskip("gensim")
    out = tmp_path / "summary.json"
    proc = subprocess.run([sys.executable, SCRIPT, "--json", str(out)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads(out.read_text())
    assert summary["failed"] == [] and summary["ran"] > 0
    assert summary["passed"] == summary["ran"] - len(summary["skipped"])
    # only the pickle-based test is skipped, and for that reason
    assert list(summary["skipped"]) == ["Gensim320Test.test"]
    assert "pickle" in summary["skipped"]["Gensim320Test.test"]
    assert "0 failed" in proc.stdout


def test_redirection_and_failure_status(tmp_path):
    """A stand-in test file: every route to gensim's class reaches fastw2v's; failures exit 1."""
    pytest.importorskip("gensim")
    test_file = tmp_path / "test_keyedvectors.py"
    test_file.write_text(
        "import unittest\n"
        "import gensim.models.keyedvectors\n"
        "from gensim.models.keyedvectors import KeyedVectors, prep_vectors\n"
        "class Routes(unittest.TestCase):\n"
        "    def test_all_fastw2v(self):\n"
        "        for cls in (KeyedVectors, gensim.models.KeyedVectors, gensim.models.keyedvectors.KeyedVectors):\n"
        "            self.assertTrue(cls.__module__.startswith('fastw2v'))\n"
        "    def test_fails(self):\n"
        "        self.assertEqual(len(KeyedVectors(3)), 1)\n")
    out = tmp_path / "summary.json"
    proc = subprocess.run([sys.executable, SCRIPT, "--test-file", str(test_file), "--json", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    summary = json.loads(out.read_text())
    assert summary["passed"] == 1 and summary["failed"] == ["Routes.test_fails"]
    assert summary["used_from_gensim_as_is"] == ["prep_vectors"]
    assert "FAILED Routes.test_fails" in proc.stdout
