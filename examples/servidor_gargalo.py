# O mesmo servidor com listen(1) (como o servergargalo.py): uma fila de espera mínima no kernel.
# `npx socklab run --server-file examples/servidor_gargalo.py --port 65432 --preset nervous --connect-timeout 3s`
import socket
import time

HOST = "127.0.0.1"
PORT = 65432
ESPERA = 2

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, PORT))
    s.listen(1)  # o backlog é uma dica ao kernel: o Linux enfileira até 2 conexões prontas
    print(f"[GARGALO] escutando em {HOST}:{PORT} com listen(1)", flush=True)
    while True:
        conn, addr = s.accept()
        with conn:
            dados = conn.recv(1024)
            time.sleep(ESPERA)
            conn.sendall(dados)
