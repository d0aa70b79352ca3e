"""Run gensim's own KeyedVectors tests against fastw2v.KeyedVectors.

gensim ships its test files in the wheel; ``gensim/test/test_keyedvectors.py`` exercises
every public method of its ``KeyedVectors``. This script loads that file (from the
installed gensim, or the one given with ``--test-file``) with every way it can reach
gensim's class pointed at fastw2v's, runs it with unittest, and reports the counts, each
skipped test with its reason, and each failure. Run it again after a gensim release to
see what the new tests ask of fastw2v.

What is redirected, for the duration of the run only:

* ``KeyedVectors`` (and any alias of the class, such as ``Word2VecKeyedVectors``) in
  ``gensim.models`` and ``gensim.models.keyedvectors``: the test file's
  ``from gensim.models.keyedvectors import KeyedVectors`` and its direct uses of
  ``gensim.models.KeyedVectors`` both get fastw2v's class.
* ``gensim.models.keyedvectors.load_word2vec_format`` and the private
  ``_load_word2vec_format(cls, fname, ..., binary_chunk_size)``, which the tests call
  directly: they call fastw2v's ``load_word2vec_format`` (fastw2v does not read in
  chunks, so ``binary_chunk_size`` has nothing to change).

gensim's helpers (``REAL``, ``pseudorandom_weak_vector``, ``datapath`` for its test
data) are used as they are; any other gensim name the file uses is listed under
"used from gensim as is", so a new dependency shows up.

Usage::

    python benchmarks/gensim_keyedvectors_suite.py [-v] [--test-file PATH] [--json OUT]

Exit status: 0 when no test failed, 1 when some failed or errored, 2 when gensim or its
test file is missing.
"""

import argparse
import contextlib
import importlib.util
import json
import os
import re
import sys
import unittest

import numpy as np

#: Tests that cannot apply to fastw2v, with the reason reported for each.
KNOWN_SKIPS = {
    "Gensim320Test.test": ("loads a pickled gensim 3.2 model with KeyedVectors.load(); fastw2v's "
                           "save()/load() use its own pickle-free directory format"),
}
#: gensim names the test file may use as they are (helpers, not the class under test).
GENSIM_HELPERS = {"REAL", "pseudorandom_weak_vector", "keyedvectors", "KeyedVectors",
                  "load_word2vec_format", "_load_word2vec_format"}


def _load_word2vec_format(cls, fname, fvocab=None, binary=False, encoding="utf8", unicode_errors="strict",
                          limit=None, datatype=np.float32, no_header=False, binary_chunk_size=None):
    """Stand-in for gensim's private loader: fastw2v's classmethod (no chunked reading)."""
    return cls.load_word2vec_format(fname, fvocab=fvocab, binary=binary, encoding=encoding,
                                    unicode_errors=unicode_errors, limit=limit, datatype=datatype,
                                    no_header=no_header)


@contextlib.contextmanager
def redirected_to_fastw2v():
    """Point gensim's KeyedVectors (and its loaders) at fastw2v's while the block runs."""
    import gensim.models
    import gensim.models.keyedvectors as gensim_kv

    from fastw2v import KeyedVectors

    theirs = gensim_kv.KeyedVectors
    patches = [(module, name, KeyedVectors) for module in (gensim.models, gensim_kv)
               for name, value in vars(module).items() if value is theirs]
    patches += [(gensim_kv, "_load_word2vec_format", _load_word2vec_format),
                (gensim_kv, "load_word2vec_format", KeyedVectors.load_word2vec_format)]
    saved = [(module, name, getattr(module, name)) for module, name, _ in patches]
    try:
        for module, name, value in patches:
            setattr(module, name, value)
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def default_test_file():
    """Path of test_keyedvectors.py in the installed gensim."""
    import gensim
    return os.path.join(os.path.dirname(gensim.__file__), "test", "test_keyedvectors.py")


def gensim_names_used(source):
    """gensim.models / gensim.models.keyedvectors names that a test file's text refers to."""
    names = set(re.findall(r"gensim\.models(?:\.keyedvectors)?\.(\w+)", source))
    for imported in re.findall(r"from gensim\.models(?:\.keyedvectors)? import ([^\n]+)", source):
        names.update(name.strip() for name in imported.strip("()").split(","))
    return names


def _load_module(path):
    spec = importlib.util.spec_from_file_location("gensim_test_keyedvectors_on_fastw2v", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _skip_known(module):
    """Replace each test of KNOWN_SKIPS by a skipped test carrying its reason."""
    for test_id, reason in KNOWN_SKIPS.items():
        class_name, method = test_id.split(".")
        cls = getattr(module, class_name, None)
        if cls is not None and hasattr(cls, method):
            setattr(cls, method, unittest.skip(reason)(getattr(cls, method)))


def _short_id(test):
    """``Class.method`` of a unittest test."""
    return ".".join(test.id().split(".")[-2:])


def run_suite(test_file, verbosity=1, stream=sys.stderr):
    """Run `test_file` against fastw2v; return a summary dict (see ``--json``)."""
    from fastw2v import KeyedVectors

    with redirected_to_fastw2v():
        module = _load_module(test_file)
        if getattr(module, "KeyedVectors", KeyedVectors) is not KeyedVectors:
            raise RuntimeError(f"{test_file}: its KeyedVectors is not fastw2v's; redirection failed")
        _skip_known(module)
        suite = unittest.defaultTestLoader.loadTestsFromModule(module)
        runner = unittest.TextTestRunner(stream=stream, verbosity=verbosity,
                                         warnings=None if verbosity > 1 else "ignore")
        result = runner.run(suite)
    failed = [_short_id(test) for test, _ in result.failures + result.errors]
    skipped = {_short_id(test): reason for test, reason in result.skipped}
    with open(test_file, encoding="utf-8") as fin:
        as_is = sorted(gensim_names_used(fin.read()) - GENSIM_HELPERS)
    return {"test_file": test_file, "ran": result.testsRun,
            "passed": result.testsRun - len(failed) - len(skipped), "failed": failed,
            "skipped": skipped, "used_from_gensim_as_is": as_is}


def print_report(summary, out=sys.stdout):
    import gensim
    print(f"gensim {gensim.__version__} {os.path.basename(summary['test_file'])} against fastw2v.KeyedVectors",
          file=out)
    print(f"ran {summary['ran']}: {summary['passed']} passed, {len(summary['failed'])} failed, "
          f"{len(summary['skipped'])} skipped", file=out)
    for test, reason in summary["skipped"].items():
        print(f"  skipped {test}: {reason}", file=out)
    for test in summary["failed"]:
        print(f"  FAILED {test}", file=out)
    if summary["used_from_gensim_as_is"]:
        print("  used from gensim as is: " + ", ".join(summary["used_from_gensim_as_is"]), file=out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--test-file", help="gensim's test_keyedvectors.py (default: the installed gensim's)")
    parser.add_argument("--json", metavar="OUT", help="also write the summary as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per test, warnings shown")
    args = parser.parse_args(argv)
    try:
        test_file = args.test_file or default_test_file()
    except ImportError:
        print("gensim is not installed", file=sys.stderr)
        return 2
    if not os.path.isfile(test_file):
        print(f"{test_file}: no such test file", file=sys.stderr)
        return 2
    summary = run_suite(test_file, verbosity=2 if args.verbose else 1)
    print_report(summary)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fout:
            json.dump(summary, fout, indent=1)
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
