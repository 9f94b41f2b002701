# Um cliente "nervoso" como o clientenervoso.py: N threads conectam ao mesmo tempo.
# Uso: python3 examples/cliente_nervoso.py [N] [HOST] [PORTA]
import socket
import sys
import threading
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10
HOST = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 65432
resultados = []


def cliente(i):
    t0 = time.monotonic()
    try:
        with socket.create_connection((HOST, PORT), timeout=10) as s:
            s.sendall(b"ola servidor\n")
            s.recv(1024)
        resultados.append(("ok", time.monotonic() - t0))
    except socket.timeout:
        resultados.append(("timeout", time.monotonic() - t0))
    except ConnectionRefusedError:
        resultados.append(("recusado", time.monotonic() - t0))
    except OSError as e:
        resultados.append((type(e).__name__, time.monotonic() - t0))


threads = [threading.Thread(target=cliente, args=(i,)) for i in range(N)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for r, dt in sorted(resultados, key=lambda x: x[1]):
    print(f"{r:10s} {dt:6.2f}s")
print(f"ok: {sum(1 for r, _ in resultados if r == 'ok')} de {N}")
