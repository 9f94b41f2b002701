# ERRO COMUM: reader.read() sem tamanho espera o cliente fechar (EOF) antes de devolver qualquer coisa.
# O cliente manda a linha e espera a resposta; o servidor espera o fim dos dados: os dois esperam um pelo
# outro (o deadlock do notebook, na forma asyncio), até o timeout do cliente.
import asyncio

HOST = "127.0.0.1"
PORT = 65432
ESPERA = 5


async def handle_client(reader, writer):
    dados = await reader.read()  # <- espera EOF: leia a linha com reader.readline() ou reader.read(1024)
    await asyncio.sleep(ESPERA)
    writer.write(dados)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle_client, HOST, PORT)
    async with server:
        await server.serve_forever()


asyncio.run(main())
