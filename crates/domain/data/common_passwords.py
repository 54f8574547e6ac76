#!/usr/bin/env python3
"""Writes common-passwords.txt, the list behind `alc_domain::password`.

Source: the 20,000 most common passwords that Django ships
(django/contrib/auth/common-passwords.txt.gz, from Royce Williams' compilation of
leaked-password frequencies; Django is BSD-licensed). Run from this folder:

    pip download --no-deps django -d /tmp/dj && python3 common_passwords.py /tmp/dj/*.whl

What is kept, and why (the list is compiled into the browser app, so size counts):
- the 3,000 most common printable-ASCII entries of 6 characters or more: shorter
  words are no use as the base of a 12-character password (see `password.rs`: a
  password is also refused when what is left after stripping digits and symbols
  from its ends is on the list);
- every entry of 12 characters or more, which the length rule alone lets through.
Lower-case, one a line, sorted, so that the check is a binary search.
"""
import gzip
import sys
import zipfile

wheel = zipfile.ZipFile(sys.argv[1])
text = gzip.decompress(wheel.read("django/contrib/auth/common-passwords.txt.gz")).decode()
ordered = [l.strip().lower() for l in text.splitlines()]
ordered = [l for l in ordered if l and l.isascii() and l.isprintable()]
kept = set([l for l in ordered if len(l) >= 6][:3000]) | {l for l in ordered if len(l) >= 12}
with open("common-passwords.txt", "w") as out:
    out.write("".join(w + "\n" for w in sorted(kept)))
print(f"{len(kept)} entries")
