"""``python -m fastw2v``: the same as the ``fastw2v`` command."""

from .cli import main

main(prog_name="fastw2v")
