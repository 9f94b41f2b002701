# The threaded Python client a student would write (clientenervoso.py's way: one thread per connection), measured:
# how long until every connection was established, and the process's peak memory. Prints one JSON line.
import json
import resource
import socket
import sys
import threading
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
HOST = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 7000
connected = []
ok = []
lock = threading.Lock()
t0 = time.monotonic()


def client():
    try:
        with socket.create_connection((HOST, PORT), timeout=30) as s:
            with lock:
                connected.append(time.monotonic() - t0)
            s.sendall(b"ola servidor\n")
            if s.recv(1024):
                with lock:
                    ok.append(1)
    except OSError:
        pass


threads = [threading.Thread(target=client) for _ in range(N)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"n": N, "connected": len(connected), "ok": len(ok), "allConnectedMs": max(connected) * 1000 if connected else None, "maxRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
