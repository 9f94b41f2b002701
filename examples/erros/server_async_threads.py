# ERRO COMUM: entregar cada cliente a uma thread: funciona, mas não é um servidor de uma única thread.
import asyncio
import threading
import time

HOST = "127.0.0.1"
PORT = 65432
ESPERA = 5


def trabalho(dados):
    time.sleep(ESPERA)
    return dados


async def handle_client(reader, writer):
    dados = await reader.read(1024)
    resultado = []
    t = threading.Thread(target=lambda: resultado.append(trabalho(dados)))
    t.start()
    while t.is_alive():
        await asyncio.sleep(0.05)
    writer.write(resultado[0])
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle_client, HOST, PORT)
    async with server:
        await server.serve_forever()


asyncio.run(main())
