"""The COURIER_FLUSH_COMMAND of the e2e tests: asks tests/standins/flush_control.py what to do.

Usage: python flush_command.py URL. It prints the planned lines, pauses, and exits with the planned
status. Standard library only: it runs with the minimal environment the worker gives it.
"""

import json
import sys
import time
import urllib.request

with urllib.request.urlopen(sys.argv[1], timeout=10) as answer:
    plan = json.load(answer)
for line in plan["lines"]:
    print(line, flush=True)
time.sleep(plan["pause_s"])
sys.exit(plan["exit"])
