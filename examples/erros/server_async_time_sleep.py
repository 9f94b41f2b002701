# ERRO COMUM: time.sleep dentro de uma corrotina bloqueia a única thread: os clientes são atendidos um depois do outro.
import asyncio
import time

HOST = "127.0.0.1"
PORT = 65432
ESPERA = 5


async def handle_client(reader, writer):
    dados = await reader.read(1024)
    time.sleep(ESPERA)  # <- bloqueia o laço de eventos inteiro
    writer.write(dados)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle_client, HOST, PORT)
    async with server:
        await server.serve_forever()


asyncio.run(main())
