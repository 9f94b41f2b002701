# ERRO COMUM: responder e nunca fechar a conexão (falta writer.close()).
import asyncio

HOST = "127.0.0.1"
PORT = 65432
ESPERA = 5


async def handle_client(reader, writer):
    dados = await reader.read(1024)
    await asyncio.sleep(ESPERA)
    writer.write(dados)
    await writer.drain()
    await asyncio.sleep(3600)  # <- a conexão fica aberta


async def main():
    server = await asyncio.start_server(handle_client, HOST, PORT)
    async with server:
        await server.serve_forever()


asyncio.run(main())
