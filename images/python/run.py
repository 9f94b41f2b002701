"""socklab/python: write the program handed over in SOCKLAB_PROGRAM (base64) to /tmp/socklab/<name> and run it as
__main__, in this process (so the probe sees the program's own threads, nothing of ours beside them)."""
import base64
import os
import runpy
import sys

name = os.environ.get("SOCKLAB_PROGRAM_NAME", "server.py")
source = os.environ.get("SOCKLAB_PROGRAM")
if not source:
    print("socklab python: SOCKLAB_PROGRAM is empty: nothing to run", file=sys.stderr)
    sys.exit(2)
folder = "/tmp/socklab"  # the program runs unprivileged: a folder it can write
os.makedirs(folder, exist_ok=True)
path = os.path.join(folder, os.path.basename(name))
with open(path, "wb") as f:
    f.write(base64.b64decode(source))
del os.environ["SOCKLAB_PROGRAM"]
print(f"socklab python: running {os.path.basename(path)}", flush=True)
sys.argv = [path]
sys.path.insert(0, folder)
runpy.run_path(path, run_name="__main__")
