# ERRO COMUM: criar o servidor e não mantê-lo rodando. asyncio.run(main()) termina quando main() termina,
# e o programa sai antes de atender alguém: falta `async with server: await server.serve_forever()`.
import asyncio

HOST = "127.0.0.1"
PORT = 65432
ESPERA = 5


async def handle_client(reader, writer):
    dados = await reader.read(1024)
    await asyncio.sleep(ESPERA)
    writer.write(dados)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle_client, HOST, PORT)
    print(f"[ASSÍNCRONO] Servidor rodando em {HOST}:{PORT}", flush=True)  # <- e main() termina aqui


asyncio.run(main())
