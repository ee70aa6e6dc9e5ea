"""reader's side of the cold-ingest benchmark: add the farm's feeds, update them all once.

    python reader_ingest.py DB URLS_FILE   -> prints the number of entries stored
"""

import sys

from reader import make_reader

database, urls_file = sys.argv[1], sys.argv[2]
reader = make_reader(database)
with open(urls_file, encoding="utf-8") as urls:
    for url in urls.read().split():
        reader.add_feed(url)
reader.update_feeds(workers=16)
print(reader.get_entry_counts().total)
