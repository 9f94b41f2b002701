# Servidor bloqueante (como o serverbloq.py do roteiro): atende um cliente por vez.
# Escrito para o socklab: `npx socklab run --server-file examples/servidor_bloqueante.py --port 65432 --preset client`
import socket
import time

HOST = "127.0.0.1"
PORT = 65432
ESPERA = 1  # segundos de "processamento" por requisição

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, PORT))
    s.listen()
    print(f"[BLOQUEANTE] escutando em {HOST}:{PORT}", flush=True)
    while True:
        conn, addr = s.accept()  # o servidor fica bloqueado aqui até chegar um cliente
        with conn:
            print(f"[CONEXÃO] {addr}", flush=True)
            dados = conn.recv(1024)  # e aqui, até o cliente falar
            time.sleep(ESPERA)
            conn.sendall(dados)
