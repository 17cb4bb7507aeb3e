"""Print what the preflight checks need as one JSON line: machine, Python, free disk."""

import json
import os
import platform
import shutil
import sys

path = sys.argv[1]
# The install directory may not exist yet: measure the nearest existing parent.
while not os.path.exists(path):
    path = os.path.dirname(path) or "/"
try:
    import venv  # noqa: F401

    has_venv = True
except ImportError:
    has_venv = False
print(
    json.dumps(
        {
            "machine": platform.machine(),
            "python": "%d.%d.%d" % sys.version_info[:3],
            "venv": has_venv,
            "free_mb": shutil.disk_usage(path).free // (1024 * 1024),
            "measured_path": path,
        }
    )
)
