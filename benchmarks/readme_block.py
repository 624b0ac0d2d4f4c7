"""Paste a generated table between two marker comments of a markdown file, so
that README tables are always a script's output, never hand-edited."""

import pathlib


def splice(path, begin, end, text):
    """Replace what lies between the lines `begin` and `end` of file `path`
    with `text`; exits with one line naming the missing markers if the file
    has no such block."""
    path = pathlib.Path(path)
    body = path.read_text()
    if begin not in body or end not in body:
        raise SystemExit(f"{path} has no {begin} ... {end} block: add the two marker lines "
                         f"where the table belongs, then run again.")
    a, b = body.index(begin) + len(begin), body.index(end)
    path.write_text(body[:a] + "\n" + text + "\n" + body[b:])
