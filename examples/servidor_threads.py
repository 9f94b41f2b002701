# Uma thread por conexão (como o server.py): o accept volta logo, cada cliente ganha sua thread.
# `npx socklab run --server-file examples/servidor_threads.py --port 65432 --preset nervous`
import socket
import threading
import time

HOST = "127.0.0.1"
PORT = 65432
ESPERA = 1


def atender(conn, addr):
    with conn:
        dados = conn.recv(1024)
        time.sleep(ESPERA)  # bloqueia só esta thread
        conn.sendall(dados)


with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, PORT))
    s.listen()
    print(f"[THREADS] escutando em {HOST}:{PORT}", flush=True)
    while True:
        conn, addr = s.accept()
        threading.Thread(target=atender, args=(conn, addr), daemon=True).start()
        print(f"[THREADS ATIVAS] {threading.active_count()}", flush=True)
