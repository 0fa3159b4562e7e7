"""``python -m ingest_plugin``: the ``ingest-plugin`` command."""
import sys

from ingest_plugin.entrypoints.cli import main

sys.exit(main())
