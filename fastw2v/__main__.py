"""``python -m fastw2v``: the same as the ``fastw2v`` command."""

import sys

try:
    from .cli import main
except KeyboardInterrupt:  # Ctrl-C while Python loads the command line: quit quietly
    sys.stderr.write("aborted\n")
    sys.exit(130)

main(prog_name="fastw2v")
