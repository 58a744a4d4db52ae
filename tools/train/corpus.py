"""The training corpus: the King James Version of the Bible from Debian.

Debian's bible-kjv-text package ships the KJV text compressed in
/usr/lib/bible.data; the bible-kjv package's `bible` program (which depends
on it) prints any range of verses. The translation dates from 1611 and is in
the public domain everywhere except the United Kingdom, where the Crown's
letters patent still restrict printing; the Debian copyright file says the
same ("the copyright ... is expired").

The corpus is laid out one chapter at a time: the chapter heading
("Genesis 1"), then one verse per line without its number, and a blank line
between chapters. Every 50th chapter is held out for validation.
"""

import subprocess

# Every verse, Genesis 1:1 to Revelation 22:21, one per line: a line width
# far wider than the longest verse keeps `bible` from wrapping them.
BIBLE_ARGS = ["bible", "-l100000", "gen1:1-rev22:21"]

VAL_EVERY = 50  # every 50th chapter goes to the validation split


def read_chapters():
    """Returns the chapters in canonical order as (heading, [verse, ...])."""
    out = subprocess.run(BIBLE_ARGS, check=True, capture_output=True, text=True)
    chapters = []
    for line in out.stdout.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            chapters.append((line.strip(), []))
            continue
        number, verse = line.strip().split(" ", 1)
        assert number.isdigit(), line
        chapters[-1][1].append(verse)
    return chapters


def chapter_text(heading, verses):
    return heading + "\n" + "\n".join(verses) + "\n"


def splits():
    """Returns (train, val) as lists of chapter texts."""
    train, val = [], []
    for i, (heading, verses) in enumerate(read_chapters()):
        text = chapter_text(heading, verses)
        (val if i % VAL_EVERY == VAL_EVERY - 1 else train).append(text)
    return train, val


if __name__ == "__main__":
    train, val = splits()
    print(f"chapters: train {len(train)}, val {len(val)}")
    print(f"chars: train {sum(map(len, train))}, val {sum(map(len, val))}")
