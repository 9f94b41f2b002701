# ERRO COMUM: reader.readexactly(1024) espera chegarem exatamente 1024 bytes, como se fosse o recv(1024) do
# socket. O cliente manda uma linha curta e espera a resposta; o servidor espera o resto dos 1024 bytes: os dois
# esperam um pelo outro (o deadlock do notebook, na forma asyncio), até o timeout do cliente.
import asyncio

HOST = "127.0.0.1"
PORT = 65432
ESPERA = 5


async def handle_client(reader, writer):
    dados = await reader.readexactly(1024)  # <- espera 1024 bytes: use reader.read(1024), que devolve o que chegou
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
